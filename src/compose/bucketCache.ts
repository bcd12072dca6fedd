import { DateTime } from 'luxon';
import type { AnalyticsRequest, AnalyticsResult, AnalyticsSource, GraphAccount } from '../graph/client.js';
import type { Store } from '../store/types.js';

/**
 * Graph analytics with settled buckets kept in the store: a request reads what has settled
 * from the cache and asks Graph only for the recent window that may still change, so a check
 * every 30 minutes costs one small request per scope instead of a week of half hours — and a
 * WABA's ~200 calls an hour go much further. Each account/filter/granularity key covers one
 * contiguous span; a request reaching further back refetches it whole.
 */
/** How far back a key keeps buckets: the longest window a check or daily report reads, with room. */
const RETENTION_SECONDS = 45 * 86_400;

export class CachedAnalytics implements AnalyticsSource {
  hits = 0;
  misses = 0;

  constructor(
    private readonly source: AnalyticsSource,
    private readonly store: Store,
    private readonly now: () => number,
    private readonly defaultSettleMs = 2 * 3_600_000,
  ) {}

  private key(account: GraphAccount, req: AnalyticsRequest): string {
    return JSON.stringify([account.id, req.granularity, req.phoneNumbers ?? [], req.countryCodes ?? [], req.productTypes ?? []]);
  }

  /**
   * The last bucket boundary before which buckets are cached: twice the settle time back, since
   * a few deliveries still trickle in after a bucket counts as settled for alerting.
   */
  private settledBoundary(account: GraphAccount, req: AnalyticsRequest): number {
    const settledAt = Math.floor((this.now() - 2 * (account.settleMs ?? this.defaultSettleMs)) / 1000);
    if (req.granularity === 'HALF_HOUR') return Math.floor(settledAt / 1800) * 1800;
    const unit = req.granularity === 'DAY' ? 'day' : 'month';
    return DateTime.fromSeconds(settledAt, { zone: account.wabaTimezone }).startOf(unit).toSeconds();
  }

  async fetchAnalytics(account: GraphAccount, req: AnalyticsRequest): Promise<AnalyticsResult> {
    const key = this.key(account, req);
    const settled = this.settledBoundary(account, req);
    const coverage = await this.store.bucketCoverage(key);
    const { start, end } = req.range;
    if (!coverage || coverage.start > start || coverage.end <= start) {
      this.misses++;
      const fresh = await this.source.fetchAnalytics(account, req);
      const settledEnd = Math.min(settled, end);
      if (settledEnd > start) {
        await this.store.writeBuckets(key, { start, end: settledEnd }, fresh.points, { start, end: settledEnd, phoneNumbers: fresh.phoneNumbers, countryCodes: fresh.countryCodes });
      }
      return fresh;
    }
    this.hits++;
    const cachedEnd = Math.min(coverage.end, end);
    const cached = await this.store.readBuckets(key, start, cachedEnd);
    const listed = { phoneNumbers: coverage.phoneNumbers, countryCodes: coverage.countryCodes };
    if (cachedEnd >= end) return { points: cached, ...listed, granularity: req.granularity, range: req.range, notes: [], requests: 0 };
    // Only the part that may still change, or was never asked for, goes to Graph.
    const fresh = await this.source.fetchAnalytics(account, { ...req, range: { start: cachedEnd, end } });
    const newEnd = Math.min(settled, end);
    if (newEnd > coverage.end) {
      // Keep a bounded history per key: older buckets are dropped as the span moves on.
      const keepFrom = Math.max(coverage.start, newEnd - RETENTION_SECONDS);
      await this.store.writeBuckets(key, { start: coverage.end, end: newEnd }, fresh.points, {
        start: keepFrom,
        end: newEnd,
        phoneNumbers: [...new Set([...coverage.phoneNumbers, ...fresh.phoneNumbers])],
        countryCodes: [...new Set([...coverage.countryCodes, ...fresh.countryCodes])],
      });
    }
    return {
      ...fresh,
      points: [...cached, ...fresh.points.filter((p) => p.start >= cachedEnd)],
      phoneNumbers: [...new Set([...listed.phoneNumbers, ...fresh.phoneNumbers])],
      countryCodes: [...new Set([...listed.countryCodes, ...fresh.countryCodes])],
      range: req.range,
    };
  }
}
