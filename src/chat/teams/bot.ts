import { type Activity, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import express, { type Request, type Response } from 'express';
import type { ChartLinks } from '../../charts/links.js';
import type { Logger } from '../../log.js';
import type { PostOutcome } from '../../vocabulary/chat.js';
import type { CommandContext } from '../context.js';
import type { ChatSurface } from '../surface.js';
import { TeamsActivities } from './activities.js';
import { TeamsAdapter } from './adapter.js';
import { TeamsInbound } from './inbound.js';
import { TeamsOutbound } from './outbound.js';
import { mountTeamsPages } from './pages.js';
import { TEAMS_MESSAGES_PATH, type TeamsSettings } from './settings.js';

export interface TeamsSurface extends ChatSurface {
  /** POST /api/messages */
  handle(req: Request, res: Response): Promise<void>;
  /** Proactive post to a stored conversation. */
  postActivity(conversation: string, activity: Partial<Activity>): Promise<PostOutcome>;
}

/**
 * Teams, whole: a Bot Framework adapter on the service's own HTTP server, what people do in it
 * (`inbound.ts`), what the bot posts on its own (`outbound.ts`), and the cards both send
 * (`activities.ts`).
 */
export function createTeamsSurface(settings: TeamsSettings, ctx: CommandContext, links: ChartLinks | undefined, log: Logger): TeamsSurface {
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: settings.appId ?? '',
    MicrosoftAppPassword: settings.appPassword ?? '',
    MicrosoftAppType: settings.appType ?? (settings.appId ? 'MultiTenant' : ''),
    MicrosoftAppTenantId: settings.tenantId ?? '',
  });
  const adapter = new TeamsAdapter(auth, log);
  const activities = new TeamsActivities(links, ctx.charts, log);
  const inbound = new TeamsInbound(
    adapter,
    settings,
    { ...ctx, prefix: '@waba-pulse', moreHelp: ['*Alert rules in a card, with a 30-day preview*: `@waba-pulse settings`'] },
    activities,
    log,
  );
  const outbound = new TeamsOutbound(adapter, settings.appId, ctx.store, activities, ctx.now, log);
  return {
    platform: 'teams',
    mode: settings.appId ? 'on' : 'unauthenticated',
    mount(web) {
      web.post(TEAMS_MESSAGES_PATH, express.json({ limit: '1mb' }), (req, res, next) => {
        inbound.handle(req, res).catch(next);
      });
      mountTeamsPages(web);
    },
    async start() {
      // Nothing to connect: Bot Framework calls in, and credentials are checked per request.
    },
    async stop() {},
    handle: (req, res) => inbound.handle(req, res),
    postActivity: (conversation, activity) => outbound.postActivity(conversation, activity),
    postAlert: (conversation, alert) => outbound.postAlert(conversation, alert),
    updateAlert: (conversation, ref, alert) => outbound.updateAlert(conversation, ref, alert),
    replyToAlert: (conversation, ref, alert, kind) => outbound.replyToAlert(conversation, ref, alert, kind),
    postReport: (conversation, result) => outbound.postReport(conversation, result),
  };
}
