import { DateTime } from 'luxon';
import { normalizeSeries } from '../analytics/normalize.js';
import type { AnalyticsRequest, AnalyticsResult, AnalyticsSource, GraphAccount } from '../graph/client.js';
import { type Logger, silentLogger } from '../log.js';
import { type BucketCoverage, type CachedBucket, coversStart, type StoreWith } from '../store/types.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { SettleLearner } from './settleLearning.js';

/**
 * Graph analytics with settled buckets kept in the store: a request reads what has settled
 * from the cache and asks Graph only for the recent window that may still change, so a check
 * every 30 minutes costs one small request per scope instead of a week of half hours — and a
 * WABA's ~200 calls an hour go much further. Each account/filter/granularity key covers one
 * contiguous span; a request reaching further back refetches it whole.
 *
 * The cache is an optimisation, never a dependency: with the database down every request goes
 * to Graph whole, and the result says so in a note. Reports asking at once (slash commands,
 * digests, alert checks, on any replica) each keep what they fetched: the store has writers of
 * one key take turns and joins their spans, and a write that fails anyway is only logged.
 */
/**
 * How far back a key keeps buckets, by granularity: half hours, the longest window a check or a
 * half-hourly report reads, with room (45 days); days and months, a year's report and its
 * previous year (a day is one row a key — at 45 days, every monthly report after a 30-day one
 * refetched its months from Graph).
 */
const RETENTION_SECONDS: Record<AnalyticsRequest['granularity'], number> = {
  HALF_HOUR: 45 * 86_400,
  DAY: 800 * 86_400,
  MONTH: 800 * 86_400,
};
const DEFAULT_SETTLE_MS = 2 * 3_600_000;
export const CACHE_DOWN_NOTE = 'The bucket cache is unavailable (database unreachable): everything was fetched from Graph.';

export class CachedAnalytics implements AnalyticsSource {
  hits = 0;
  misses = 0;
  /** Each account's settle curve, learned from the young buckets this cache sees refetched. */
  readonly settleCurves: SettleLearner;

  constructor(
    private readonly source: AnalyticsSource,
    private readonly store: StoreWith<'buckets'>,
    private readonly now: () => number,
    private readonly log: Logger = silentLogger,
  ) {
    this.settleCurves = new SettleLearner(store, now, log);
  }

  private key(account: GraphAccount, req: AnalyticsRequest): string {
    return JSON.stringify([account.id, req.granularity, req.phoneNumbers ?? [], req.countryCodes ?? [], req.productTypes ?? []]);
  }

  /**
   * The last bucket boundary before which buckets are cached: twice the account's settle time
   * back, since a few deliveries still trickle in after a bucket counts as settled for alerting.
   */
  private settledBoundary(account: GraphAccount, req: AnalyticsRequest): number {
    const settledAt = Math.floor((this.now() - 2 * (account.settleMs ?? DEFAULT_SETTLE_MS)) / 1000);
    if (req.granularity === 'HALF_HOUR') return Math.floor(settledAt / 1800) * 1800;
    const unit = req.granularity === 'DAY' ? 'day' : 'month';
    return DateTime.fromSeconds(settledAt, { zone: account.wabaTimezone }).startOf(unit).toSeconds();
  }

  /** What a request would cost now: nothing when the cache holds it all, only the recent part when it holds the rest. */
  async plannedCalls(account: GraphAccount, req: AnalyticsRequest): Promise<number> {
    const fresh = (range: AnalyticsRequest['range']) =>
      this.source.plannedCalls ? this.source.plannedCalls(account, { ...req, range }) : Promise.resolve(1);
    let coverage: BucketCoverage | undefined;
    try {
      coverage = await this.store.buckets.bucketCoverage(this.key(account, req));
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      return fresh(req.range);
    }
    const { start, end } = req.range;
    if (!coversStart(coverage, start)) return fresh(req.range);
    return coverage.end >= end ? 0 : fresh({ start: coverage.end, end });
  }

  /** What the cache holds of the request: the key's span, and its buckets from the request's start. */
  private async lookup(key: string, req: AnalyticsRequest) {
    const kept = await this.store.buckets.readCovered(key, req.range.start, req.range.end);
    return kept && { ...kept, cachedEnd: Math.min(kept.coverage.end, req.range.end) };
  }

  async fetchAnalytics(account: GraphAccount, req: AnalyticsRequest): Promise<AnalyticsResult> {
    const key = this.key(account, req);
    let kept: Awaited<ReturnType<CachedAnalytics['lookup']>>;
    try {
      kept = await this.lookup(key, req);
    } catch (err) {
      // Unreadable for any reason, the cache is skipped: Graph answers the whole request.
      const down = isStoreUnavailable(err);
      this.log.warn(
        { account: account.name, err: (err as Error).message },
        `bucket cache ${down ? 'unavailable' : 'unreadable'}; asking Graph for everything`,
      );
      const fresh = await this.source.fetchAnalytics(account, req);
      return down ? { ...fresh, notes: [...fresh.notes, CACHE_DOWN_NOTE] } : fresh;
    }
    const settled = this.settledBoundary(account, req);
    const { start, end } = req.range;
    if (!kept) {
      this.misses++;
      const fresh = await this.source.fetchAnalytics(account, req);
      if (req.granularity === 'HALF_HOUR') this.settleCurves.observe(account.id, key, fresh.points);
      const settledEnd = Math.min(settled, end);
      if (settledEnd > start) await this.keep(account, key, req, { start, end: settledEnd }, fresh);
      return fresh;
    }
    this.hits++;
    const { coverage, cachedEnd } = kept;
    const listed = { phoneNumbers: coverage.phoneNumbers, countryCodes: coverage.countryCodes };
    if (cachedEnd >= end) return { points: kept.points, ...listed, granularity: req.granularity, range: req.range, notes: [], requests: 0 };
    // Only the part that may still change, or was never asked for, goes to Graph — from a month
    // earlier for MONTH, which Graph refuses over less than about a month.
    const from =
      req.granularity === 'MONTH'
        ? DateTime.fromSeconds(cachedEnd, { zone: account.wabaTimezone }).minus({ months: 1 }).toSeconds()
        : cachedEnd;
    const fresh = await this.source.fetchAnalytics(account, { ...req, range: { start: from, end } });
    if (req.granularity === 'HALF_HOUR') this.settleCurves.observe(account.id, key, fresh.points);
    const newEnd = Math.min(settled, end);
    // Keep a bounded history per key: older buckets are dropped as the span moves on.
    if (newEnd > coverage.end)
      await this.keep(account, key, req, { start: coverage.end, end: newEnd }, fresh, newEnd - RETENTION_SECONDS[req.granularity]);
    return {
      ...fresh,
      points: [...kept.points, ...fresh.points.filter((p) => p.start >= cachedEnd)],
      phoneNumbers: [...new Set([...listed.phoneNumbers, ...fresh.phoneNumbers])],
      countryCodes: [...new Set([...listed.countryCodes, ...fresh.countryCodes])],
      range: req.range,
    };
  }

  /**
   * Store the settled buckets of `span`. Normalised first: a duplicated bucket is kept once, and a
   * bucket Graph answered twice with different counts is not cached (the report itself refuses
   * it). Graph has answered by now: a store failure of any kind here — unreachable, a constraint,
   * a deadlock — is logged and loses only the saving, never the report.
   */
  private async keep(
    account: GraphAccount,
    key: string,
    req: AnalyticsRequest,
    span: { start: number; end: number },
    fresh: AnalyticsResult,
    keepFrom?: number,
  ): Promise<void> {
    let points: CachedBucket[];
    try {
      points = normalizeSeries(fresh.points).points;
      await this.store.buckets.writeBuckets(
        key,
        span,
        points,
        { phoneNumbers: fresh.phoneNumbers, countryCodes: fresh.countryCodes },
        keepFrom,
      );
    } catch (err) {
      const down = isStoreUnavailable(err);
      this.log.warn(
        { account: account.name, err: (err as Error).message },
        `bucket cache not saved${down ? ': database unavailable' : ''}`,
      );
      if (down) fresh.notes.push(CACHE_DOWN_NOTE);
      return;
    }
    if (req.granularity === 'HALF_HOUR')
      await this.settleCurves.settle(
        account.id,
        key,
        points.filter((p) => p.start >= span.start && p.start < span.end),
      );
  }
}
