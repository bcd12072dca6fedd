import { DateTime } from 'luxon';
import { requestGranularity } from '../graph/chunks.js';
import type { GraphGranularity } from '../graph/fields.js';
import type { Granularity, TimeRange } from '../series.js';

export interface FetchPlan {
  graphGranularity: GraphGranularity;
  /** Zone of the report's bucket grid. */
  bucketTimezone: string;
  note?: string;
}

/** Longest window we re-bucket from half-hour data; past it, Graph's own days are cheaper. */
const MAX_REBUCKET_SECONDS = 35 * 86_400;

/** Two zones whose midnights coincide over the whole window (same offset at both ends). */
function sameMidnights(a: string, b: string, window: TimeRange): boolean {
  if (a === b) return true;
  return [window.start, window.end].every(
    (t) => DateTime.fromSeconds(t, { zone: a }).offset === DateTime.fromSeconds(t, { zone: b }).offset,
  );
}

/**
 * What to ask Graph for. Graph's DAY and MONTH buckets follow the WABA's zone; a report in
 * another zone re-buckets HALF_HOUR data into its own days, which costs more calls, so windows
 * longer than five weeks use Graph's days and say whose days they are. MONTH is refused by
 * Graph for windows under a month (`requestGranularity`), so short month reports are built from days.
 */
export function planFetch(granularity: Granularity, reportTz: string, wabaTz: string, window: TimeRange): FetchPlan {
  const span = window.end - window.start;
  if (granularity === 'half_hour') return { graphGranularity: 'HALF_HOUR', bucketTimezone: reportTz };
  const aligned = sameMidnights(reportTz, wabaTz, window);
  if (granularity === 'day') {
    if (aligned) return { graphGranularity: 'DAY', bucketTimezone: reportTz };
    if (span <= MAX_REBUCKET_SECONDS) return { graphGranularity: 'HALF_HOUR', bucketTimezone: reportTz };
    return {
      graphGranularity: 'DAY',
      bucketTimezone: wabaTz,
      note: `Days run midnight to midnight ${wabaTz} (Graph's day boundaries for this WABA); ranges up to 5 weeks are re-bucketed into ${reportTz} days.`,
    };
  }
  const tz = aligned ? reportTz : wabaTz;
  const note = aligned ? undefined : `Months run midnight to midnight ${wabaTz} (Graph's boundaries for this WABA).`;
  return { graphGranularity: requestGranularity(window, 'MONTH'), bucketTimezone: tz, ...(note ? { note } : {}) };
}
