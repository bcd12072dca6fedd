import { describe, expect, it } from 'vitest';
import { type Look, planBreakdown, planCloser, type RowCosts } from '../../src/compose/breakdownFetch.js';

/**
 * How a breakdown spends the report's Graph calls (src/compose/breakdownFetch.ts), on plain
 * values: judging before comparing, days first when even judging does not fit, then the rows whose
 * days say most — never the order Graph lists them in.
 */
const costs = (n: number, c: RowCosts) => new Map(Array.from({ length: n }, (_, i) => [`n${i}`, c]));
const keys = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);
// A 28-day half-hourly row: 6 calls whole, 5 judged only, 1 for its days, 1 for the previous period's days.
const HALF_HOURLY: RowCosts = { full: 6, judged: 5, days: 1, compare: 1 };
const DAILY: RowCosts = { full: 1, judged: 1, days: Number.POSITIVE_INFINITY, compare: Number.POSITIVE_INFINITY };

describe('planning a breakdown within the call budget', () => {
  const cases: Array<{
    name: string;
    rows: number;
    cost: RowCosts;
    budget: number;
    coarse: boolean;
    plan: ReturnType<typeof planBreakdown>;
  }> = [
    { name: 'everything fits: every row whole', rows: 10, cost: HALF_HOURLY, budget: 60, coarse: true, plan: { kind: 'full' } },
    {
      name: 'judging and comparing fit, not the whole window: judged and compared',
      rows: 10,
      cost: HALF_HOURLY,
      budget: 59,
      coarse: true,
      plan: { kind: 'judged', compared: false },
    },
    {
      name: 'judging fits with comparing',
      rows: 5,
      cost: HALF_HOURLY,
      budget: 29,
      coarse: true,
      plan: { kind: 'judged', compared: false },
    },
    { name: 'judged and compared exactly', rows: 5, cost: HALF_HOURLY, budget: 30, coarse: true, plan: { kind: 'full' } },
    {
      name: 'not even judging fits: every row its days first',
      rows: 10,
      cost: HALF_HOURLY,
      budget: 40,
      coarse: true,
      plan: { kind: 'days-first', daysFor: keys(10), left: [] },
    },
    {
      name: "days cost what the report's buckets cost: rows that do not fit are left out, named",
      rows: 10,
      cost: DAILY,
      budget: 7,
      coarse: false,
      plan: { kind: 'days-first', daysFor: keys(7), left: ['n7', 'n8', 'n9'] },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect(planBreakdown(keys(c.rows), costs(c.rows, c.cost), c.budget, c.coarse)).toEqual(c.plan);
    });
});

describe('choosing what to judge closely with the calls left', () => {
  const look = (key: string, cost: number): Look => ({
    key,
    cost,
    range: { start: 0, end: 86_400 },
    window: { start: -7 * 86_400, end: 86_400 },
  });
  const rowCosts = costs(10, HALF_HOURLY);

  it('looks at every unusual day it can, then judges whole rows in rank order with the rest', () => {
    const plan = planCloser(['n3', 'n7', 'n0'], rowCosts, [look('n3', 2), look('n7', 2)], 14);
    // 4 spent on looks, 10 left: n3 whole (5, its look's 2 given back), then n7 whole (5, its 2 back): 4 left, n0 does not fit.
    expect(plan.whole).toEqual(['n3', 'n7']);
    expect(plan.looks).toEqual([]);
  });

  it('keeps the looks of rows it cannot judge whole', () => {
    const plan = planCloser(['n3', 'n7'], rowCosts, [look('n3', 2), look('n7', 2)], 7);
    expect(plan.whole).toEqual(['n3']);
    expect(plan.looks.map((l) => l.key)).toEqual(['n7']);
  });

  it('skips a look that does not fit and takes the next that does', () => {
    const plan = planCloser([], rowCosts, [look('n1', 3), look('n2', 1)], 2);
    expect(plan.looks.map((l) => l.key)).toEqual(['n2']);
  });
});
