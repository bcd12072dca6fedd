import { createServer, type Server } from 'node:http';
import express from 'express';
import { CachedAnalytics } from '../cache/bucketCache.js';
import { ChartLinks } from '../charts/links.js';
import { chartRenderer } from '../charts/render.js';
import type { CommandContext } from '../chat/context.js';
import type { ChatSurface } from '../chat/surface.js';
import { CHAT_PLATFORMS } from '../chatPlatforms.js';
import { ViewCache } from '../compose/accountViews.js';
import { graphAccountsFrom } from '../compose/graphAccount.js';
import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { GraphClient } from '../graph/client.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { Logger } from '../log.js';
import { openStore } from '../store/sql.js';
import type { Platform, Store } from '../store/types.js';
import { type IngestLimits, StatusIngest } from '../whatsapp/ingest.js';
import { WEBHOOK_PATH } from '../whatsapp/settings.js';
import { webhookRouter } from '../whatsapp/webhook.js';
import { healthRoute } from './health.js';
import { closeServer, httpErrorHandler, isLoopback, listen, metricsRoute, mountChartImages, unlessAborted } from './http.js';
import { startJobs } from './jobs.js';
import { ServiceLifecycle } from './lifecycle.js';
import { ServiceMetrics } from './metrics.js';
import { type ServePlan, servePlan } from './plan.js';

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
  links: ChartLinks;
  scheduler: Scheduler;
  metrics: ServiceMetrics;
  store: Store;
  /** WhatsApp status webhooks, when configured. */
  ingest: StatusIngest | undefined;
  close(): Promise<void>;
}

/**
 * `waba-pulse serve`: one HTTP server on PORT for the chat platforms (Slack's `/slack/events` or
 * Socket Mode, Teams' `/api/messages`), WhatsApp status webhooks, signed chart images
 * (`/charts/<id>.png`), `/healthz` and `/metrics`. The port is taken first; then the store opens,
 * status webhooks are taken (they never wait for a chat platform), and the chat platforms and the
 * scheduler start. Until its part is up a route answers 503 with Retry-After, and /healthz 503
 * naming what is not up yet; whatever fails on the way (or a stop asked for) stops everything
 * already started.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const plan = servePlan(options.config);
  if (plan.problems[0]) throw plan.problems[0];
  for (const t of plan.unposted)
    options.logger.warn(t, `${t.origin} posts to ${t.platform}, which is not set up here: nothing is posted there`);
  // Requests nobody authenticated may act as any conversation: only from this machine.
  const unauthenticated = plan.platforms.map((p) => p.platform.unauthenticated(p.settings)).find(Boolean);
  const host = options.host ?? (unauthenticated ? '127.0.0.1' : '0.0.0.0');
  if (unauthenticated && !isLoopback(host)) {
    throw new ConfigError(
      unauthenticated.key,
      `accepts requests nobody authenticated, but serve would listen on ${host}`,
      `${unauthenticated.fix}, or listen on a loopback address (127.0.0.1) only`,
    );
  }
  return new StartingService(options, plan, host).start();
}

/** A service on its way up: each step of start-up a method, and what has started stopped newest first if a later one fails. */
class StartingService {
  private readonly lifecycle: ServiceLifecycle;
  private readonly web = express();
  /** Every route goes on this router as its part comes up; the 404 and the error handler stay behind it. */
  private readonly routes = express.Router();
  private readonly surfaces: Partial<Record<Platform, ChatSurface>> = {};
  private readonly cleanups: Array<() => Promise<unknown>> = [];
  private readonly metrics = new ServiceMetrics();
  private store: Store | undefined;
  private ingest: StatusIngest | undefined;
  private scheduler: Scheduler | undefined;

  constructor(
    private readonly options: ServiceOptions,
    private readonly plan: ServePlan,
    private readonly host: string,
  ) {
    this.lifecycle = new ServiceLifecycle([
      { path: WEBHOOK_PATH, part: 'whatsapp' },
      { path: '/metrics', part: 'metrics' },
      { path: '/charts', part: 'charts' },
      ...plan.platforms.flatMap((p) => p.platform.paths(p.settings).map((path: string) => ({ path, part: p.platform.config.key }))),
    ]);
    // Express shows stack traces in error pages unless told it runs in production.
    this.web.set('env', 'production');
    this.web.disable('x-powered-by');
    this.web.use(this.lifecycle.handler());
    const service = this;
    this.web.get(
      '/healthz',
      healthRoute(
        {
          phase: () => this.lifecycle.phase,
          // Once the store is open, /healthz pings it.
          get ping() {
            const store = service.store;
            return store ? () => store.ping() : undefined;
          },
          scheduler: () => this.scheduler?.state() ?? 'off',
          surfaces: () => this.surfaceModes(),
          whatsapp: () => this.whatsappState(),
          ingest: () => this.ingest?.lag(),
        },
        options.logger,
      ),
    );
    this.web.use(this.routes);
    this.web.use((_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    this.web.use(httpErrorHandler(options.logger));
  }

  /** Each platform's mode for /healthz: "starting" until it is up, "off" when not configured. */
  private surfaceModes(): Record<string, string> {
    return Object.fromEntries(
      CHAT_PLATFORMS.map((p) => {
        const key = p.config.key;
        const surface = this.surfaces[key];
        const mode =
          surface && this.lifecycle.isUp(key) ? surface.mode : this.plan.platforms.some((e) => e.platform === p) ? 'starting' : 'off';
        return [key, mode];
      }),
    );
  }

  private whatsappState(): 'on' | 'off' | 'starting' {
    return !this.plan.webhooks ? 'off' : this.lifecycle.isUp('whatsapp') ? 'on' : 'starting';
  }

  async start(): Promise<RunningService> {
    const { config, logger, signal } = this.options;
    const server: Server = createServer(this.web);
    const port = await listen(server, this.options.port ?? config.env.port, this.host);
    logger.info({ port, host: this.host }, 'port taken; starting (routes answer 503 with Retry-After until their part is up)');
    this.cleanups.push(() => closeServer(server));
    try {
      const store = await this.openStore();
      this.takeWebhooks(store);
      const graph = new GraphClient({
        ...config.graph,
        logger,
        now: this.options.now,
        onCall: (info) => this.metrics.observeGraphCall(info),
      });
      this.cleanups.push(() => graph.close());
      const cache = new CachedAnalytics(graph, store, this.options.now, logger.child({ surface: 'cache' }));
      const ctx = this.commandContext(store, cache, graph);
      const links = this.mountOwnRoutes(port);
      for (const { platform, settings } of this.plan.platforms) {
        const surface = await platform.create(
          settings,
          { ...ctx, prefix: platform.prefix(config) },
          { links, log: logger.child({ surface: platform.config.key }) },
        );
        // Mounted before it starts: its routes answer 503 (not 404) until it is up.
        surface.mount(this.routes);
        this.surfaces[platform.config.key] = surface;
        this.cleanups.push(() => surface.stop());
        await unlessAborted(surface.start(), signal);
        this.lifecycle.partUp(platform.config.key);
      }
      const jobs = startJobs({
        config,
        store,
        ctx,
        cache,
        graph,
        metrics: this.metrics,
        logger,
        surfaces: this.surfaces,
        schedule: this.options.schedule !== false,
        now: this.options.now,
      });
      this.scheduler = jobs.scheduler;
      this.lifecycle.ready();
      logger.info({ port, host: this.host, ...this.surfaceModes(), whatsapp: this.whatsappState() }, 'waba-pulse serving');
      return this.running(server, port, store, graph, links, jobs);
    } catch (err) {
      while (this.cleanups.length) await this.cleanups.pop()!().catch(() => undefined);
      throw err;
    }
  }

  private async openStore(): Promise<Store> {
    const { config, logger, signal } = this.options;
    const store =
      this.options.store ??
      (await unlessAborted(openStore(config.env.databaseUrl, { logger: logger.child({ surface: 'store' }) }), signal));
    if (!this.options.store) this.cleanups.push(() => store.close());
    this.store = store;
    return store;
  }

  /** Status webhooks first: they need the store and nothing else, and Meta does not wait for a chat platform. */
  private takeWebhooks(store: Store): void {
    const { config, logger } = this.options;
    if (!this.plan.webhooks) return;
    this.ingest = new StatusIngest(store, this.options.now, this.options.ingest);
    this.routes.use(
      webhookRouter({
        settings: this.plan.webhooks,
        ingest: this.ingest,
        accounts: new Set(config.accounts.map((a) => a.id)),
        log: logger.child({ surface: 'whatsapp' }),
        now: this.options.now,
        counters: { requests: this.metrics.webhookRequests, events: this.metrics.webhookEvents },
        health: store.health,
        numbers: new Map(config.accounts.map((a) => [a.id, a.phoneNumbers])),
      }),
    );
    this.lifecycle.partUp('whatsapp');
  }

  private commandContext(store: Store, cache: CachedAnalytics, graph: GraphClient): CommandContext {
    const { config } = this.options;
    return {
      config,
      accounts: graphAccountsFrom(this.options.env),
      store,
      // Settled buckets come from the store; Graph is asked only for what may still change.
      graph: cache,
      // Health, cost and templates: the WABA node through the same client, settled days in memory.
      views: { graph, cache: new ViewCache(), events: store },
      charts: chartRenderer(config.env.chartRenderer, config.env.quickchartUrl),
      now: this.options.now,
      // Each surface gets its own; what posts on a schedule types no command.
      prefix: '',
      prefixes: CHAT_PLATFORMS.map((p) => p.prefix(config)),
    };
  }

  /** /metrics and the chart images: the service's own routes besides the platforms'. */
  private mountOwnRoutes(port: number): ChartLinks {
    const { config, logger } = this.options;
    this.routes.get('/metrics', metricsRoute(this.metrics, config.env.metricsToken));
    this.lifecycle.partUp('metrics');
    if (!config.env.metricsToken && !isLoopback(this.host))
      logger.warn({ port }, '/metrics answers anyone who reaches this port: set METRICS_TOKEN to ask scrapers for a bearer token');
    const links = new ChartLinks({ baseUrl: config.env.publicBaseUrl ?? `http://127.0.0.1:${port}`, now: this.options.now });
    mountChartImages(this.routes, links);
    this.lifecycle.partUp('charts');
    return links;
  }

  private running(
    server: Server,
    port: number,
    store: Store,
    graph: GraphClient,
    links: ChartLinks,
    jobs: ReturnType<typeof startJobs>,
  ): RunningService {
    const { lifecycle, surfaces, options } = this;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      host: this.host,
      surfaces,
      links,
      store,
      scheduler: jobs.scheduler,
      metrics: this.metrics,
      ingest: this.ingest,
      async close() {
        // New requests get 503 (Meta sends them again, to this replica or another) while those in
        // flight finish; the ticks stop and posts in flight finish, unfinished claims go back;
        // then the chat platforms, Graph and the store close.
        lifecycle.stopping();
        const drained = lifecycle.drained(DRAIN_MS);
        await Promise.all([jobs.stop(), closeServer(server, drained)]);
        for (const surface of Object.values(surfaces)) await surface?.stop();
        await graph.close();
        if (!options.store) await store.close();
      },
    };
  }
}
