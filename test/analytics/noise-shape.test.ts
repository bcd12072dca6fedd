import { describe, expect, it } from 'vitest';
import { type AnomalyScope, detectAnomalies } from '../../src/analytics/anomalies.js';
import { betaConcentration, betaQuantile, incompleteBeta, lowerTail, normalTail, skewedLowerTail } from '../../src/analytics/betaTail.js';
import { markSettlement } from '../../src/analytics/buckets.js';
import { fitSkew, orderStatistic, runInflation } from '../../src/analytics/noise.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { seededRandom } from '../helpers/random.js';

/** Residuals of `count` buckets of `sent` around `mean`, as the scorer keeps them (rate − expected, binomial variance, expected). */
function residuals(count: number, mean: number, sent: number, draw: () => number) {
  const e = new Float64Array(count);
  const b = new Float64Array(count);
  const m = new Float64Array(count).fill(mean);
  for (let k = 0; k < count; k++) {
    e[k] = draw() - mean;
    b[k] = (mean * (1 - mean)) / sent;
  }
  return { e, b, m };
}

describe('the shape of a scope’s lower tail', () => {
  it('reads a beta’s quantiles back from its tail', () => {
    for (const [mean, variance] of [
      [0.95, 0.0016],
      [0.97, 0.0001],
      [0.6, 0.01],
    ] as const) {
      const k = betaConcentration(mean, variance);
      for (const p of [0.001, 0.1, 0.5, 0.9])
        expect(incompleteBeta(betaQuantile(p, mean, variance), k * mean, k * (1 - mean))).toBeCloseTo(p, 6);
    }
  });

  it('goes from the beta’s tail to the normal’s as the skew goes from 1 to 0', () => {
    const [observed, mean, variance] = [0.78, 0.955, 0.0016];
    const beta = lowerTail(observed, mean, variance);
    const normal = normalTail((mean - observed) / Math.sqrt(variance));
    expect(skewedLowerTail(observed, mean, variance, 1)).toBe(beta);
    expect(skewedLowerTail(observed, mean, variance, 0)).toBe(normal);
    // A 17.5-point dip at a 4-point spread: under three deviations by the beta, over four by the normal.
    expect(beta).toBeGreaterThan(0.002);
    expect(normal).toBeLessThan(1e-5);
    const half = skewedLowerTail(observed, mean, variance, 0.5);
    expect(half).toBeLessThan(beta);
    expect(half).toBeGreaterThan(normal);
    expect(skewedLowerTail(0.97, mean, variance, 0.5)).toBe(1);
  });

  it('picks the percentiles it reads without sorting, as a sort would', () => {
    const rng = seededRandom(11);
    for (let round = 0; round < 50; round++) {
      const n = 100 + Math.floor(rng.uniform() * 300);
      // Ties too: a tenth of the values repeat.
      const values = Float64Array.from({ length: n }, () => (rng.uniform() < 0.1 ? 1 : rng.normal()));
      const sorted = values.slice().sort();
      const [k10, k50, k90] = [0.1, 0.5, 0.9].map((p) => Math.round(p * (n - 1))) as [number, number, number];
      expect(orderStatistic(values, 0, n, k50)).toBe(sorted[k50]);
      expect(orderStatistic(values, 0, k50, k10)).toBe(sorted[k10]);
      expect(orderStatistic(values, k50 + 1, n, k90)).toBe(sorted[k90]);
    }
  });

  it('keeps the beta for noise as skewed as a beta, and drops it for swings both ways alike', () => {
    const tau2 = 0.04 ** 2;
    const rng = seededRandom(7);
    // A week of half hours at 2,000 sent: the binomial part is small beside a 4-point spread.
    const skewed = residuals(336, 0.955, 2000, () => rng.beta(0.955, tau2));
    expect(fitSkew(skewed.e, skewed.b, skewed.m, 336, 0, tau2)).toBeGreaterThan(0.9);
    // A rate that jumps up to ±7 points with its audience: the same spread, no long tail.
    const swings = residuals(336, 0.955, 2000, () => 0.955 + 0.07 * (2 * rng.uniform() - 1));
    expect(fitSkew(swings.e, swings.b, swings.m, 336, 0, tau2)).toBeLessThan(0.5);
    // Too few residuals to tell, or too little spread for the shapes to differ: the beta.
    expect(fitSkew(swings.e, swings.b, swings.m, 60, 0, tau2)).toBe(1);
    const calm = residuals(336, 0.6, 2000, () => 0.6 + 0.003 * rng.normal());
    expect(fitSkew(calm.e, calm.b, calm.m, 336, 0, 0.003 ** 2)).toBe(1);
  });
});

/** Delivery drops in half hours after their first week, all settled: the week is the history. */
function weekThenDrops(points: DataPoint[], scope: AnomalyScope) {
  return detectAnomalies({
    history: points.slice(0, 7 * 48),
    series: markSettlement(points.slice(7 * 48), 1e15, 0),
    granularity: 'half_hour',
    tz: 'UTC',
    scope,
  }).filter((a) => a.kind === 'delivery_drop');
}

describe('a number whose rate swings both ways by up to 10 points', () => {
  const START = Date.UTC(2026, 10, 2) / 1000;
  const HH = 1800;
  const scope: AnomalyScope = { kind: 'phone', key: '16315551000', label: '+1 631 555 1000' };

  /** 21 days of it around 96% (never over 99.9%), 1,000 a half hour by day; `drop` takes points off from bucket `at` for `length`. */
  function volatile(seed: number, drop?: { at: number; length: number; points: number }): DataPoint[] {
    const rng = seededRandom(seed);
    return Array.from({ length: 21 * 48 }, (_, b) => {
      const hour = (b % 48) / 2;
      const sent = hour >= 7 && hour < 22 ? 1000 : 40;
      let rate = 0.96 + 0.1 * (2 * rng.uniform() - 1);
      if (drop && b >= drop.at && b < drop.at + drop.length) rate -= drop.points / 100;
      return { start: START + b * HH, end: START + (b + 1) * HH, sent, delivered: Math.round(sent * Math.min(0.999, rate)) };
    });
  }
  const detect = (points: DataPoint[]) => weekThenDrops(points, scope);
  const at = 17 * 48 + 20; // day 18, 10:00

  it('finds a 20-point drop for 3 hours, which a beta with its spread took for two-deviation dips', () => {
    for (const seed of [3, 4, 5]) {
      const found = detect(volatile(seed, { at, length: 6, points: 20 }));
      expect(found).toHaveLength(1);
      expect((found[0]!.start - START) / HH).toBeLessThanOrEqual(at);
      expect((found[0]!.end - START) / HH).toBeGreaterThanOrEqual(at + 6);
      expect((found[0]!.detectedAt - START) / HH).toBeLessThanOrEqual(at + 5);
    }
  });

  it('raises nothing on the same swings without a drop, two weeks of them', () => {
    for (const seed of [3, 4, 5]) expect(detect(volatile(seed))).toEqual([]);
  });
});

describe('how much a run of neighbouring deviations wanders together', () => {
  it('holds one bucket to its own deviation, a few to their lag-one correlation, four hours to the long-run factor', () => {
    expect(runInflation(1, 0.6, 3.5, 8)).toBe(1);
    expect(runInflation(2, 0.6, 3.5, 8)).toBeCloseTo(1.6, 12);
    expect(runInflation(3, 0.6, 3.5, 8)).toBeCloseTo(1 + 2 * ((2 / 3) * 0.6 + (1 / 3) * 0.36), 12);
    // Measured over eight buckets: that, whatever the lag-one correlation says.
    expect(runInflation(8, 0.1, 3.5, 8)).toBe(3.5);
    expect(runInflation(30, 0.9, 2.2, 8)).toBe(2.2);
    // Never more than measured; independent noise is not inflated.
    expect(runInflation(6, 0.95, 2, 8)).toBe(2);
    expect(runInflation(5, 0, 3, 8)).toBe(1);
    const grows = [1, 2, 3, 4, 5, 6, 7].map((m) => runInflation(m, 0.7, 5, 8));
    for (let k = 1; k < grows.length; k++) expect(grows[k]!).toBeGreaterThan(grows[k - 1]!);
  });
});

describe('a drop that persists on a scope whose half hours swing 2 points', () => {
  const START = Date.UTC(2026, 10, 2) / 1000;
  const HH = 1800;
  const scope: AnomalyScope = { kind: 'account', key: null, label: 'the account' };

  /** 21 days around 96.5%, each half hour's rate a beta of spread 2.2 points, 700 sent a half hour by day, delivered drawn one by one. */
  function swinging(seed: number, drop?: { at: number; length: number; points: number }): DataPoint[] {
    const rng = seededRandom(seed);
    return Array.from({ length: 21 * 48 }, (_, b) => {
      const hour = (b % 48) / 2;
      const sent = hour >= 7 && hour < 22 ? 700 : 40;
      const down = drop && b >= drop.at && b < drop.at + drop.length ? drop.points / 100 : 0;
      const rate = rng.beta(0.965 - down, 0.022 ** 2);
      let delivered = 0;
      for (let k = 0; k < sent; k++) if (rng.uniform() < rate) delivered++;
      return { start: START + b * HH, end: START + (b + 1) * HH, sent, delivered };
    });
  }
  const detect = (points: DataPoint[]) => weekThenDrops(points, scope);
  const at = 17 * 48 + 22; // day 18, 11:00

  // Draws where the persistence statistic reached its threshold and the run as a whole, short of
  // a lone window's bar, had been thrown out (of 40 draws, 11 were found before, 18 now).
  it('finds 6 points down for 3.5 hours, the run held to the bar of four-hour windows', () => {
    for (const seed of [3, 15, 18, 27]) {
      const found = detect(swinging(seed, { at, length: 7, points: 6 }));
      expect(found, `seed ${seed}`).toHaveLength(1);
      // On the drop: a dip just before it may be taken in, nothing after its end.
      expect((found[0]!.start - START) / HH).toBeGreaterThanOrEqual(at - 4);
      expect((found[0]!.start - START) / HH).toBeLessThan(at + 7);
      expect((found[0]!.end - START) / HH).toBeLessThanOrEqual(at + 7);
    }
  });

  it('raises nothing on the same swings without a drop, two weeks of them', () => {
    for (const seed of [3, 15, 18, 27]) expect(detect(swinging(seed))).toEqual([]);
  });
});
