import type { DataPoint } from '../vocabulary/series.js';
import { type Totals, totals } from './buckets.js';
import { type Change, compareTotals } from './compare.js';

export type BreakdownDimension = 'phone' | 'country';

export interface BreakdownInput {
  key: string;
  current: readonly DataPoint[];
  previous: readonly DataPoint[];
}

export interface BreakdownItem extends Totals {
  key: string;
  /** Share of the breakdown's total sent, 0..1. */
  share: number;
  previous: Totals;
  change: Change;
}

/** One row per phone number or country, busiest first. */
export function breakdown(inputs: readonly BreakdownInput[]): BreakdownItem[] {
  const rows = inputs.map((input) => {
    const current = totals(input.current);
    const previous = totals(input.previous);
    return { key: input.key, ...current, share: 0, previous, change: compareTotals(current, previous) };
  });
  const all = rows.reduce((sum, r) => sum + r.sent, 0);
  for (const r of rows) r.share = all > 0 ? r.sent / all : 0;
  return rows.sort((a, b) => b.sent - a.sent || a.key.localeCompare(b.key));
}

/**
 * The rows whose delivery rate moved most against the previous period, ignoring rows too small
 * for the move to mean anything.
 */
export function topMovers(
  items: readonly BreakdownItem[],
  options: { count?: number; minSent?: number; minPoints?: number } = {},
): BreakdownItem[] {
  const { count = 3, minSent = 100, minPoints = 0.5 } = options;
  return items
    .filter(
      (i) => i.change.ratePoints !== null && i.sent >= minSent && i.previous.sent >= minSent && Math.abs(i.change.ratePoints) >= minPoints,
    )
    .sort((a, b) => Math.abs(b.change.ratePoints!) - Math.abs(a.change.ratePoints!) || b.sent - a.sent)
    .slice(0, count);
}
