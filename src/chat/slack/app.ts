import { App, ExpressReceiver, LogLevel, type App as BoltApp } from '@slack/bolt';
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { Application } from 'express';
import { parseCommand } from '../../command/grammar.js';
import type { Logger } from '../../log.js';
import { formatDuration } from '../../report/format.js';
import type { ChatTarget } from '../../store/types.js';
import { buildCommandReport, resolveAccount, runCommand, type CommandContext, type CommandResult } from '../commands.js';
import type { Requester } from '../access.js';
import type { AlertContent, ChatSurface } from '../surface.js';
import { ALERT_ACTIONS, alertMessage, errorText, noticeMessage, reportMessage, withStatus, type Block, type SlackMessage } from './render.js';

export interface SlackSettings {
  botToken: string;
  /** HTTP mode. */
  signingSecret?: string | undefined;
  /** Socket Mode. */
  appToken?: string | undefined;
  apiUrl?: string | undefined;
  command: string;
}

export interface SlackSurface extends ChatSurface {
  app: BoltApp;
  mode: 'http' | 'socket';
  /** Post an alert to a channel (the scheduler's entry point). */
  postAlert(channel: string, alert: AlertContent): Promise<{ channel: string; ts: string }>;
  /** Post a report (digests) to a channel. */
  postReport(channel: string, result: CommandResult & { type: 'report' }): Promise<{ channel: string; ts: string }>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Bolt's logger interface, on our pino logger (secrets already scrubbed there). */
function boltLogger(log: Logger) {
  return {
    debug: (...m: unknown[]) => log.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => log.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => log.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => log.error(m.map(String).join(' ')),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

/**
 * Posts to one channel go out at most one a second (Slack's per-channel pace); the Web API
 * client itself waits out 429s for as long as Retry-After says.
 */
class ChannelPacer {
  private readonly last = new Map<string, Promise<unknown>>();
  constructor(private readonly intervalMs = 1_000) {}

  run<T>(channel: string, task: () => Promise<T>): Promise<T> {
    const previous = this.last.get(channel) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    const spaced = next.catch(() => undefined).then(() => new Promise((r) => setTimeout(r, this.intervalMs)));
    this.last.set(channel, spaced);
    return next;
  }
}

/** The chart as an image block source: a QuickChart URL as it is, a PNG uploaded first. */
async function chartImage(client: WebClient, result: CommandResult & { type: 'report' }) {
  const chart = result.chart;
  if (chart.kind === 'url') return { url: chart.url };
  const upload = (await client.files.uploadV2({ file: chart.png, filename: 'delivery.png', title: chart.altText.slice(0, 250) })) as unknown as {
    files?: Array<{ files?: Array<{ id?: string }> }>;
  };
  const id = upload.files?.[0]?.files?.[0]?.id;
  return id ? { fileId: id } : undefined;
}

export function createSlackSurface(settings: SlackSettings, ctx: CommandContext, log: Logger, expressApp?: Application): SlackSurface {
  const clientOptions = settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {};
  const logger = boltLogger(log);
  const socket = !settings.signingSecret && Boolean(settings.appToken);
  const app = socket
    ? new App({ token: settings.botToken, appToken: settings.appToken!, socketMode: true, clientOptions, installerOptions: { clientOptions }, logger, deferInitialization: true })
    : new App({
        token: settings.botToken,
        // Signatures checked, requests older than five minutes refused, on our own server.
        receiver: new ExpressReceiver({
          signingSecret: settings.signingSecret!,
          endpoints: '/slack/events',
          logger,
          ...(expressApp ? { app: expressApp } : {}),
        }),
        clientOptions,
        logger,
        deferInitialization: true,
      });
  const pacer = new ChannelPacer();
  const prefix = settings.command;

  async function toMessage(client: WebClient, result: CommandResult): Promise<SlackMessage> {
    if (result.type === 'notice') return noticeMessage(result);
    return reportMessage(result.report, await chartImage(client, result));
  }

  app.command(settings.command, async ({ command, ack, respond, client }) => {
    const who: Requester = { platform: 'slack', conversation: command.channel_id, user: command.user_id, team: command.team_id };
    let parsed;
    try {
      parsed = parseCommand(command.text);
    } catch (err) {
      await ack({ response_type: 'ephemeral', text: errorText(err) });
      return;
    }
    // Acknowledge first, always: Slack gives three seconds, Graph may take longer.
    await ack({ response_type: 'ephemeral', text: parsed.kind === 'help' ? 'Here is what I can do…' : ':hourglass_flowing_sand: Working on it…' });
    try {
      const result = await runCommand({ ...ctx, prefix }, who, parsed);
      const message = await toMessage(client, result);
      await respond({ ...message, response_type: result.type === 'report' ? 'in_channel' : 'ephemeral', replace_original: false });
    } catch (err) {
      log.warn({ err, command: parsed.kind }, 'slack command failed');
      await respond({ response_type: 'ephemeral', text: errorText(err), replace_original: false });
    }
  });

  app.action(/^alert_/, async ({ ack, body, action, client }) => {
    await ack();
    const b = body as unknown as { user: { id: string }; channel?: { id: string }; message?: { ts: string; blocks?: Block[]; thread_ts?: string } };
    const value = JSON.parse((action as { value?: string }).value ?? '{}') as { key?: string; account?: string };
    const channel = b.channel?.id;
    const ts = b.message?.ts;
    if (!value.key || !channel || !ts) return;
    const now = ctx.now();
    const who: Requester = { platform: 'slack', conversation: channel, user: b.user.id };
    const target: ChatTarget = { platform: 'slack', conversation: channel };
    const actionId = (action as { action_id: string }).action_id;
    const time = new Date(now).toISOString().slice(11, 16);
    try {
      if (actionId === ALERT_ACTIONS.byPhone) {
        const account = resolveAccount(ctx, who, value.account ?? '');
        const result = await buildCommandReport(ctx, account, { range: { preset: 'today' }, by: 'phone' });
        const message = await toMessage(client, result);
        await pacer.run(channel, () => client.chat.postMessage({ channel, thread_ts: ts, ...message }));
        return;
      }
      let status: string;
      if (actionId === ALERT_ACTIONS.acknowledge) {
        await ctx.store.recordAlertAction(value.key, { status: 'acknowledged', by: b.user.id, at: now });
        status = `:white_check_mark: Acknowledged by <@${b.user.id}> at ${time} UTC`;
      } else {
        const duration = actionId === ALERT_ACTIONS.mute1h ? 3_600_000 : 86_400_000;
        const until = now + duration;
        await ctx.store.recordAlertAction(value.key, { status: 'muted', by: b.user.id, at: now, mutedUntil: until });
        if (value.account) await ctx.store.muteAlerts(target, value.account, until);
        status = `:no_bell: Muted for ${formatDuration(duration)} by <@${b.user.id}> (until ${new Date(until).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
      }
      const blocks = withStatus(b.message?.blocks ?? [], status);
      await pacer.run(channel, () => client.chat.update({ channel, ts, blocks: blocks as unknown as KnownBlock[], text: status }));
    } catch (err) {
      log.warn({ err, action: actionId }, 'slack action failed');
      await client.chat.postEphemeral({ channel, user: b.user.id, text: errorText(err) });
    }
  });

  app.error(async (err) => {
    log.error({ err }, 'slack app error');
  });

  const post = (channel: string, message: SlackMessage) =>
    pacer.run(channel, async () => {
      const res = await app.client.chat.postMessage({ channel, ...message });
      return { channel: res.channel ?? channel, ts: res.ts ?? '' };
    });

  return {
    app,
    mode: socket ? 'socket' : 'http',
    postAlert: (channel, alert) => post(channel, alertMessage(alert)),
    postReport: async (channel, result) => post(channel, await toMessage(app.client, result)),
    async start() {
      await app.init();
      if (socket) await app.start();
    },
    async stop() {
      if (socket) await app.stop();
    },
  };
}
