import { betaConcentration } from '../../src/analytics/betaTail.js';

/**
 * A seeded generator (mulberry32) and draws from it: noise that is the same on every run, so a
 * test of noisy traffic judges the same traffic each time.
 */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, uniform()))) * Math.cos(2 * Math.PI * uniform());
  // Marsaglia and Tsang's gamma (a shape under 1 through the shape + 1 trick).
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * uniform() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  /** A beta with this mean and variance. */
  const beta = (mean: number, variance: number) => {
    const k = betaConcentration(mean, variance);
    const x = gamma(k * mean);
    return x / (x + gamma(k * (1 - mean)));
  };
  return { uniform, normal, beta };
}
