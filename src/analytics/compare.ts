import type { Totals } from './buckets.js';

/** How a period differs from a reference period. */
export interface Change {
  /** Relative change in sent, in percent; null when the reference sent nothing. */
  sentPct: number | null;
  deliveredPct: number | null;
  /** Change in delivery rate, in percentage points; null when either side has no rate. */
  ratePoints: number | null;
}

function pct(now: number, before: number): number | null {
  return before > 0 ? ((now - before) / before) * 100 : null;
}

export function compareTotals(current: Totals, reference: Totals): Change {
  return {
    sentPct: pct(current.sent, reference.sent),
    deliveredPct: pct(current.delivered, reference.delivered),
    ratePoints:
      current.deliveryRate !== null && reference.deliveryRate !== null ? (current.deliveryRate - reference.deliveryRate) * 100 : null,
  };
}
