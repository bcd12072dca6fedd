import { arrivedAt, type SettleCurve } from '../../analytics/settle.js';
import type { AnalyticsRequest, AnalyticsResult, AnalyticsSource, GraphAccount } from '../../graph/client.js';
import type { DataPoint } from '../../vocabulary/series.js';

export type Filter = Pick<AnalyticsRequest, 'phoneNumbers' | 'countryCodes' | 'productTypes'>;
export const filterKey = (f: Filter) => JSON.stringify([f.phoneNumbers ?? [], f.countryCodes ?? [], f.productTypes ?? []]);

/** Deterministic noise in -1..1 for a bucket: arrivals that vary from bucket to bucket, repeatably. */
function jitter(start: number): number {
  let h = Math.imul(start ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (((h ^ (h >>> 16)) >>> 0) / 4294967296) * 2 - 1;
}

/**
 * The prefetched window, answered as of a moving clock: nothing after it, and buckets younger
 * than the settle time with the share of their deliveries the settle curve says had arrived —
 * exactly that share, or (`arrivalSpread`) a share that varies by bucket within the curve's
 * own spread, as real arrivals do.
 */
export class ReplaySource implements AnalyticsSource {
  asOfMs = 0;
  constructor(
    private readonly data: Map<string, { points: DataPoint[]; phoneNumbers: string[]; countryCodes: string[] }>,
    private readonly curve: SettleCurve,
    private readonly settleMs: number,
    private readonly arrivalSpread = false,
  ) {}

  async fetchAnalytics(_account: GraphAccount, req: AnalyticsRequest): Promise<AnalyticsResult> {
    const stored = this.data.get(filterKey(req));
    const asOf = this.asOfMs / 1000;
    const points: DataPoint[] = [];
    if (stored) {
      const all = stored.points;
      // Points are sorted: skip to the range with a binary search.
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (all[mid]!.start < req.range.start) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < all.length; i++) {
        const p = all[i]!;
        if (p.start >= req.range.end || p.end > asOf) break;
        const ageMinutes = (this.asOfMs - p.end * 1000) / 60_000;
        if (ageMinutes * 60_000 >= this.settleMs) points.push(p);
        else {
          const arrived = arrivedAt(this.curve, ageMinutes);
          const share = this.arrivalSpread
            ? Math.min(1, Math.max(0, arrived.fraction + arrived.sd * 1.7 * jitter(p.start)))
            : arrived.fraction;
          points.push({ start: p.start, end: p.end, sent: p.sent, delivered: Math.round(p.delivered * share) });
        }
      }
    }
    return {
      points,
      phoneNumbers: stored?.phoneNumbers ?? [],
      countryCodes: stored?.countryCodes ?? [],
      granularity: req.granularity,
      range: req.range,
      notes: [],
      requests: 0,
    };
  }
}
