import { DateTime } from 'luxon';
import { isBucketBoundary } from '../analytics/time.js';
import { requestGranularity } from '../graph/chunks.js';
import type { GraphGranularity } from '../graph/fields.js';
import type { Granularity, TimeRange } from '../vocabulary/series.js';

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

/** Every edge on a bucket boundary of `unit` in `tz`: Graph's own buckets add up to exactly these spans. */
function onBoundaries(edges: readonly number[], unit: 'day' | 'month', tz: string): boolean {
  return edges.every((t) => isBucketBoundary(t, unit, tz));
}

/**
 * What to ask Graph for, so that every bucket of the report covers what its label says and the
 * totals are those of the range in the title:
 * - half hours are Graph's own (UTC half hours: every zone's);
 * - days and months are summed from Graph's days (its months only when the whole window is
 *   whole months) when those are the report's days: the same midnights, and a range of whole days;
 * - otherwise from half hours re-bucketed into the report's zone, up to five weeks of window;
 * - past that, Graph's days in the WABA's zone: the report's range is then those days
 *   (`snapToDays`), and a note says whose days they are.
 * `edges` are the range's and its comparisons' start and end.
 */
export function planFetch(
  granularity: Granularity,
  reportTz: string,
  wabaTz: string,
  window: TimeRange,
  edges: readonly number[] = [window.start, window.end],
): FetchPlan {
  if (granularity === 'half_hour') return { graphGranularity: 'HALF_HOUR', bucketTimezone: reportTz };
  const coarse = (tz: string): GraphGranularity =>
    granularity === 'month' && onBoundaries(edges, 'month', tz) ? requestGranularity(window, 'MONTH') : 'DAY';
  if (sameMidnights(reportTz, wabaTz, window) && onBoundaries(edges, 'day', reportTz))
    return { graphGranularity: coarse(reportTz), bucketTimezone: reportTz };
  if (window.end - window.start <= MAX_REBUCKET_SECONDS) return { graphGranularity: 'HALF_HOUR', bucketTimezone: reportTz };
  return {
    graphGranularity: coarse(wabaTz),
    bucketTimezone: wabaTz,
    note: `${granularity === 'month' ? 'Months' : 'Days'} run midnight to midnight ${wabaTz}, Graph's own days for this WABA: a report in another zone is re-bucketed from half hours only while it spans up to 5 weeks with its comparison and baseline.`,
  };
}

/**
 * A range moved onto whole days of `tz` with the same calendar dates it has in `fromTz`: "1 Sep –
 * 30 Nov" in Kolkata becomes 1 Sep – 30 Nov in Los Angeles days, not the 92 Los Angeles days
 * that overlap it. An edge inside a day moves to that day's start (start) or the next (end).
 */
export function snapToDays(range: TimeRange, fromTz: string, tz: string): TimeRange {
  const move = (ts: number, up: boolean) => {
    const local = DateTime.fromSeconds(ts, { zone: fromTz });
    const day = local.startOf('day');
    const date = up && !day.equals(local) ? day.plus({ days: 1 }) : day;
    return DateTime.fromObject({ year: date.year, month: date.month, day: date.day }, { zone: tz }).toSeconds();
  };
  return { start: move(range.start, false), end: move(range.end, true) };
}
