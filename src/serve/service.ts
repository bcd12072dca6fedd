import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ChartLinks } from '../charts/links.js';
import { chartRenderer } from '../charts/render.js';
import type { CommandContext } from '../chat/context.js';
import { CHAT_PLATFORMS } from '../chat/platforms.js';
import type { ChatSurface, PostOutcome } from '../chat/surface.js';
import { CachedAnalytics } from '../compose/bucketCache.js';
import type { Config } from '../config/load.js';
import { ConfigError, PortInUseError } from '../errors.js';
import { GraphClient } from '../graph/client.js';
import { AlertChecker } from '../jobs/alerts.js';
import { Scheduler } from '../jobs/scheduler.js';
import type { Logger } from '../log.js';
import { openStore, type SqlStore } from '../store/sql.js';
import type { Platform, Store } from '../store/types.js';
import { type IngestLimits, StatusIngest } from '../whatsapp/ingest.js';
import { webhookSettings } from '../whatsapp/settings.js';
import { webhookRouter } from '../whatsapp/webhook.js';
import { ServiceMetrics } from './metrics.js';

/** How long status webhook counts are kept: Graph's year of analytics, and a month for comparisons. */
export const STATUS_RETENTION_SECONDS = 395 * 86_400;

export interface ServiceOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  now: () => number;
  port?: number;
  host?: string;
  store?: Store;
  /** Run the digest scheduler (default); tests drive its ticks themselves. */
  schedule?: boolean;
  /** Status webhook ingest timeouts and queue bound (defaults in whatsapp/ingest.ts). */
  ingest?: IngestLimits | undefined;
}

export interface RunningService {
  url: string;
  port: number;
  surfaces: Partial<Record<Platform, ChatSurface>>;
  /** Shorthands for the two platforms there are (tests, benchmarks). */
  slack: ChatSurface | undefined;
  teams: ChatSurface | undefined;
  links: ChartLinks;
  scheduler: Scheduler;
  metrics: ServiceMetrics;
  store: Store;
  /** WhatsApp status webhooks, when configured. */
  ingest: StatusIngest | undefined;
  close(): Promise<void>;
}

/** Take the port before anything else starts: a port in use stops `serve` before it does any work. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortInUseError(port) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** How an HTTP error looks from outside: a status and a word, never a stack or a path. */
function httpErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; type?: string };
    const status = e.status ?? e.statusCode ?? (err instanceof URIError ? 400 : 500);
    if (status >= 500) logger.error({ err, path: req.path.slice(0, 200) }, 'request failed');
    else logger.warn({ status, path: req.path.slice(0, 200), reason: e.type ?? (err as Error).name }, 'request refused');
    if (res.headersSent) return;
    const word = status === 413 ? 'request too large' : status >= 500 ? 'internal error' : 'bad request';
    res.status(status).json({ error: word });
  };
}

/**
 * `waba-pulse serve`: one HTTP server on PORT for Slack (`/slack/events`, or Socket Mode),
 * Teams (`/api/messages`), signed chart images (`/charts/<id>.png`) and `/healthz`. The port is
 * taken first; then the store, the chat platforms and the scheduler start, and whatever fails
 * on the way stops everything already started.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, logger } = options;
  const enabled = CHAT_PLATFORMS.map((platform) => ({ platform, settings: platform.enabled(config) })).filter(
    (p) => p.settings !== undefined,
  );
  const webhooks = webhookSettings(config);
  if (enabled.length === 0 && !webhooks) {
    throw new ConfigError(
      'env',
      'nothing to serve: no chat platform is configured',
      'set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode), and/or MICROSOFT_APP_ID with MICROSOFT_APP_PASSWORD for Teams, and/or WHATSAPP_APP_SECRET with WHATSAPP_VERIFY_TOKEN for status webhooks; see .env.example',
    );
  }
  const now = options.now;
  const web = express();
  // Express shows stack traces in error pages unless told it runs in production.
  web.set('env', 'production');
  web.disable('x-powered-by');
  const server: Server = createServer(web);
  const port = await listen(server, options.port ?? config.env.port, options.host ?? '0.0.0.0');

  // What has started, stopped newest first if a later step fails.
  const cleanups: Array<() => Promise<unknown>> = [() => closeServer(server)];
  const stopStarted = async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  };
  try {
    const store = options.store ?? (await openStore(config.env.databaseUrl, { logger: logger.child({ surface: 'store' }) }));
    if (!options.store) cleanups.push(() => store.close());
    const metrics = new ServiceMetrics();
    const graph = new GraphClient({ ...config.graph, logger, now, onCall: (info) => metrics.observeGraphCall(info) });
    cleanups.push(() => graph.close());
    const cache = new CachedAnalytics(graph, store, now, logger.child({ surface: 'cache' }));
    const ctx: CommandContext = {
      config,
      env: options.env,
      store,
      // Settled buckets come from the store; Graph is asked only for what may still change.
      graph: cache,
      charts: chartRenderer(config.env.chartRenderer, config.env.quickchartUrl),
      now,
      prefix: config.slack.command,
    };
    let scheduler: Scheduler | undefined;
    const surfaces: Partial<Record<Platform, ChatSurface>> = {};
    // Each platform's mode for /healthz ("off" until it is up).
    const surfaceModes = () => Object.fromEntries(CHAT_PLATFORMS.map((p) => [p.platform, surfaces[p.platform]?.mode ?? 'off']));
    web.get('/healthz', async (_req, res) => {
      // Healthy means the store answers; the scheduler's last tick says whether schedules run.
      try {
        await store.ping();
        // A store that answers pings but not the ingest's commits (a lock, a failover) is not healthy either.
        if (ingest?.lag().stalled)
          return void res.status(503).json({ status: 'degraded', store: 'ok', whatsapp: 'stalled', ingest: ingest.lag() });
        res.json({
          status: 'ok',
          store: 'ok',
          scheduler: scheduler?.state() ?? 'off',
          ...surfaceModes(),
          whatsapp: webhooks ? 'on' : 'off',
          ...(ingest ? { ingest: ingest.lag() } : {}),
        });
      } catch (err) {
        res.status(503).json({ status: 'degraded', store: 'unreachable', detail: (err as Error).message });
      }
    });
    web.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
    const links = new ChartLinks({ baseUrl: config.env.publicBaseUrl ?? `http://127.0.0.1:${port}`, now });
    web.get('/charts/:file', (req, res) => {
      const id = /^([a-f0-9]{32})\.png$/.exec(req.params.file)?.[1];
      const found = id
        ? links.fetch(id, req.query.exp as string | undefined, req.query.sig as string | undefined)
        : ({ status: 404 } as const);
      if (found.status === 200) res.type('image/png').set('cache-control', 'private, max-age=3600').send(found.png);
      else res.status(found.status).send(found.status === 403 ? 'forbidden' : 'not found');
    });
    for (const { platform, settings } of enabled) {
      const surface = await platform.create(
        settings!,
        { ...ctx, prefix: platform.prefix(config) },
        { links, log: logger.child({ surface: platform.platform }) },
      );
      surface.mount(web);
      await surface.start();
      cleanups.push(() => surface.stop());
      surfaces[platform.platform] = surface;
    }
    let ingest: StatusIngest | undefined;
    if (webhooks) {
      ingest = new StatusIngest(store, now, options.ingest);
      web.use(
        webhookRouter({
          settings: webhooks,
          ingest,
          accounts: new Set(config.accounts.map((a) => a.id)),
          log: logger.child({ surface: 'whatsapp' }),
          now,
          counters: { requests: metrics.webhookRequests, events: metrics.webhookEvents },
        }),
      );
    }
    web.use((_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    web.use(httpErrorHandler(logger));

    const deliver = async (platform: Platform, send: (surface: ChatSurface) => Promise<PostOutcome>): Promise<PostOutcome> => {
      const surface = surfaces[platform];
      return surface ? send(surface) : { delivered: false, reason: 'gone' };
    };
    // Digests and alert checks: one scheduler per replica; claims in the store keep them from
    // posting twice.
    const owner = `replica-${randomUUID().slice(0, 8)}`;
    const alerts = new AlertChecker({
      store,
      ctx,
      owner,
      metrics,
      settleCurves: cache.settleCurves,
      budget: { callsInLastHour: (id) => graph.usage.callsInLastHour(id), callsPerHour: config.graph.callsPerHour },
      logger: logger.child({ surface: 'alerts' }),
      delivery: {
        post: (target, alert) => deliver(target.platform, (surface) => surface.postAlert(target.conversation, alert)),
        update: (target, ref, alert) => deliver(target.platform, (surface) => surface.updateAlert(target.conversation, ref, alert)),
        reply: (target, ref, alert, kind) =>
          deliver(target.platform, (surface) => surface.replyToAlert(target.conversation, ref, alert, kind)),
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
          const outcome = await deliver(target.platform, (surface) => surface.postReport(target.conversation, result));
          metrics.posts.inc({ platform: target.platform, outcome: outcome.delivered ? 'posted' : 'gone' });
          return outcome.delivered;
        } catch (err) {
          metrics.posts.inc({ platform: target.platform, outcome: 'failed' });
          metrics.errors.inc({ code: (err as { code?: string }).code ?? 'post_failed' });
          throw err;
        }
      },
    });
    const running = scheduler;
    if (options.schedule !== false) scheduler.start();
    // Replays and duplicates are remembered for minutes; forget them when they can no longer recur.
    const prune = setInterval(() => {
      const sql = store as Partial<SqlStore>;
      void sql.pruneSeen?.(now()).catch(() => undefined);
      // Status counts are kept as long as Graph keeps analytics (and a month more for comparisons).
      void sql
        .pruneStatuses?.(
          config.accounts.map((a) => a.id),
          Math.floor(now() / 1000) - STATUS_RETENTION_SECONDS,
        )
        .catch(() => undefined);
    }, 10 * 60_000);
    prune.unref();

    logger.info({ port, ...surfaceModes(), whatsapp: webhooks ? 'on' : 'off' }, 'waba-pulse serving');
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      surfaces,
      slack: surfaces.slack,
      teams: surfaces.teams,
      links,
      store,
      scheduler,
      metrics,
      ingest,
      async close() {
        // Stop ticking and finish the posts in flight, give back unfinished claims, stop serving
        // and the chat platforms, then close Graph and the store.
        clearInterval(prune);
        await running.stop();
        await closeServer(server);
        for (const surface of Object.values(surfaces)) await surface.stop();
        await graph.close();
        if (!options.store) await store.close();
      },
    };
  } catch (err) {
    await stopStarted();
    throw err;
  }
}
