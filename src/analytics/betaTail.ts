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

/**
 * P(rate ≤ observed) for a rate with mean `expected` and variance `variance`, as a beta with
 * those moments. Variances too large for a beta (≥ p(1 − p)) say nothing: 1.
 */
export function lowerTail(observed: number, expected: number, variance: number): number {
  if (observed >= expected) return 1;
  const spread = expected * (1 - expected);
  if (variance <= 0 || variance >= spread) return 1;
  const concentration = spread / variance - 1;
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
