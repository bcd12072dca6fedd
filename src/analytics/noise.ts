import { normalTail } from './betaTail.js';

/**
 * How much delivery rates vary beyond the binomial, estimated from a scope's own recent history.
 *
 * Each residual e_j (a bucket's rate minus what was expected of it) has variance b_j + τ²: the
 * binomial part b_j, known from its volume, and an extra τ² shared by all buckets (audiences and
 * their mix change from bucket to bucket; real rates swing by points whatever the volume). τ² is
 * the value at which the standardised residuals e_j / √(b_j + τ²) look standard normal to a
 * robust yardstick: the mean of their squares, each capped at 3.5², equals what a standard
 * normal gives (0.9991). Capping keeps a few true dips from inflating it; standardising each
 * residual by its own binomial variance keeps quiet night buckets (large b_j) from hiding the
 * daytime noise — subtracting an average binomial variance from one robust scale does not.
 */
const CAP = 3.5;
/** E[min(Z², CAP²)] for a standard normal Z: (1 − 2Q) − 2cφ(c) + c²·2Q, Q = P(Z > c). */
const TARGET = (() => {
  const phi = Math.exp(-(CAP * CAP) / 2) / Math.sqrt(2 * Math.PI);
  const q = normalTail(CAP);
  return 1 - 2 * q - 2 * CAP * phi + CAP * CAP * 2 * q;
})();

export const MIN_TAU = 0.003;
export const MAX_TAU = 0.2;

function cappedMeanSquare(e: Float64Array, b: Float64Array, count: number, centre: number, tau2: number): number {
  let sum = 0;
  const cap2 = CAP * CAP;
  for (let k = 0; k < count; k++) {
    const d = e[k]! - centre;
    const z2 = (d * d) / (b[k]! + tau2);
    sum += Math.min(z2, cap2);
  }
  return sum / count;
}

/** Robust centre of the residuals: their median (residuals are few hundred at most). */
export function medianOf(values: Float64Array, count: number, scratch: Float64Array): number {
  for (let k = 0; k < count; k++) scratch[k] = values[k]!;
  const view = scratch.subarray(0, count);
  view.sort();
  const mid = count >> 1;
  return count % 2 ? view[mid]! : (view[mid - 1]! + view[mid]!) / 2;
}

/**
 * τ² for residuals `e` with binomial variances `b` (first `count` entries): bisection on log τ
 * between MIN_TAU and MAX_TAU (the capped mean square falls as τ grows).
 */
export function fitExtraVariance(e: Float64Array, b: Float64Array, count: number, centre: number): number {
  if (cappedMeanSquare(e, b, count, centre, MIN_TAU * MIN_TAU) <= TARGET) return MIN_TAU * MIN_TAU;
  if (cappedMeanSquare(e, b, count, centre, MAX_TAU * MAX_TAU) >= TARGET) return MAX_TAU * MAX_TAU;
  let lo = Math.log(MIN_TAU);
  let hi = Math.log(MAX_TAU);
  for (let iteration = 0; iteration < 18; iteration++) {
    const mid = (lo + hi) / 2;
    const tau = Math.exp(mid);
    if (cappedMeanSquare(e, b, count, centre, tau * tau) > TARGET) lo = mid;
    else hi = mid;
  }
  const tau = Math.exp((lo + hi) / 2);
  return tau * tau;
}

/**
 * Correlation of the extra noise between neighbouring buckets (a level that drifts within a
 * day), 0..0.9, from residuals in time order (`at` their bucket indexes).
 */
export function lagOneCorrelation(e: Float64Array, b: Float64Array, at: Int32Array, count: number, centre: number, tau2: number): number {
  let covariance = 0;
  let pairs = 0;
  for (let k = 1; k < count; k++) {
    if (at[k] !== at[k - 1]! + 1) continue;
    const boundA = CAP * Math.sqrt(b[k - 1]! + tau2);
    const boundB = CAP * Math.sqrt(b[k]! + tau2);
    const da = Math.max(-boundA, Math.min(boundA, e[k - 1]! - centre));
    const db = Math.max(-boundB, Math.min(boundB, e[k]! - centre));
    covariance += da * db;
    pairs++;
  }
  return pairs >= 10 ? Math.max(0, Math.min(0.9, covariance / pairs / tau2)) : 0.3;
}

/**
 * How much a run of neighbouring residuals wanders together: the variance of the sum of `block`
 * neighbouring standardised residuals over `block`, ≥ 1 (1 for independent noise). A drift that
 * lasts hours (audiences that change every few hours) makes a run of small deficits common; this
 * is what a persistence statistic must be scaled by. Measured, not assumed: from every run of
 * `block` contiguous residuals of the last week (overlapping), each capped like `fitExtraVariance`.
 * With too few such runs, an AR(1) with lag-one correlation ρ stands in.
 */
export function longRunFactor(
  e: Float64Array,
  b: Float64Array,
  at: Int32Array,
  count: number,
  centre: number,
  tau2: number,
  rho: number,
  block: number,
): number {
  let windows = 0;
  let sumSquares = 0;
  let runLength = 0;
  let windowSum = 0;
  const u = (k: number) => Math.max(-CAP, Math.min(CAP, (e[k]! - centre) / Math.sqrt(b[k]! + tau2)));
  for (let k = 0; k < count; k++) {
    if (k > 0 && at[k] === at[k - 1]! + 1) runLength++;
    else {
      runLength = 1;
      windowSum = 0;
    }
    windowSum += u(k);
    if (runLength > block) windowSum -= u(k - block);
    if (runLength >= block) {
      sumSquares += windowSum * windowSum;
      windows++;
    }
  }
  if (windows < 3 * block) {
    let factor = 1;
    let power = 1;
    for (let lag = 1; lag < block; lag++) {
      power *= rho;
      factor += 2 * (1 - lag / block) * power;
    }
    return factor;
  }
  return Math.max(1, Math.min(16, sumSquares / windows / block / TARGET));
}
