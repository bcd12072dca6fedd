import { randomUUID } from 'node:crypto';
import { AlertChecker } from '../alerts/checker.js';
import type { CachedAnalytics } from '../cache/bucketCache.js';
import type { CommandContext } from '../chat/context.js';
import type { ChatSurface } from '../chat/surface.js';
import type { Config } from '../config/load.js';
import type { GraphClient } from '../graph/client.js';
import { Scheduler } from '../jobs/scheduler.js';
import type { Logger } from '../log.js';
import type { Platform, StoreWith } from '../store/types.js';
import type { PostOutcome } from '../vocabulary/chat.js';
import { alertRuleSource } from './alertRules.js';
import type { ServiceMetrics } from './metrics.js';

/** How long status webhook counts are kept: Graph's year of analytics, and a month for comparisons. */
export const STATUS_RETENTION_SECONDS = 395 * 86_400;

/** How often what can no longer recur (replay marks, status counts past their year) is forgotten. */
const PRUNE_EVERY_MS = 10 * 60_000;

export interface JobsOptions {
  config: Config;
  /** The alert checks' and digests' repositories, and those pruned now and then. */
  store: StoreWith<'runs' | 'alerts' | 'preferences' | 'statuses' | 'seen' | 'health' | 'rules'>;
  ctx: CommandContext;
  cache: CachedAnalytics;
  graph: GraphClient;
  metrics: ServiceMetrics;
  logger: Logger;
  /** The chat surfaces up, by platform: posts go to the one a target names. */
  surfaces: Partial<Record<Platform, ChatSurface>>;
  /** Run the ticks (tests drive them themselves). */
  schedule: boolean;
  now: () => number;
}

/**
 * What `serve` runs on its own: the alert checks and digests of one replica (claims in the store
 * keep replicas from posting twice), posting through whichever chat surface a target names, and
 * the pruning of what the store no longer needs.
 */
export function startJobs(options: JobsOptions): { scheduler: Scheduler; stop(): Promise<void> } {
  const { config, store, ctx, cache, graph, metrics, logger, surfaces, now } = options;
  const deliver = async (platform: Platform, send: (surface: ChatSurface) => Promise<PostOutcome>): Promise<PostOutcome> => {
    const surface = surfaces[platform];
    return surface ? send(surface) : { delivered: false, reason: 'gone' };
  };
  const owner = `replica-${randomUUID().slice(0, 8)}`;
  const alerts = new AlertChecker({
    store,
    ctx,
    owner,
    metrics,
    settleCurves: cache.settleCurves,
    rules: alertRuleSource(config, store, logger.child({ surface: 'alerts' })),
    budget: { callsInLastHour: (id) => graph.usage.callsInLastHour(id), callsPerHour: config.graph.callsPerHour },
    logger: logger.child({ surface: 'alerts' }),
    delivery: {
      post: (target, alert) => deliver(target.platform, (surface) => surface.postAlert(target.conversation, alert)),
      update: (target, ref, alert) => deliver(target.platform, (surface) => surface.updateAlert(target.conversation, ref, alert)),
      reply: (target, ref, alert, kind) =>
        deliver(target.platform, (surface) => surface.replyToAlert(target.conversation, ref, alert, kind)),
    },
  });
  const scheduler = new Scheduler({
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
  if (options.schedule) scheduler.start();
  const prune = setInterval(() => {
    // Replays and duplicates are remembered for minutes; forget them when they can no longer recur.
    void store.seen.pruneSeen(now()).catch(() => undefined);
    // Status counts are kept as long as Graph keeps analytics (and a month more for comparisons).
    void store.statuses
      .pruneStatuses(
        config.accounts.map((a) => a.id),
        Math.floor(now() / 1000) - STATUS_RETENTION_SECONDS,
      )
      .catch(() => undefined);
    void store.health.pruneHealthEvents(Math.floor(now() / 1000) - STATUS_RETENTION_SECONDS).catch(() => undefined);
  }, PRUNE_EVERY_MS);
  prune.unref();
  return {
    scheduler,
    async stop() {
      // Stop ticking, let posts in flight finish, give back unfinished claims.
      clearInterval(prune);
      await scheduler.stop();
    },
  };
}
