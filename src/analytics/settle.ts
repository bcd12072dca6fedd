import type { SeriesPoint } from './buckets.js';

/**
 * How deliveries of a bucket arrive after it ends: the share of its final `delivered` that
 * Graph already reports at each age. A bucket judged young is compared with what is expected at
 * its age, with the curve's own uncertainty, instead of waiting hours for it to settle.
 *
 * The default curve is deliberately cautious; an account's own curve is learned from successive
 * checks (the bucket cache refetches the recent window each time, so each young bucket is seen
 * at several ages and then settled) and kept in the store.
 */
export interface SettleCurve {
  /** Minutes between points of the curve. */
  stepMinutes: number;
  /** Visible share of final deliveries at age k × step after the bucket ended (k = 0, 1, …). */
  fraction: number[];
  /** Standard deviation of that share from bucket to bucket. */
  sd: number[];
  /** Buckets observed at each age (0 for the default). */
  observations: number[];
  source: 'default' | 'learned';
}

export const DEFAULT_SETTLE_CURVE: SettleCurve = {
  stepMinutes: 30,
  fraction: [0.6, 0.88, 0.96, 0.985, 0.995],
  sd: [0.08, 0.04, 0.02, 0.01, 0.005],
  observations: [0, 0, 0, 0, 0],
  source: 'default',
};

/** Below this visible share a bucket says too little to be judged yet. */
export const MIN_JUDGED_FRACTION = 0.5;

/** The expected visible share (and its spread) `ageMinutes` after a bucket ended. */
export function arrivedAt(curve: SettleCurve, ageMinutes: number): { fraction: number; sd: number } {
  if (ageMinutes <= 0) return { fraction: curve.fraction[0] ?? 1, sd: curve.sd[0] ?? 0 };
  const k = ageMinutes / curve.stepMinutes;
  const i = Math.floor(k);
  if (i >= curve.fraction.length - 1) {
    // Past the last point: the rest of the way to 1 within one more step.
    const last = curve.fraction.length - 1;
    const over = Math.min(1, k - last);
    return { fraction: curve.fraction[last]! + (1 - curve.fraction[last]!) * over, sd: curve.sd[last]! * (1 - over) };
  }
  const w = k - i;
  return { fraction: curve.fraction[i]! * (1 - w) + curve.fraction[i + 1]! * w, sd: curve.sd[i]! * (1 - w) + curve.sd[i + 1]! * w };
}

/** Running sums per age step, from which a curve is read (what the store keeps per account). */
export interface SettleStats {
  stepMinutes: number;
  /** Per age step: Σ visible, Σ final, Σ ratio², count (ratios weighted by final volume). */
  visible: number[];
  final: number[];
  ratioSquares: number[];
  count: number[];
}

export function emptySettleStats(
  steps = DEFAULT_SETTLE_CURVE.fraction.length,
  stepMinutes = DEFAULT_SETTLE_CURVE.stepMinutes,
): SettleStats {
  return {
    stepMinutes,
    visible: Array(steps).fill(0),
    final: Array(steps).fill(0),
    ratioSquares: Array(steps).fill(0),
    count: Array(steps).fill(0),
  };
}

/** Add one bucket seen with `visible` deliveries at `ageMinutes`, whose final count is `final`. */
export function observeSettling(stats: SettleStats, ageMinutes: number, visible: number, final: number): void {
  if (final <= 0 || ageMinutes < 0) return;
  const k = Math.round(ageMinutes / stats.stepMinutes);
  if (k >= stats.visible.length) return;
  const ratio = Math.min(1, visible / final);
  stats.visible[k]! += Math.min(visible, final);
  stats.final[k]! += final;
  stats.ratioSquares[k]! += ratio * ratio * final;
  stats.count[k]!++;
}

/** Buckets an age step needs before its learned share replaces the default. */
export const MIN_SETTLE_OBSERVATIONS = 20;

/**
 * The curve the stats say, step by step; a step seen too rarely keeps the default. Shares are
 * made non-decreasing (deliveries only ever add up).
 */
export function curveFromStats(stats: SettleStats, fallback = DEFAULT_SETTLE_CURVE): SettleCurve {
  const fraction: number[] = [];
  const sd: number[] = [];
  const observations: number[] = [];
  let learned = false;
  for (let k = 0; k < stats.visible.length; k++) {
    const n = stats.count[k]!;
    observations.push(n);
    if (n >= MIN_SETTLE_OBSERVATIONS && stats.final[k]! > 0) {
      const mean = stats.visible[k]! / stats.final[k]!;
      const variance = Math.max(0, stats.ratioSquares[k]! / stats.final[k]! - mean * mean);
      fraction.push(mean);
      // Never claim more certainty than a few hundred buckets can give.
      sd.push(Math.max(Math.sqrt(variance), 0.005));
      learned = true;
    } else {
      fraction.push(fallback.fraction[k] ?? 1);
      sd.push(fallback.sd[k] ?? 0);
    }
  }
  for (let k = 1; k < fraction.length; k++) fraction[k] = Math.max(fraction[k]!, fraction[k - 1]!);
  return { stepMinutes: stats.stepMinutes, fraction, sd, observations, source: learned ? 'learned' : 'default' };
}

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
    if (arrived - 2 * arrivedSd <= p.arrived - 2 * p.arrivedSd) continue;
    out ??= [...scope.series];
    out[k] = { ...p, arrived, arrivedSd };
  }
  return out;
}
