import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ChartLinks } from '../charts/links.js';
import { chartRenderer } from '../charts/render.js';
import { createTeamsSurface, type TeamsSurface } from '../chat/teams/bot.js';
import type { CommandContext } from '../chat/commands.js';
import { createSlackSurface, type SlackSurface } from '../chat/slack/app.js';
import type { Config } from '../config/load.js';
import { ConfigError, WabaPulseError } from '../errors.js';
import { CachedAnalytics } from '../compose/bucketCache.js';
import { GraphClient } from '../graph/client.js';
import type { Logger } from '../log.js';
import { randomUUID } from 'node:crypto';
import { AlertChecker } from '../jobs/alerts.js';
import { Scheduler } from '../jobs/scheduler.js';
import { openStore } from '../store/sql.js';
import { ServiceMetrics } from './metrics.js';
import type { Platform, Store } from '../store/types.js';
import type { ChatSurface } from '../chat/surface.js';

export class ChatAuthError extends WabaPulseError {
  readonly code = 'E_CHAT_AUTH';
  readonly exitCode = 1 as const;
}

export interface ServiceOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  now?: () => number;
  port?: number;
  host?: string;
  store?: Store;
  /** Run the digest scheduler (default); tests drive its ticks themselves. */
  schedule?: boolean;
}

export interface RunningService {
  url: string;
  port: number;
  slack: SlackSurface | undefined;
  teams: TeamsSurface | undefined;
  links: ChartLinks;
  scheduler: Scheduler;
  metrics: ServiceMetrics;
  store: Store;
  close(): Promise<void>;
}

/** Teams is on with an app id, or without one only when the config explicitly allows it. */
export function teamsSettings(config: Config) {
  const m = config.env.microsoft;
  if (!m.appId) {
    if (m.appPassword || m.tenantId) throw new ConfigError('env.MICROSOFT_APP_ID', 'is not set, but other Microsoft variables are', 'set MICROSOFT_APP_ID to the bot\'s app id');
    return config.teams.allowUnauthenticated ? { appId: undefined, appPassword: undefined, appType: undefined, tenantId: undefined } : undefined;
  }
  if (!m.appPassword && m.appType !== 'UserAssignedMSI') {
    throw new ConfigError('env.MICROSOFT_APP_PASSWORD', 'is not set', 'set MICROSOFT_APP_PASSWORD to the bot\'s client secret (or MICROSOFT_APP_TYPE=UserAssignedMSI)');
  }
  if (m.appType === 'SingleTenant' && !m.tenantId) throw new ConfigError('env.MICROSOFT_APP_TENANT_ID', 'is not set for a SingleTenant app', 'set it to your Microsoft Entra tenant id');
  return m;
}

/** Which chat surfaces the environment enables; a half-configured one is an error naming what is missing. */
export function slackSettings(config: Config) {
  const s = config.env.slack;
  if (!s.botToken) {
    if (s.signingSecret || s.appToken) throw new ConfigError('env.SLACK_BOT_TOKEN', 'is not set, but other Slack variables are', 'set SLACK_BOT_TOKEN to the app\'s bot token (xoxb-...)');
    return undefined;
  }
  if (!s.signingSecret && !s.appToken) {
    throw new ConfigError('env.SLACK_SIGNING_SECRET', 'is not set (nor SLACK_APP_TOKEN)', 'set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN (xapp-...) for Socket Mode');
  }
  return { botToken: s.botToken, signingSecret: s.signingSecret, appToken: s.appToken, apiUrl: s.apiUrl, command: config.slack.command };
}

/**
 * `waba-pulse serve`: one HTTP server on PORT for Slack (`/slack/events`, or Socket Mode),
 * Teams (`/api/messages`), signed chart images (`/charts/<id>.png`) and `/healthz`.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, logger } = options;
  const slackConfig = slackSettings(config);
  const teamsConfig = teamsSettings(config);
  if (!slackConfig && !teamsConfig) {
    throw new ConfigError(
      'env',
      'nothing to serve: no chat platform is configured',
      'set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode), and/or MICROSOFT_APP_ID with MICROSOFT_APP_PASSWORD for Teams; see .env.example',
    );
  }
  const now = options.now ?? Date.now;
  const store = options.store ?? (await openStore(config.env.databaseUrl));
  const metrics = new ServiceMetrics();
  const graph = new GraphClient({ ...config.graph, logger, now, onCall: (info) => metrics.observeGraphCall(info) });
  const ctx: CommandContext = {
    config,
    env: options.env,
    store,
    // Settled buckets come from the store; Graph is asked only for what may still change.
    graph: new CachedAnalytics(graph, store, now),
    charts: chartRenderer(config.env.chartRenderer, config.env.quickchartUrl),
    now,
    prefix: config.slack.command,
  };
  const web = express();
  let slack: SlackSurface | undefined;
  let teams: TeamsSurface | undefined;
  let scheduler: Scheduler | undefined;
  web.get('/healthz', async (_req, res) => {
    // Healthy means the store answers; the scheduler's last tick says whether schedules run.
    try {
      await store.listRuns({ limit: 1 });
      res.json({ status: 'ok', store: 'ok', scheduler: scheduler?.state() ?? 'off', slack: slack ? slack.mode : 'off', teams: teams ? 'on' : 'off' });
    } catch (err) {
      res.status(503).json({ status: 'degraded', store: (err as Error).message });
    }
  });
  web.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const links = new ChartLinks({ baseUrl: config.env.publicBaseUrl ?? 'http://127.0.0.1' });
  web.get('/charts/:file', (req, res) => {
    const id = /^([a-f0-9]{32})\.png$/.exec(req.params.file)?.[1];
    const found = id ? links.fetch(id, req.query.exp as string | undefined, req.query.sig as string | undefined) : ({ status: 404 } as const);
    if (found.status === 200) res.type('image/png').set('cache-control', 'private, max-age=3600').send(found.png);
    else res.status(found.status).send(found.status === 403 ? 'forbidden' : 'not found');
  });
  if (teamsConfig) {
    if (!teamsConfig.appId) logger.warn('TEAMS: no MICROSOFT_APP_ID — accepting UNAUTHENTICATED Bot Framework requests (teams.allowUnauthenticated). Never do this in production.');
    teams = createTeamsSurface(teamsConfig, { ...ctx, prefix: '@waba-pulse' }, links, logger.child({ surface: 'teams' }));
    const surface = teams;
    web.post('/api/messages', express.json({ limit: '1mb' }), (req, res) => {
      surface.handle(req, res).catch((err: unknown) => {
        logger.error({ err }, 'teams request failed');
        if (!res.headersSent) res.status(500).end();
      });
    });
  }
  if (slackConfig) {
    slack = createSlackSurface(slackConfig, ctx, logger.child({ surface: 'slack' }), web);
    try {
      await slack.start();
    } catch (err) {
      await graph.close();
      if (!options.store) await store.close();
      const code = (err as { data?: { error?: string } }).data?.error ?? (err as Error).message;
      throw new ChatAuthError(`Slack refused the bot token (${code})`, 'check SLACK_BOT_TOKEN (and SLACK_APP_TOKEN for Socket Mode), or SLACK_API_URL', { cause: err });
    }
  }

  const surfaces: Record<Platform, ChatSurface | undefined> = { slack, teams };
  // Digests and alert checks: one scheduler per replica; claims in the store keep them from
  // posting twice.
  const owner = `replica-${randomUUID().slice(0, 8)}`;
  const alerts = new AlertChecker({
    store,
    ctx,
    owner,
    budget: { callsInLastHour: (id) => graph.usage.callsInLastHour(id), callsPerHour: config.graph.callsPerHour },
    logger: logger.child({ surface: 'alerts' }),
    post: async (target, alert) => {
      const surface = surfaces[target.platform];
      const delivered = Boolean(surface && (await surface.postAlert(target.conversation, alert)));
      metrics.posts.inc({ platform: target.platform, outcome: delivered ? 'posted' : 'gone' });
      return delivered;
    },
  });
  scheduler = new Scheduler({
    owner,
    alerts,
    store,
    ctx,
    logger: logger.child({ surface: 'scheduler' }),
    metrics,
    post: async (target, result) => {
      try {
        const surface = surfaces[target.platform];
        const delivered = Boolean(surface && (await surface.postReport(target.conversation, result)));
        metrics.posts.inc({ platform: target.platform, outcome: delivered ? 'posted' : 'gone' });
        return delivered;
      } catch (err) {
        metrics.posts.inc({ platform: target.platform, outcome: 'failed' });
        metrics.errors.inc({ code: (err as { code?: string }).code ?? 'post_failed' });
        throw err;
      }
    },
  });
  if (options.schedule !== false) scheduler.start();

  const server: Server = createServer(web);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.env.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  if (!config.env.publicBaseUrl) links.setBaseUrl(`http://127.0.0.1:${port}`);
  logger.info({ port, slack: slack?.mode ?? 'off', teams: teams ? 'on' : 'off' }, 'waba-pulse serving');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    slack,
    teams,
    links,
    store,
    scheduler,
    metrics,
    async close() {
      // Finish what is in flight, give back unfinished claims, then stop serving.
      await scheduler?.stop();
      await slack?.stop();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await graph.close();
      await store.close();
    },
  };
}
