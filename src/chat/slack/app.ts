import { createHash } from 'node:crypto';
import { App, type App as BoltApp, ExpressReceiver, LogLevel } from '@slack/bolt';
import type { KnownBlock, WebClient } from '@slack/web-api';
import express from 'express';
import type { RenderedChart } from '../../charts/render.js';
import { alertChartSpec } from '../../charts/spec.js';
import { type Command, parseCommand } from '../../command/grammar.js';
import { ChatAuthError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Requester } from '../access.js';
import { applyAlertAction } from '../alertActions.js';
import { runCommand } from '../commands.js';
import type { CommandContext, CommandResult } from '../context.js';
import { followUpText } from '../presentation.js';
import { type AlertContent, type ChatSurface, logCommandFailure, type PostOutcome } from '../surface.js';
import {
  alertMessage,
  type ChartImage,
  clip,
  errorText,
  escapeMrkdwn,
  LIMITS,
  noticeMessage,
  reportMessage,
  type SlackMessage,
} from './render.js';
import { slackRequestGuard } from './requestGuard.js';
import { SLACK_EVENTS_PATH, type SlackSettings } from './settings.js';

export interface SlackSurface extends ChatSurface {
  app: BoltApp;
  mode: 'http' | 'socket';
}

/** Slack's answers for a channel the bot can no longer post to. */
/** How many uploaded alert charts a replica remembers (the oldest forgotten first). */
const UPLOADED_CHARTS_KEPT = 500;

const GONE_ERRORS = new Set(['channel_not_found', 'is_archived', 'not_in_channel', 'account_inactive', 'team_access_not_granted']);

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
async function chartImage(client: WebClient, chart: RenderedChart): Promise<ChartImage> {
  if (chart.kind === 'url') return { url: chart.url };
  const upload = (await client.files.uploadV2({
    file: chart.png,
    filename: 'delivery.png',
    title: chart.altText.slice(0, 250),
  })) as unknown as {
    files?: Array<{ files?: Array<{ id?: string }> }>;
  };
  const id = upload.files?.[0]?.files?.[0]?.id;
  return id ? { fileId: id } : undefined;
}

export function createSlackSurface(settings: SlackSettings, ctx: CommandContext, log: Logger): SlackSurface {
  const clientOptions = settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {};
  const logger = boltLogger(log);
  const socket = !settings.signingSecret && Boolean(settings.appToken);
  // The HTTP routes live on a router of their own, mounted on the service's app by `mount`.
  const router = express.Router();
  if (!socket) {
    // Before Bolt's own route: timestamps both ways, and replays answered without running again.
    router.post(SLACK_EVENTS_PATH, ...slackRequestGuard({ signingSecret: settings.signingSecret!, store: ctx.store, log }));
  }
  const app = socket
    ? new App({
        token: settings.botToken,
        appToken: settings.appToken!,
        socketMode: true,
        clientOptions,
        installerOptions: { clientOptions },
        logger,
        deferInitialization: true,
      })
    : new App({
        token: settings.botToken,
        // Signatures checked, requests older than five minutes refused, on our own server.
        receiver: new ExpressReceiver({
          signingSecret: settings.signingSecret!,
          endpoints: SLACK_EVENTS_PATH,
          logger,
          router,
          // Bolt attaches the router to an app of its own; ours is given it in `mount`.
          app: express(),
        }),
        clientOptions,
        logger,
        deferInitialization: true,
      });
  const pacer = new ChannelPacer();
  const prefix = settings.command;

  async function toMessage(client: WebClient, result: CommandResult): Promise<SlackMessage> {
    if (result.type === 'notice') return noticeMessage(result);
    const [image, failureImage] = await Promise.all([
      chartImage(client, result.chart),
      result.failureChart ? chartImage(client, result.failureChart) : undefined,
    ]);
    return reportMessage(result.report, image, failureImage);
  }

  // Charts already uploaded, by what they show: a click redraws the message, not the picture.
  const uploadedCharts = new Map<string, ChartImage>();

  /** An alert with its small chart (uploaded, or a QuickChart URL); without one if drawing fails. */
  async function alertWithChart(client: WebClient, alert: AlertContent): Promise<SlackMessage> {
    const spec = alert.resolved ? undefined : alertChartSpec(alert);
    let image: ChartImage;
    if (spec) {
      const key = createHash('sha256').update(JSON.stringify(spec)).digest('base64url');
      image = uploadedCharts.get(key);
      if (!image) {
        try {
          image = await chartImage(client, await ctx.charts.render(spec));
          if (uploadedCharts.size >= UPLOADED_CHARTS_KEPT) uploadedCharts.delete(uploadedCharts.keys().next().value!);
          uploadedCharts.set(key, image);
        } catch (err) {
          log.warn({ err, alert: alert.shortId }, 'alert chart not drawn; posting without it');
        }
      }
    }
    return alertMessage(alert, image);
  }

  app.command(settings.command, async ({ command, ack, respond, client }) => {
    const who: Requester = { platform: 'slack', conversation: command.channel_id, user: command.user_id, team: command.team_id };
    let parsed: Command;
    try {
      parsed = parseCommand(command.text);
    } catch (err) {
      await ack({ response_type: 'ephemeral', text: errorText(err) });
      return;
    }
    if (parsed.kind === 'help') {
      await ack({
        response_type: 'ephemeral',
        ...noticeMessage((await runCommand({ ...ctx, prefix }, who, parsed)) as CommandResult & { type: 'notice' }),
      });
      return;
    }
    // Acknowledge first, always: Slack gives three seconds, Graph may take longer. The
    // placeholder is replaced by the answer (or removed when the answer goes to the channel).
    await ack({ response_type: 'ephemeral', text: ':hourglass_flowing_sand: Working on it…' });
    try {
      const result = await runCommand({ ...ctx, prefix }, who, parsed);
      const message = await toMessage(client, result);
      if (result.type === 'report') {
        await respond({ delete_original: true });
        await respond({ ...message, response_type: 'in_channel', replace_original: false });
      } else {
        await respond({ ...message, response_type: 'ephemeral', replace_original: true });
      }
    } catch (err) {
      logCommandFailure(log, err, { platform: 'slack', command: parsed.kind });
      await respond({ response_type: 'ephemeral', text: errorText(err), replace_original: true });
    }
  });

  app.action(/^alert_/, async ({ ack, body, action, client }) => {
    await ack();
    const b = body as unknown as { user?: { id?: string; name?: string }; channel?: { id?: string }; message?: { ts?: string } };
    const channel = b.channel?.id;
    const ts = b.message?.ts;
    const user = b.user?.id;
    if (!channel || !ts || !user) return;
    const who: Requester = { platform: 'slack', conversation: channel, user };
    const actionId = String((action as { action_id?: unknown }).action_id ?? '');
    let key: unknown;
    try {
      key = (JSON.parse((action as { value?: string }).value ?? '{}') as { key?: unknown }).key;
    } catch {
      key = undefined;
    }
    try {
      const outcome = await applyAlertAction(ctx, who, { key, action: actionId.replace(/^alert_/, ''), byName: b.user?.name }, log);
      if (!outcome.ok) {
        await client.chat.postEphemeral({ channel, user, text: `:no_entry_sign: ${outcome.message}` });
        return;
      }
      if (outcome.kind === 'report') {
        const message = await toMessage(client, outcome.result);
        await pacer.run(channel, () => client.chat.postMessage({ channel, thread_ts: ts, ...message }));
        return;
      }
      // Redrawn from the stored alert, with who did what; never from the blocks the client sent.
      const message = await alertWithChart(client, outcome.alert);
      await pacer.run(channel, () =>
        client.chat.update({ channel, ts, blocks: message.blocks as unknown as KnownBlock[], text: message.text }),
      );
    } catch (err) {
      log.warn({ err, action: actionId }, 'slack action failed');
      await client.chat.postEphemeral({ channel, user, text: errorText(err) });
    }
  });

  app.error(async (err) => {
    log.error({ err }, 'slack app error');
  });

  const post = (channel: string, message: SlackMessage): Promise<PostOutcome> =>
    pacer.run(channel, async () => {
      try {
        const res = await app.client.chat.postMessage({ channel, ...message });
        return { delivered: true, ref: res.ts ?? '' };
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code && GONE_ERRORS.has(code)) {
          log.warn({ channel, code }, 'slack channel is gone');
          return { delivered: false, reason: 'gone' };
        }
        throw err;
      }
    });

  /** Slack's answer for a message or channel that is gone, as an outcome; anything else is thrown. */
  const attempt = (channel: string, send: () => Promise<{ ts?: string | undefined }>): Promise<PostOutcome> =>
    pacer.run(channel, async () => {
      try {
        const res = await send();
        return { delivered: true, ref: res.ts ?? '' };
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code && (GONE_ERRORS.has(code) || code === 'message_not_found')) return { delivered: false, reason: 'gone' };
        throw err;
      }
    });

  return {
    platform: 'slack',
    app,
    mode: socket ? 'socket' : 'http',
    updateAlert: async (channel, ts, alert) => {
      const message = await alertWithChart(app.client, alert);
      return attempt(channel, () =>
        app.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks as unknown as KnownBlock[] }),
      );
    },
    replyToAlert: (channel, ts, alert, kind) => {
      const text = escapeMrkdwn(followUpText(alert, kind));
      return attempt(channel, () => app.client.chat.postMessage({ channel, thread_ts: ts, text: clip(text, LIMITS.sectionText) }));
    },
    postAlert: async (channel, alert) => post(channel, await alertWithChart(app.client, alert)),
    postReport: async (channel, result) => post(channel, await toMessage(app.client, result)),
    mount(web) {
      if (!socket) web.use(router);
    },
    async start() {
      try {
        await app.init();
        if (socket) await app.start();
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error ?? (err as Error).message;
        throw new ChatAuthError(
          `Slack refused the bot token (${code})`,
          'check SLACK_BOT_TOKEN (and SLACK_APP_TOKEN for Socket Mode), or SLACK_API_URL',
          { cause: err },
        );
      }
    },
    async stop() {
      if (socket) await app.stop();
    },
  };
}
