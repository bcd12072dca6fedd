import { describe, expect, it } from 'vitest';
import { chooseDrillDowns, type DrillDown, drillDownKey, type Judgement, withinBudget } from '../../src/alerts/judge/graph.js';
import { rankByEvidence } from '../../src/analytics/evidence.js';
import { longRunFactor } from '../../src/analytics/noise.js';
import { planBreakdown, planCloser, type RowCosts } from '../../src/compose/breakdownFetch.js';
import type { DataPoint } from '../../src/vocabulary/series.js';

const numbers = (n: number): DrillDown[] =>
  Array.from({ length: n }, (_, k) => ({ dimension: 'phone', key: `1555000${String(k).padStart(4, '0')}` }));
const countries = (codes: string[]): DrillDown[] => codes.map((key) => ({ dimension: 'country', key }));

describe('which drill-downs an alert check judges', () => {
  it('judges every number and country of a ten-number, four-country account at every 30-minute check', () => {
    const scopes = [...numbers(10), ...countries(['US', 'IN', 'BR', 'DE'])];
    // 20 calls a check (the rule's share of 200 an hour), one for the account, one for each cached scope.
    for (let turn = 0; turn < 4; turn++) {
      const { chosen, left } = chooseDrillDowns(
        scopes,
        scopes.map(() => 1),
        19,
        turn,
        new Set(),
      );
      expect(chosen).toHaveLength(14);
      expect(left).toEqual([]);
    }
  });

  it('takes turns when they do not fit, so every scope is judged within a few checks and none is left out for good', () => {
    const scopes = [...numbers(20), ...countries(['US', 'IN', 'BR', 'DE', 'MX', 'ES'])];
    const seen = new Map<string, number>();
    for (let turn = 100; turn < 103; turn++) {
      const { chosen, left } = chooseDrillDowns(
        scopes,
        scopes.map(() => 1),
        12,
        turn,
        new Set(),
      );
      expect(chosen.length).toBeLessThanOrEqual(12);
      expect(chosen.length + left.length).toBe(26);
      for (const d of chosen) seen.set(drillDownKey(d), (seen.get(drillDownKey(d)) ?? 0) + 1);
    }
    expect(seen.size).toBe(26);
  });

  it("judges an open alert's scopes first, whatever the turn", () => {
    const scopes = numbers(6);
    const pinned = new Set([drillDownKey(scopes[5]!)]);
    for (let turn = 0; turn < 3; turn++) {
      const { chosen } = chooseDrillDowns(
        scopes,
        scopes.map(() => 2),
        4,
        turn,
        pinned,
      );
      expect(chosen.map(drillDownKey)).toContain(drillDownKey(scopes[5]!));
      expect(chosen).toHaveLength(2);
    }
  });

  it('keeps, of a backtest judgement made of every scope, what the check could afford, and names the rest', () => {
    const scopes = numbers(4).map((d) => ({
      scope: { kind: 'phone' as const, key: d.key, label: d.key },
      rate: 0.97,
      expected: 0.97,
      sent: 500,
    }));
    const full: Judgement = {
      ongoing: [],
      recent: [],
      now: [{ scope: { kind: 'account', key: null, label: 'all traffic' }, rate: 0.97, expected: 0.97, sent: 2000 }, ...scopes],
    };
    const kept = withinBudget(full, { allowance: 3, urgent: 3, pinned: [], turn: 7 });
    expect(kept.now).toHaveLength(3);
    expect(kept.unjudged).toHaveLength(2);
    expect(withinBudget(full, { allowance: 10, urgent: 10, pinned: [], turn: 7 })).toBe(full);
  });
});

const DAY = 86_400;
const START = Date.UTC(2026, 9, 1) / 1000;

/** 35 days of a row: `sent` a day at `rate`, with a day's ±0.3-point wobble; `bad` days at `badRate`. */
function days(sent: number, rate: number, bad: Record<number, number> = {}): DataPoint[] {
  return Array.from({ length: 35 }, (_, d) => {
    const r = bad[d] ?? rate + (d % 3 === 0 ? 0.003 : d % 3 === 1 ? -0.003 : 0);
    return { start: START + d * DAY, end: START + (d + 1) * DAY, sent, delivered: Math.round(sent * r) };
  });
}

describe('which breakdown rows a report judges half hour by half hour when not all fit', () => {
  const range = { start: START + 7 * DAY, end: START + 35 * DAY };

  it('ranks the rows whose days look unusual first, then the busiest, never by the order Graph lists them', () => {
    const ranked = rankByEvidence(
      [
        { key: 'busy', days: days(90_000, 0.97) },
        { key: 'quiet', days: days(8_000, 0.97) },
        { key: 'dropped', days: days(12_000, 0.97, { 30: 0.93 }) },
        { key: 'stopped', days: days(12_000, 0.97).map((p, d) => (d === 20 ? { ...p, sent: 1_500, delivered: 1_455 } : p)) },
      ],
      range,
    );
    expect(
      ranked
        .slice(0, 2)
        .map((r) => r.key)
        .sort(),
    ).toEqual(['dropped', 'stopped']);
    expect(ranked.slice(2).map((r) => r.key)).toEqual(['busy', 'quiet']);
    expect(Math.min(ranked[0]!.evidence, ranked[1]!.evidence)).toBeGreaterThan(3);
    expect(Math.max(ranked[2]!.evidence, ranked[3]!.evidence)).toBeLessThan(3);
  });

  it('does not take a last day the range cuts short for a number that stopped', () => {
    // A WABA five hours behind UTC, a report to midnight UTC: Graph's last day has 19 of its 24
    // hours, the busiest of them perhaps, and sends a share of its usual day whatever happened.
    const cut = { start: range.start, end: range.end - 5 * 3600 };
    const short = days(12_000, 0.97).map((p, d) => (d === 34 ? { ...p, sent: 6_000, delivered: 5_820 } : p));
    const [row] = rankByEvidence([{ key: 'short', days: short }], cut);
    expect(row!.evidence).toBeLessThan(3);
    expect(row!.unusual).toEqual([]);
    // The same shortfall on a whole day is a stop worth a closer look; so is a cut day's rate.
    expect(rankByEvidence([{ key: 'short', days: short }], range)[0]!.unusual).toHaveLength(1);
    const worse = short.map((p, d) => (d === 34 ? { ...p, delivered: Math.round(p.sent * 0.9) } : p));
    expect(rankByEvidence([{ key: 'worse', days: worse }], cut)[0]!.unusual).toHaveLength(1);
  });

  it('judges every row before comparing any, and says which it could not afford', () => {
    const keys = Array.from({ length: 10 }, (_, k) => `n${k}`);
    const costs = new Map<string, RowCosts>(keys.map((k) => [k, { full: 8, judged: 5, days: 1, compare: 1 }]));
    // A 28-day half-hourly report: 60 calls, 8 for the account's own scope.
    expect(planBreakdown(keys, costs, 52, true)).toEqual({ kind: 'judged', compared: false });
    expect(planBreakdown(keys, costs, 60, true)).toEqual({ kind: 'judged', compared: true });
    expect(planBreakdown(keys, costs, 80, true)).toEqual({ kind: 'full' });
    expect(planBreakdown(keys, costs, 22, true)).toEqual({ kind: 'days-first', daysFor: keys, left: [] });
    // With the calls left after every row's days: looks at unusual days first, then whole rows in
    // rank order, a row judged whole giving back its looks' calls.
    const look = (key: string, day: number) => ({
      key,
      range: { start: day, end: day + DAY },
      window: { start: day - 7 * DAY, end: day + DAY },
      cost: 2,
    });
    expect(planCloser(['n9', 'n3', 'n0'], costs, [look('n9', START), look('n3', START)], 4)).toEqual({
      whole: [],
      looks: [look('n9', START), look('n3', START)],
    });
    expect(planCloser(['n9', 'n3', 'n0'], costs, [look('n9', START), look('n3', START)], 7)).toEqual({
      whole: ['n9'],
      looks: [look('n3', START)],
    });
    expect(planCloser(['n9', 'n3', 'n0'], costs, [look('n9', START)], 12)).toEqual({ whole: ['n9', 'n3'], looks: [] });
    // Graph's days are the report's own buckets: what does not fit is left out, named by the caller.
    expect(planBreakdown(keys, new Map(keys.map((k) => [k, { full: 1, judged: 1, days: 1, compare: 1 }])), 4, false)).toEqual({
      kind: 'days-first',
      daysFor: keys.slice(0, 4),
      left: keys.slice(4),
    });
  });
});

describe('how much a run of residuals wanders together', () => {
  function residuals(rho: number, count: number) {
    let a = 7;
    const uniform = () => {
      a = (a * 1_103_515_245 + 12_345) % 2_147_483_648;
      return a / 2_147_483_648;
    };
    const normal = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, uniform()))) * Math.cos(2 * Math.PI * uniform());
    const e = new Float64Array(count);
    let x = 0;
    for (let k = 0; k < count; k++) {
      x = rho * x + Math.sqrt(1 - rho * rho) * normal();
      e[k] = 0.01 * x;
    }
    return { e, b: new Float64Array(count).fill(1e-6), at: Int32Array.from({ length: count }, (_, k) => k) };
  }

  it('is about 1 for independent noise and grows as neighbouring half hours move together', () => {
    const calm = residuals(0, 336);
    const drifting = residuals(0.7, 336);
    const independent = longRunFactor(calm.e, calm.b, calm.at, 336, 0, 1e-4, 0, 8);
    const correlated = longRunFactor(drifting.e, drifting.b, drifting.at, 336, 0, 1e-4, 0.7, 8);
    expect(independent).toBeLessThan(1.6);
    // An AR(1) with ρ 0.7: the variance of an 8-bucket sum is about 4.3 times 8 independent ones.
    expect(correlated).toBeGreaterThan(2.5);
    expect(correlated).toBeLessThan(7);
  });

  it('falls back on the lag-one correlation when the residuals come in runs too short to measure', () => {
    const short = residuals(0.5, 40);
    const broken = Int32Array.from({ length: 40 }, (_, k) => k * 2);
    expect(longRunFactor(short.e, short.b, broken, 40, 0, 1e-4, 0.5, 8)).toBeCloseTo(
      1 +
        2 * ((0.5 * 7) / 8 + (0.25 * 6) / 8 + (0.125 * 5) / 8 + (0.0625 * 4) / 8 + (0.03125 * 3) / 8 + (0.015625 * 2) / 8 + 0.0078125 / 8),
      6,
    );
  });
});
