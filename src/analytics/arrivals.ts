import type { SeriesPoint } from './buckets.js';
import { cautiousShare } from './settle.js';

/** What `arrivalsFromSiblings` needs of a series and its judgement: bucket by bucket, aligned. */
export interface JudgedSeries {
  series: readonly SeriesPoint[];
  /** The rate each bucket was expected to deliver (NaN when unknown). */
  expected: ArrayLike<number>;
  /** The scope's noise beyond the binomial (rate units; not finite when unknown). */
  tau: number;
  /** Spans (bucket starts, end exclusive) in which the scope drops itself and so says nothing of arrivals. */
  dropping?: ReadonlyArray<{ start: number; end: number }> | undefined;
}

/** Sent by the siblings in a bucket before their deliveries say anything of the share in. */
const MIN_SIBLINGS_SENT = 100;

/**
 * A scope's young buckets with the share of their deliveries in read from its siblings (the
 * account's other numbers, or other countries) as well as from the curve. Graph's analytics lag
 * is the account's, not a number's or a country's: what the siblings of a young bucket show
 * against what each was expected to deliver says what share has arrived, to within their own
 * noise (each sibling's τ and the binomial) — far closer than the curve's spread from bucket to
 * bucket, so a number or country dropping alone is seen half an hour sooner. Each sibling is read
 * against its own expected rate, so a change in the mix between them is no change in arrivals.
 * The two readings are combined as independent normal estimates (precision-weighted), the
 * siblings' given a spread of half the curve's beside their noise, for arrivals that do differ
 * between scopes (an audience asleep). The young bucket is read two spreads under the share,
 * as on the curve alone — and on the curve alone where that is less cautious: siblings showing
 * fewer deliveries in than the curve expects may be slow, or may be dropping together (an
 * account-wide drop not yet seen), and a check cannot tell which. A sibling seen dropping is
 * left out where it drops (`dropping`), so that a second drop is not hidden behind the first.
 * Undefined when no bucket changed. Pure.
 */
export function arrivalsFromSiblings(scope: Omit<JudgedSeries, 'tau'>, siblings: readonly JudgedSeries[]): SeriesPoint[] | undefined {
  const known = siblings.filter((s) => Number.isFinite(s.tau) && s.series.length === scope.series.length);
  if (known.length === 0) return undefined;
  let out: SeriesPoint[] | undefined;
  for (let k = 0; k < scope.series.length; k++) {
    const p = scope.series[k]!;
    if (p.arrived === undefined || p.arrivedSd === undefined || p.arrivedSd === 0) continue;
    let sent = 0;
    let shown = 0;
    let expected = 0;
    let variance = 0;
    for (const s of known) {
      const q = s.series[k]!;
      const e = s.expected[k]!;
      if (q.start !== p.start || q.sent === 0 || Number.isNaN(e) || q.arrived === undefined) continue;
      if (s.dropping?.some((d) => d.start <= q.start && q.start < d.end)) continue;
      sent += q.sent;
      shown += q.delivered;
      expected += e * q.sent;
      variance += q.sent * q.sent * s.tau * s.tau + q.sent * e * (1 - e);
    }
    if (sent < MIN_SIBLINGS_SENT || expected <= 0) continue;
    const share = shown / expected;
    const between = p.arrivedSd / 2;
    const siblingsVariance = (share * share * variance) / (expected * expected) + between * between;
    const curveVariance = p.arrivedSd * p.arrivedSd;
    const precision = 1 / curveVariance + 1 / siblingsVariance;
    const arrived = Math.min(1, (p.arrived / curveVariance + share / siblingsVariance) / precision);
    const arrivedSd = Math.sqrt(1 / precision);
    // Only ever less cautious than the curve alone: siblings showing fewer deliveries in may be
    // dropping together, which a check cannot tell from slow arrivals.
    if (cautiousShare(arrived, arrivedSd) <= cautiousShare(p.arrived, p.arrivedSd)) continue;
    out ??= [...scope.series];
    out[k] = { ...p, arrived, arrivedSd };
  }
  return out;
}
