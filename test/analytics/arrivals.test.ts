import { describe, expect, it } from 'vitest';
import { arrivalsFromSiblings } from '../../src/analytics/arrivals.js';
import type { SeriesPoint } from '../../src/analytics/buckets.js';

/** Reading a young half hour's arrived share from a scope's siblings: plain values. */
const young = (sent: number, delivered: number, arrived = 0.88, arrivedSd = 0.04): SeriesPoint => ({
  start: 0,
  end: 1800,
  sent,
  delivered,
  deliveryRate: delivered / sent,
  settled: false,
  partial: false,
  arrived,
  arrivedSd,
});
const settled = (sent: number, delivered: number): SeriesPoint => ({
  ...young(sent, delivered),
  arrived: undefined,
  arrivedSd: undefined,
  settled: true,
});
const scope = { series: [young(1000, 700)], expected: [0.95] };

describe('the share of a young half hour in, read from its siblings', () => {
  it('moves towards what the siblings show and narrows the spread', () => {
    // Two siblings, 4,500 sent each, expected 95% and 90%: 92% of their deliveries in (the curve says 88 ± 4).
    const siblings = [
      { series: [young(4500, Math.round(4500 * 0.95 * 0.92))], expected: [0.95], tau: 0.01 },
      { series: [young(4500, Math.round(4500 * 0.9 * 0.92))], expected: [0.9], tau: 0.01 },
    ];
    const [p] = arrivalsFromSiblings(scope, siblings)!;
    expect(p!.arrived!).toBeGreaterThan(0.9);
    expect(p!.arrived!).toBeLessThan(0.92);
    expect(p!.arrivedSd!).toBeLessThan(0.025);
    expect([p!.sent, p!.delivered]).toEqual([1000, 700]);
  });

  it('reads each sibling against its own rate: more of a low-rate sibling is no slower arrival', () => {
    // The same 92% in, the mix tilted to the sibling that delivers 80%.
    const tilted = [
      { series: [young(1000, Math.round(1000 * 0.95 * 0.92))], expected: [0.95], tau: 0.01 },
      { series: [young(8000, Math.round(8000 * 0.8 * 0.92))], expected: [0.8], tau: 0.01 },
    ];
    expect(arrivalsFromSiblings(scope, tilted)![0]!.arrived!).toBeGreaterThan(0.9);
  });

  it('never reads more cautiously than the curve alone: siblings showing fewer in may be dropping together', () => {
    // 80% of the siblings' expected deliveries in, the curve's low end (88 − 2 × 4): the curve stands.
    const slow = [{ series: [young(9000, Math.round(9000 * 0.95 * 0.8))], expected: [0.95], tau: 0.01 }];
    expect(arrivalsFromSiblings(scope, slow)).toBeUndefined();
  });

  it('leaves out a sibling where it drops itself', () => {
    const fast = { series: [young(9000, Math.round(9000 * 0.95 * 0.92))], expected: [0.95], tau: 0.01 };
    expect(arrivalsFromSiblings(scope, [{ ...fast, dropping: [{ start: 0, end: 3600 }] }])).toBeUndefined();
    expect(arrivalsFromSiblings(scope, [{ ...fast, dropping: [{ start: 1800, end: 3600 }] }])).toBeDefined();
  });

  it('trusts noisy siblings less, and under 100 sent not at all', () => {
    const at = (tau: number, sent = 9000) =>
      arrivalsFromSiblings(scope, [{ series: [young(sent, Math.round(sent * 0.95 * 0.92))], expected: [0.95], tau }]);
    const quiet = at(0.01)![0]!;
    const noisy = at(0.06)![0]!;
    expect(noisy.arrivedSd!).toBeGreaterThan(quiet.arrivedSd!);
    expect(Math.abs(noisy.arrived! - 0.88)).toBeLessThan(Math.abs(quiet.arrived! - 0.88));
    expect(at(0.01, 90)).toBeUndefined();
  });

  it('leaves settled buckets alone, and reads nothing from siblings without an expected rate or a fitted noise', () => {
    const sibling = { series: [young(5000, 4000)], expected: [0.95], tau: 0.01 };
    expect(arrivalsFromSiblings({ series: [settled(1000, 950)], expected: [0.95] }, [sibling])).toBeUndefined();
    expect(arrivalsFromSiblings(scope, [{ ...sibling, expected: [Number.NaN] }])).toBeUndefined();
    expect(arrivalsFromSiblings(scope, [{ ...sibling, tau: Number.NaN }])).toBeUndefined();
    expect(arrivalsFromSiblings(scope, [])).toBeUndefined();
  });
});
