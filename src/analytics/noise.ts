import { betaQuantile, betaSkewness, normalTail } from './betaTail.js';

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

/** Robust centre of the residuals: their median, selected in a copy (`orderStatistic`), not sorted. */
export function medianOf(values: Float64Array, count: number, scratch: Float64Array): number {
  for (let k = 0; k < count; k++) scratch[k] = values[k]!;
  const mid = count >> 1;
  const upper = orderStatistic(scratch, 0, count, mid);
  // Left of `mid` is all at most it: the lower middle of an even count is the largest there.
  return count % 2 ? upper : (orderStatistic(scratch, 0, mid, mid - 1) + upper) / 2;
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

const SKEW_MIN_RESIDUALS = 100;
/**
 * A beta this close to symmetric says the shapes agree: nothing to measure. Kelly's skewness is
 * about 0.21 times the moment skewness when small, so the cheap moment test comes first.
 */
const SKEW_MIN_MODEL = 0.05;
const SKEW_MIN_MOMENT = 0.2;
/** Sampling error of Kelly's skewness of n residuals, at most this over √n (1.04 for normal noise; more for heavier tails). */
const KELLY_ERROR = 1.36;
const SKEW_SCRATCH = { u: new Float64Array(336), v: new Float64Array(336) };

function kelly(q10: number, q50: number, q90: number): number {
  return q90 > q10 ? (q90 + q10 - 2 * q50) / (q90 - q10) : 0;
}

/**
 * The k-th smallest of `values[from..to)` (Hoare's selection, in place): the array ends partitioned
 * around it, so a further order statistic below or above k searches only that side.
 */
export function orderStatistic(values: Float64Array, from: number, to: number, k: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k]!;
}

/**
 * Kelly's skewness of the beta with this mean and variance, read at the nearest point of a grid
 * fine enough for it (a thousandth of rate, 1% of spread) and remembered: a scope's successive
 * fits, and scopes alike, ask for the same betas, and each costs some fifty incomplete betas. The
 * grid point, not the first caller's values, so every process reads the same skew.
 */
const KELLY_CACHE = new Map<number, number>();
function betaKelly(mean: number, variance: number): number {
  const m = Math.round(mean * 1000);
  const v = Math.round(50 * Math.log(variance));
  const key = m * 10_000 + v;
  const known = KELLY_CACHE.get(key);
  if (known !== undefined) return known;
  const gridMean = Math.min(0.9995, Math.max(0.0005, m / 1000));
  const gridVariance = Math.min(Math.exp(v / 50), 0.99 * gridMean * (1 - gridMean));
  const sd = Math.sqrt(gridVariance);
  const at = (p: number) => (betaQuantile(p, gridMean, gridVariance, 1e-4) - gridMean) / sd;
  const value = kelly(at(0.1), at(0.5), at(0.9));
  if (KELLY_CACHE.size >= 4096) KELLY_CACHE.clear();
  KELLY_CACHE.set(key, value);
  return value;
}

/**
 * How skewed the scope's noise is, as a share of the skew a beta with its spread has: 1 (the
 * beta's) to 0 (none: a normal's), for `skewedLowerTail`. Near 100% a beta with a spread of several
 * points is all but J-shaped — right for beta-binomial noise, whose dips a normal z makes
 * incidents of; wrong for noise that swings both ways alike (a number whose rate jumps ±10 points
 * with its audience), where it calls a 20-point drop two deviations. The residuals say which, by
 * a skewness that a few dips cannot move (Kelly's: the 10th, 50th and 90th percentiles of the
 * standardised residuals), against the same for the beta at the residuals' typical rate and
 * spread. Only the part of the difference beyond twice its sampling error counts, so the beta
 * stays unless the residuals clearly say otherwise.
 */
export function fitSkew(e: Float64Array, b: Float64Array, expected: Float64Array, count: number, centre: number, tau2: number): number {
  if (count < SKEW_MIN_RESIDUALS) return 1;
  if (SKEW_SCRATCH.u.length < count) SKEW_SCRATCH.u = new Float64Array(count);
  if (SKEW_SCRATCH.v.length < count) SKEW_SCRATCH.v = new Float64Array(count);
  const { u, v } = SKEW_SCRATCH;
  let sumExpected = 0;
  for (let k = 0; k < count; k++) {
    v[k] = b[k]! + tau2;
    sumExpected += expected[k]!;
  }
  const mean = Math.min(0.9999, Math.max(0.0001, sumExpected / count + centre));
  // The typical bucket's spread: the median, so a few quiet night buckets do not set it.
  const variance = orderStatistic(v, 0, count, count >> 1);
  if (variance >= mean * (1 - mean) || Math.abs(betaSkewness(mean, variance)) < SKEW_MIN_MOMENT) return 1;
  const model = betaKelly(mean, variance);
  if (Math.abs(model) < SKEW_MIN_MODEL) return 1;
  for (let k = 0; k < count; k++) u[k] = (e[k]! - centre) / Math.sqrt(b[k]! + tau2);
  const k10 = Math.round(0.1 * (count - 1));
  const k50 = Math.round(0.5 * (count - 1));
  const k90 = Math.round(0.9 * (count - 1));
  const q50 = orderStatistic(u, 0, count, k50);
  const data = kelly(orderStatistic(u, 0, k50, k10), q50, orderStatistic(u, k50 + 1, count, k90));
  // How much less skewed the residuals are than the beta, beyond their sampling error.
  const shortfall = Math.max(0, Math.sign(model) * (model - data) - (2 * KELLY_ERROR) / Math.sqrt(count));
  return Math.max(0, Math.min(1, 1 - shortfall / Math.abs(model)));
}

/**
 * How much more a sum of `length` neighbouring standardised deviations varies than independent
 * ones would, per bucket: for a run of `block` buckets or more, the long-run factor as measured
 * (`longRunFactor`, over `block`); for a shorter one 1 + 2·Σ(1 − k/m)·r^k, deviations correlated
 * `lagOne` at lag one (an AR(1)), never more than the long-run factor. Two half hours down are
 * not held to what four hours of wander would earn.
 */
export function runInflation(length: number, lagOne: number, longRun: number, block: number): number {
  if (length >= block) return longRun;
  const r = Math.max(0, Math.min(0.99, lagOne));
  let sum = 0;
  let power = 1;
  for (let k = 1; k < length; k++) {
    power *= r;
    sum += (1 - k / length) * power;
  }
  return Math.min(longRun, 1 + 2 * sum);
}
