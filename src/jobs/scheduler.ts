import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import cron, { type ScheduledTask } from 'node-cron';
import pLimit from 'p-limit';
import { chartedDigest } from '../compose/digestViews.js';
import type { ChartedReport, ReportDeps } from '../compose/request.js';
import { lookupAccount } from '../config/accounts.js';
import type { Logger } from '../log.js';
import { formatDuration } from '../report/format.js';
import { redactSecrets } from '../secrets.js';
import { OwedWrites } from '../store/owedWrites.js';
import type { ChatTarget, RunOutcome, StoreWith } from '../store/types.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { allDigests, type DigestDefinition, digestOccurrences, digestReport } from './digests.js';

/** Delivers a digest to a Slack channel or Teams conversation; false when the target is gone. */
export type DigestPoster = (target: ChatTarget, result: ChartedReport) => Promise<boolean>;

export interface SchedulerOptions {
  store: StoreWith<'runs' | 'preferences'>;
  ctx: ReportDeps;
  post: DigestPoster;
  logger: Logger;
  /** This process, as it signs its claims. */
  owner?: string;
  /** Digests missed by less than this are still sent (on start, after downtime). */
  graceMs?: number;
  /** A claim unfinished for this long belongs to a process that died; another may take it. */
  leaseMs?: number;
  attempts?: number;
  retryBaseMs?: number;
  metrics?: { runs: { inc(labels: { job: string; outcome: string }): void } };
  /** Alert checks ride on the same minute tick. */
  alerts?: { tick(now: number): Promise<void> } | undefined;
}

export interface TickSummary {
  posted: number;
  failed: number;
  skipped: number;
}

const LOOKBACK_MS = 7 * 86_400_000;
const DIGEST_CONCURRENCY = 8;

/**
 * Runs digests — those under `digests:` in the config and those subscribed from chat, through one
 * path (`digests.ts`) — and, when given, alert checks: every minute (node-cron, no overlap) each
 * digest's occurrences that fell due are claimed in the store by job and period before anything
 * is posted, so several replicas on one PostgreSQL, or a restart mid-run, post each digest once
 * to each target. Missed digests inside the grace window are sent late; older ones are recorded
 * as skipped. A failed post is retried with backoff, then recorded as failed (`waba-pulse runs`).
 */
export class Scheduler {
  readonly owner: string;
  private readonly graceMs: number;
  private readonly leaseMs: number;
  private readonly attempts: number;
  private readonly retryBaseMs: number;
  private task: ScheduledTask | undefined;
  private lastTick: number | undefined;
  private inFlight: Promise<TickSummary> | undefined;
  /** Outcomes of posts made while the store could not record them: recorded at the next tick. */
  private readonly unrecorded = new OwedWrites();

  constructor(private readonly options: SchedulerOptions) {
    this.owner = options.owner ?? `replica-${randomUUID().slice(0, 8)}`;
    this.graceMs = options.graceMs ?? 6 * 3_600_000;
    this.leaseMs = options.leaseMs ?? 10 * 60_000;
    this.attempts = options.attempts ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 2_000;
  }

  /** Do what is due at `now` (the clock is the context's unless given). */
  async tick(now = this.options.ctx.now()): Promise<TickSummary> {
    const summary: TickSummary = { posted: 0, failed: 0, skipped: 0 };
    await this.unrecorded.settle();
    // The first tick looks back a week to record what downtime skipped; every tick looks at the
    // grace window, so a claim left behind by a replica that died is picked up once its lease
    // ends, and a digest the store could not claim during an outage is claimed after it.
    const from = Math.min(this.lastTick ?? now - LOOKBACK_MS, now - this.graceMs);
    this.lastTick = now;
    try {
      await this.runDigests(from, now, summary);
    } catch (err) {
      // The store is down: nothing was claimed, so the next tick tries the same digests again.
      this.options.logger.warn({ err: redactSecrets((err as Error).message) }, 'digests not run this minute');
    }
    // Alert checks do not wait on digests, nor fail with them.
    await this.options.alerts?.tick(now).catch((err: unknown) => {
      this.options.logger.warn({ err: redactSecrets((err as Error).message) }, 'alert checks not run this minute');
    });
    return summary;
  }

  private async runDigests(from: number, now: number, summary: TickSummary): Promise<void> {
    // Digests due at the same minute (every subscription at 09:00) go out several at a time.
    const limit = pLimit(DIGEST_CONCURRENCY);
    const work: Array<Promise<void>> = [];
    // The config's digests and the chat subscriptions, through one path (jobs/digests.ts).
    const digests = allDigests(this.options.ctx.config, await this.options.store.preferences.listSubscriptions());
    for (const digest of digests) {
      for (const occurrence of digestOccurrences(digest, from, now)) {
        work.push(
          limit(async () => {
            let outcome: keyof TickSummary | undefined;
            try {
              outcome = await this.runDigest(digest, occurrence, now);
            } catch (err) {
              this.options.logger.warn(
                { job: digest.job, period: occurrence.period, err: redactSecrets((err as Error).message) },
                'digest not run: the store failed; retried next tick',
              );
            }
            if (outcome) {
              summary[outcome]++;
              this.options.metrics?.runs.inc({ job: 'digest', outcome });
            }
          }),
        );
      }
    }
    await Promise.all(work);
  }

  /**
   * Record how a run ended. When the store fails right after a post, the outcome is kept and
   * recorded at the next tick, so the claim is never left to look abandoned (and posted again).
   */
  private async finish(job: string, period: string, outcome: RunOutcome): Promise<void> {
    const at = this.options.ctx.now();
    try {
      await this.options.store.runs.finishRun(job, period, outcome, at);
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      this.options.logger.warn(
        { job, period, status: outcome.status },
        'run outcome not recorded: store unavailable; will record at the next tick',
      );
      this.unrecorded.owe(`${job}\u0000${period}`, () => this.options.store.runs.finishRun(job, period, outcome, at));
    }
  }

  private async runDigest(
    digest: DigestDefinition,
    occurrence: { at: number; period: string },
    now: number,
  ): Promise<keyof TickSummary | undefined> {
    const { store, ctx, logger } = this.options;
    const job = digest.job;
    if (!(await store.runs.claimRun(job, occurrence.period, this.owner, now, this.leaseMs))) return undefined;
    const late = now - occurrence.at;
    if (late > this.graceMs) {
      await store.runs.finishRun(
        job,
        occurrence.period,
        { status: 'skipped', detail: `missed by ${formatDuration(late)} (grace ${formatDuration(this.graceMs)})`, attempts: 0 },
        now,
      );
      return 'skipped';
    }
    const account = lookupAccount(ctx.config.accounts, digest.accountId);
    if (!account) {
      await store.runs.finishRun(
        job,
        occurrence.period,
        { status: 'failed', detail: `account ${digest.accountId} is no longer configured`, attempts: 0 },
        now,
      );
      return 'failed';
    }
    const spec = digestReport(digest, account, occurrence.at);
    let lastError = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const result = await chartedDigest(ctx, account, spec, { every: digest.every, dueAtMs: occurrence.at });
        const delivered = await this.options.post(digest.target, result);
        await this.finish(
          job,
          occurrence.period,
          delivered ? { status: 'posted', attempts: attempt } : { status: 'failed', detail: 'the conversation is gone', attempts: attempt },
        );
        return delivered ? 'posted' : 'failed';
      } catch (err) {
        if (isStoreUnavailable(err)) throw err;
        lastError = redactSecrets((err as Error).message);
        logger.warn({ job, period: occurrence.period, attempt, err: lastError }, 'digest failed');
        if (attempt < this.attempts) await sleep(this.retryBaseMs * 2 ** (attempt - 1));
      }
    }
    await this.finish(job, occurrence.period, { status: 'failed', detail: lastError, attempts: this.attempts });
    return 'failed';
  }

  start(): void {
    this.task = cron.schedule(
      '* * * * *',
      async () => {
        this.inFlight = this.tick();
        try {
          await this.inFlight;
        } catch (err) {
          this.options.logger.error({ err }, 'scheduler tick failed');
        }
      },
      { noOverlap: true, name: 'waba-pulse digests' },
    );
    // Catch up at once rather than at the next minute.
    void this.task.execute().catch(() => undefined);
  }

  /** For /healthz: when the last tick ran, and outcomes waiting for the store. */
  state(): { lastTick: string | null; owner: string; unrecorded: number } {
    return {
      lastTick: this.lastTick === undefined ? null : new Date(this.lastTick).toISOString(),
      owner: this.owner,
      unrecorded: this.unrecorded.size,
    };
  }

  /** Stop ticking, let a tick in progress finish its posts, give back unfinished claims. */
  async stop(): Promise<void> {
    await this.task?.stop();
    await this.inFlight?.catch(() => undefined);
    await this.unrecorded.settle();
    await this.options.store.runs.releaseRuns(this.owner).catch(() => 0);
  }
}
