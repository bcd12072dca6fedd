import { App, type App as BoltApp, ExpressReceiver, LogLevel } from '@slack/bolt';
import express from 'express';
import { ChatAuthError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { CommandContext } from '../context.js';
import type { ChatSurface } from '../surface.js';
import { listenToSlack } from './inbound.js';
import { SlackOutbound } from './outbound.js';
import { slackRequestGuard } from './requestGuard.js';
import { SLACK_EVENTS_PATH, type SlackSettings } from './settings.js';
import { listenToSetup } from './setup.js';

export interface SlackSurface extends ChatSurface {
  app: BoltApp;
  mode: 'http' | 'socket';
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
 * Slack, whole: Bolt on the service's own HTTP server (or Socket Mode), what people do in it
 * (`inbound.ts`) and what the bot sends (`outbound.ts`).
 */
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
  const outbound = new SlackOutbound(app.client, ctx.charts, log);
  listenToSlack(
    app,
    settings.command,
    {
      ...ctx,
      prefix: settings.command,
      moreHelp: [
        `*Alert rules in a form, with a 30-day preview*: \`${settings.command} settings\``,
        `*Digests in a form*: \`${settings.command} settings digest\``,
      ],
    },
    outbound,
    log,
  );
  listenToSetup(app, { ...ctx, prefix: settings.command }, log);

  return {
    platform: 'slack',
    app,
    mode: socket ? 'socket' : 'http',
    postAlert: (channel, alert) => outbound.postAlert(channel, alert),
    postReport: (channel, result) => outbound.postReport(channel, result),
    updateAlert: (channel, ts, alert) => outbound.updateAlert(channel, ts, alert),
    replyToAlert: (channel, ts, alert, kind) => outbound.replyToAlert(channel, ts, alert, kind),
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
