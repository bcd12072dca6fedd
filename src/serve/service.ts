import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, isIPv4 } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ChartLinks } from '../charts/links.js';
import { chartRenderer } from '../charts/render.js';
import type { CommandContext } from '../chat/context.js';
import { CHAT_PLATFORMS } from '../chat/platforms.js';
import type { ChatSurface, PostOutcome } from '../chat/surface.js';
import { CachedAnalytics } from '../compose/bucketCache.js';
import type { Config } from '../config/load.js';
import { ConfigError, InterruptedError, PortInUseError } from '../errors.js';
import { GraphClient } from '../graph/client.js';
import { AlertChecker } from '../jobs/alerts.js';
import { Scheduler } from '../jobs/scheduler.js';
import type { Logger } from '../log.js';
import { sameSecret } from '../secrets.js';
import { openStore, type SqlStore } from '../store/sql.js';
import type { Platform, Store } from '../store/types.js';
import { type IngestLimits, StatusIngest } from '../whatsapp/ingest.js';
import { WEBHOOK_PATH } from '../whatsapp/settings.js';
import { webhookRouter } from '../whatsapp/webhook.js';
import { ServiceLifecycle } from './lifecycle.js';
import { ServiceMetrics } from './metrics.js';
import { servePlan } from './plan.js';

/** How long status webhook counts are kept: Graph's year of analytics, and a month for comparisons. */
export const STATUS_RETENTION_SECONDS = 395 * 86_400;

/** Longest a stopping service waits for requests in flight (a webhook waits at most its ingest timeout, 10 s). */
const DRAIN_MS = 12_000;

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
  /** Aborted to stop while still starting (SIGTERM during start-up): what started is stopped. */
  signal?: AbortSignal | undefined;
}

export interface RunningService {
  url: string;
  port: number;
  /** The address listened on: 0.0.0.0, or loopback only. */
  host: string;
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

/** Stop taking connections; those still open are cut once `drained` settles (requests in flight finish first). */
async function closeServer(server: Server, drained: Promise<unknown> = Promise.resolve()): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await drained;
  server.closeAllConnections();
  await closed;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
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

/** Resolves with `work`, or rejects with InterruptedError as soon as `signal` aborts (what started is stopped by the caller). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason ?? new InterruptedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new InterruptedError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * `waba-pulse serve`: one HTTP server on PORT for Slack (`/slack/events`, or Socket Mode),
 * Teams (`/api/messages`), WhatsApp status webhooks, signed chart images (`/charts/<id>.png`),
 * `/healthz` and `/metrics`. The port is taken first; then the store opens, status webhooks are
 * taken (they never wait for a chat platform), and the chat platforms and the scheduler start.
 * Until its part is up a route answers 503 with Retry-After, and /healthz 503 naming what is not
 * up yet; whatever fails on the way (or a stop asked for) stops everything already started.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, logger } = options;
  const plan = servePlan(config);
  if (plan.problems[0]) throw plan.problems[0];
  const { platforms: enabled, webhooks } = plan;
  for (const t of plan.unposted) logger.warn(t, `${t.origin} posts to ${t.platform}, which is not set up here: nothing is posted there`);
  // Requests nobody authenticated may act as any conversation: only from this machine.
  const unauthenticated = enabled.map((p) => p.platform.unauthenticated(p.settings)).find(Boolean);
  const host = options.host ?? (unauthenticated ? '127.0.0.1' : '0.0.0.0');
  if (unauthenticated && !isLoopback(host)) {
    throw new ConfigError(
      unauthenticated,
      `accepts requests nobody authenticated, but serve would listen on ${host}`,
      'set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD, or listen on a loopback address (127.0.0.1) only',
    );
  }
  const now = options.now;
  const signal = options.signal;
  const lifecycle = new ServiceLifecycle([
    { path: WEBHOOK_PATH, part: 'whatsapp' },
    { path: '/metrics', part: 'metrics' },
    { path: '/charts', part: 'charts' },
    ...enabled.flatMap((p) => p.platform.paths(p.settings).map((path) => ({ path, part: p.platform.platform }))),
  ]);
  const web = express();
  // Express shows stack traces in error pages unless told it runs in production.
  web.set('env', 'production');
  web.disable('x-powered-by');
  web.use(lifecycle.handler());
  // Every route goes on this router as its part comes up; the 404 and the error handler stay behind it.
  const routes = express.Router();

  let store: Store | undefined;
  let ingest: StatusIngest | undefined;
  let scheduler: Scheduler | undefined;
  const surfaces: Partial<Record<Platform, ChatSurface>> = {};
  // Each platform's mode for /healthz: "starting" until it is up, "off" when not configured.
  const surfaceModes = () =>
    Object.fromEntries(
      CHAT_PLATFORMS.map((p) => [
        p.platform,
        surfaces[p.platform] && lifecycle.isUp(p.platform)
          ? surfaces[p.platform]!.mode
          : enabled.some((e) => e.platform === p)
            ? 'starting'
            : 'off',
      ]),
    );
  const whatsappState = () => (!webhooks ? 'off' : lifecycle.isUp('whatsapp') ? 'on' : 'starting');
  // The store's reason for failing a health check goes to the log (once per reason), never into the answer.
  let healthProblem: string | undefined;
  web.get('/healthz', async (_req, res) => {
    if (lifecycle.phase !== 'ready' || !store) {
      return void res.status(503).json({
        status: lifecycle.phase,
        store: store ? 'ok' : 'opening',
        scheduler: 'off',
        ...surfaceModes(),
        whatsapp: whatsappState(),
      });
    }
    // Healthy means the store answers; the scheduler's last tick says whether schedules run.
    try {
      await store.ping();
      healthProblem = undefined;
      // A store that answers pings but not the ingest's commits (a lock, a failover) is not healthy either.
      if (ingest?.lag().stalled)
        return void res.status(503).json({ status: 'degraded', store: 'ok', whatsapp: 'stalled', ingest: ingest.lag() });
      res.json({
        status: 'ok',
        store: 'ok',
        scheduler: scheduler?.state() ?? 'off',
        ...surfaceModes(),
        whatsapp: whatsappState(),
        ...(ingest ? { ingest: ingest.lag() } : {}),
      });
    } catch (err) {
      const reason = (err as Error).message;
      if (reason !== healthProblem)
        logger.warn({ code: (err as { code?: string }).code, reason }, 'health check: the store does not answer');
      healthProblem = reason;
      res.status(503).json({ status: 'degraded', store: 'unreachable' });
    }
  });
  web.use(routes);
  web.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  web.use(httpErrorHandler(logger));

  const server: Server = createServer(web);
  const port = await listen(server, options.port ?? config.env.port, host);
  logger.info({ port, host }, 'port taken; starting (routes answer 503 with Retry-After until their part is up)');

  // What has started, stopped newest first if a later step fails.
  const cleanups: Array<() => Promise<unknown>> = [() => closeServer(server)];
  const stopStarted = async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  };
  try {
    const opened =
      options.store ?? (await unlessAborted(openStore(config.env.databaseUrl, { logger: logger.child({ surface: 'store' }) }), signal));
    store = opened;
    if (!options.store) cleanups.push(() => opened.close());
    const metrics = new ServiceMetrics();
    // Status webhooks first: they need the store and nothing else, and Meta does not wait for Slack.
    if (webhooks) {
      ingest = new StatusIngest(opened, now, options.ingest);
      routes.use(
        webhookRouter({
          settings: webhooks,
          ingest,
          accounts: new Set(config.accounts.map((a) => a.id)),
          log: logger.child({ surface: 'whatsapp' }),
          now,
          counters: { requests: metrics.webhookRequests, events: metrics.webhookEvents },
          health: opened,
          numbers: new Map(config.accounts.map((a) => [a.id, a.phoneNumbers])),
        }),
      );
      lifecycle.partUp('whatsapp');
    }
    const graph = new GraphClient({ ...config.graph, logger, now, onCall: (info) => metrics.observeGraphCall(info) });
    cleanups.push(() => graph.close());
    const cache = new CachedAnalytics(graph, opened, now, logger.child({ surface: 'cache' }));
    const ctx: CommandContext = {
      config,
      env: options.env,
      store: opened,
      // Settled buckets come from the store; Graph is asked only for what may still change.
      graph: cache,
      charts: chartRenderer(config.env.chartRenderer, config.env.quickchartUrl),
      now,
      prefix: config.slack.command,
    };
    routes.get('/metrics', metricsRoute(metrics, config.env.metricsToken));
    lifecycle.partUp('metrics');
    if (!config.env.metricsToken && !isLoopback(host))
      logger.warn({ port }, '/metrics answers anyone who reaches this port: set METRICS_TOKEN to ask scrapers for a bearer token');
    const links = new ChartLinks({ baseUrl: config.env.publicBaseUrl ?? `http://127.0.0.1:${port}`, now });
    routes.get('/charts/:file', (req, res) => {
      const id = /^([a-f0-9]{32})\.png$/.exec(req.params.file)?.[1];
      const found = id
        ? links.fetch(id, req.query.exp as string | undefined, req.query.sig as string | undefined)
        : ({ status: 404 } as const);
      if (found.status === 200) res.type('image/png').set('cache-control', 'private, max-age=3600').send(found.png);
      else res.status(found.status).send(found.status === 403 ? 'forbidden' : 'not found');
    });
    lifecycle.partUp('charts');
    for (const { platform, settings } of enabled) {
      const surface = await platform.create(
        settings,
        { ...ctx, prefix: platform.prefix(config) },
        { links, log: logger.child({ surface: platform.platform }) },
      );
      // Mounted before it starts: its routes answer 503 (not 404) until it is up.
      surface.mount(routes);
      surfaces[platform.platform] = surface;
      cleanups.push(() => surface.stop());
      await unlessAborted(surface.start(), signal);
      lifecycle.partUp(platform.platform);
    }

    const deliver = async (platform: Platform, send: (surface: ChatSurface) => Promise<PostOutcome>): Promise<PostOutcome> => {
      const surface = surfaces[platform];
      return surface ? send(surface) : { delivered: false, reason: 'gone' };
    };
    // Digests and alert checks: one scheduler per replica; claims in the store keep them from
    // posting twice.
    const owner = `replica-${randomUUID().slice(0, 8)}`;
    const alerts = new AlertChecker({
      store: opened,
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
    const running = new Scheduler({
      owner,
      alerts,
      store: opened,
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
    scheduler = running;
    if (options.schedule !== false) running.start();
    // Replays and duplicates are remembered for minutes; forget them when they can no longer recur.
    const prune = setInterval(() => {
      const sql = opened as Partial<SqlStore>;
      void sql.pruneSeen?.(now()).catch(() => undefined);
      // Status counts are kept as long as Graph keeps analytics (and a month more for comparisons).
      void sql
        .pruneStatuses?.(
          config.accounts.map((a) => a.id),
          Math.floor(now() / 1000) - STATUS_RETENTION_SECONDS,
        )
        .catch(() => undefined);
      void sql.pruneHealthEvents?.(Math.floor(now() / 1000) - STATUS_RETENTION_SECONDS).catch(() => undefined);
    }, 10 * 60_000);
    prune.unref();
    lifecycle.ready();

    logger.info({ port, host, ...surfaceModes(), whatsapp: whatsappState() }, 'waba-pulse serving');
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      host,
      surfaces,
      slack: surfaces.slack,
      teams: surfaces.teams,
      links,
      store: opened,
      scheduler: running,
      metrics,
      ingest,
      async close() {
        // New requests get 503 (Meta sends them again, to this replica or another) while those in
        // flight finish; the ticks stop and posts in flight finish, unfinished claims go back;
        // then the chat platforms, Graph and the store close.
        clearInterval(prune);
        lifecycle.stopping();
        const drained = lifecycle.drained(DRAIN_MS);
        await Promise.all([running.stop(), closeServer(server, drained)]);
        for (const surface of Object.values(surfaces)) await surface.stop();
        await graph.close();
        if (!options.store) await opened.close();
      },
    };
  } catch (err) {
    await stopStarted();
    throw err;
  }
}

/** Prometheus text; with METRICS_TOKEN set, only for a scraper that presents it as a bearer token. */
function metricsRoute(metrics: ServiceMetrics, token: string | undefined) {
  return async (req: Request, res: Response) => {
    if (token && !sameSecret(/^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1], token)) {
      return void res.status(401).set('www-authenticate', 'Bearer').json({ error: 'unauthorized' });
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}
