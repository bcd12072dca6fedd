import type { Anomaly } from '../analytics/anomalies.js';
import type { BreakdownDimension, BreakdownItem } from '../analytics/breakdown.js';
import type { SeriesPoint, Totals } from '../analytics/buckets.js';
import type { Change } from '../analytics/compare.js';
import type { FailureSummary } from '../analytics/failures.js';
import type { Granularity, TimeRange } from '../vocabulary/series.js';

/**
 * The channel-neutral report: what the CLI prints, what Slack and Teams render, what the chart
 * draws. Built by one pure function (`buildReport`) for the command, the digest and the alert.
 */
export interface Comparison {
  range: TimeRange;
  totals: Totals;
  change: Change;
}

export interface Report {
  account: { id: string; name: string; displayName: string };
  range: TimeRange & { timezone: string };
  granularity: Granularity;
  /** Zone the buckets follow: the report's zone, or the WABA's when Graph's own days are used. */
  bucketTimezone: string;
  scope: { phoneNumbers: string[]; countries: string[] };
  totals: Totals;
  comparisons: {
    previousPeriod: Comparison | null;
    sameWeekdayLastWeek: Comparison | null;
  };
  series: SeriesPoint[];
  anomalies: Anomaly[];
  breakdown: {
    by: BreakdownDimension;
    items: BreakdownItem[];
    topMovers: BreakdownItem[];
    /** Rows not judged at the report's granularity (the call budget), and why: by Graph's days only, or not at all. */
    unjudged: Array<{ key: string; judgedBy: 'day' | null; reason: string }>;
  } | null;
  /** Why messages failed, from WhatsApp status webhooks; null when the range has none. */
  failures: FailureSummary | null;
  freshness: {
    generatedAt: number;
    /** End of the last bucket whose deliveries have settled, or null if none has. */
    settledUntil: number | null;
    unsettledBuckets: number;
    settleMs: number;
  };
  notes: string[];
}
