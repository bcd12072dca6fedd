/**
 * How surprising a low delivery rate is, when rates near 100% swing with a long tail downwards.
 *
 * A delivery rate cannot exceed 1, so near 97–99% its bucket-to-bucket swings are skewed: dips of
 * several points happen far more often than a normal distribution with the same spread says.
 * Judging a dip by a normal z-score makes those dips look like incidents. Here the rate's
 * distribution is taken as a beta with the expected mean and the total variance (binomial, extra
 * noise, baseline uncertainty) — the beta-binomial's own shape — and a dip is judged by its lower
 * tail probability. For spreads small against p(1 − p) this is the normal; near 100% it is not.
 */

/** ln Γ(x), Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the incomplete beta (Lentz's method). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-12) break;
  }
  return h;
}

/** The regularised incomplete beta I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  // The continued fraction converges fast on one side of the mean; use symmetry on the other.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** a + b of the beta with this mean and variance (its a is this times the mean, b times 1 − mean). */
export function betaConcentration(mean: number, variance: number): number {
  return (mean * (1 - mean)) / variance - 1;
}

/**
 * P(rate ≤ observed) for a rate with mean `expected` and variance `variance`, as a beta with
 * those moments. Variances too large for a beta (≥ p(1 − p)) say nothing: 1.
 */
export function lowerTail(observed: number, expected: number, variance: number): number {
  if (observed >= expected) return 1;
  if (variance <= 0 || variance >= expected * (1 - expected)) return 1;
  const concentration = betaConcentration(expected, variance);
  return incompleteBeta(Math.max(0, observed), concentration * expected, concentration * (1 - expected));
}

/** P(Z ≤ −z) for a standard normal: a z threshold as a tail probability. */
export function normalTail(z: number): number {
  // Abramowitz and Stegun 7.1.26 on erfc; ample for thresholds of 3–7.
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 0.5 * poly * Math.exp(-x * x);
}

/**
 * The z with P(Z ≤ −z) = p for a standard normal: a tail probability back on the scale of
 * deviations, so dips judged by their beta tail can be summed like z-scores. Acklam's rational
 * approximation (relative error under 1.2e-9).
 */
export function normalQuantileUpper(p: number): number {
  if (p <= 0) return Number.POSITIVE_INFINITY;
  if (p >= 1) return Number.NEGATIVE_INFINITY;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // x is the lower quantile Φ⁻¹(p): the deviation below the mean is its negative.
  return -x;
}

/**
 * The x with P(X ≤ x) = p for a beta with this mean and variance (the caller keeps the variance
 * under m(1 − m)): bisection within twelve deviations of the mean, to `precision` of one.
 */
export function betaQuantile(p: number, mean: number, variance: number, precision = 1e-6): number {
  const concentration = betaConcentration(mean, variance);
  const a = concentration * mean;
  const b = concentration * (1 - mean);
  const sd = Math.sqrt(variance);
  let lo = Math.max(0, mean - 12 * sd);
  let hi = Math.min(1, mean + 12 * sd);
  while (hi - lo > precision * sd) {
    const mid = (lo + hi) / 2;
    if (incompleteBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The skewness of a beta with this mean and variance (negative: a long tail downwards). */
export function betaSkewness(mean: number, variance: number): number {
  const concentration = betaConcentration(mean, variance);
  const a = concentration * mean;
  const b = concentration * (1 - mean);
  return (2 * (b - a) * Math.sqrt(a + b + 1)) / ((a + b + 2) * Math.sqrt(a * b));
}

/**
 * A lower tail between the beta's (`skew` 1) and the normal's (`skew` 0) with the same mean and
 * variance, interpolated in log-probability (`fitSkew` measures how skewed a scope's dips are).
 */
export function skewedLowerTail(observed: number, expected: number, variance: number, skew: number): number {
  if (observed >= expected || variance <= 0) return 1;
  if (skew >= 1) return lowerTail(observed, expected, variance);
  const normal = normalTail((expected - observed) / Math.sqrt(variance));
  if (skew <= 0) return normal;
  const beta = Math.max(1e-300, lowerTail(observed, expected, variance));
  return Math.exp(skew * Math.log(beta) + (1 - skew) * Math.log(Math.max(1e-300, normal)));
}
