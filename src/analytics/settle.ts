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

/**
 * The share of its deliveries a young bucket is judged to have in: the low end of what may have
 * arrived (two spreads under the expected share), so slow arrivals never read as a drop.
 */
export function cautiousShare(arrived: number, sd: number): number {
  return arrived - 2 * sd;
}

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
