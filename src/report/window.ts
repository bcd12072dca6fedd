import { previousPeriod, sameWeekdayLastWeek, shiftDays } from '../analytics/time.js';
import type { Granularity, TimeRange } from '../vocabulary/series.js';

/** Days of history before a report's range that the anomaly baseline looks at. */
const HISTORY_DAYS: Record<Granularity, number> = { half_hour: 7, day: 14, month: 0 };

/** Whether a report of this span also compares with the same weekday a week before. */
export function comparesWithLastWeek(range: TimeRange): boolean {
  return range.end - range.start < 7 * 86_400;
}

/**
 * Everything a report needs from Graph: the range itself, the previous period, the same days a
 * week before (short ranges), and the baseline history for anomaly detection.
 */
export function fetchWindow(range: TimeRange, granularity: Granularity, tz: string): TimeRange {
  const starts = [range.start, previousPeriod(range, tz).start, shiftDays(range, -HISTORY_DAYS[granularity], tz).start];
  if (comparesWithLastWeek(range)) starts.push(sameWeekdayLastWeek(range, tz).start);
  return { start: Math.min(...starts), end: range.end };
}

/**
 * The instants a report's buckets must not straddle: its range's and its comparisons' edges.
 * Coarse buckets are cut there, so each total is of exactly the period it names.
 */
export function reportEdges(range: TimeRange, granularity: Granularity, tz: string): number[] {
  const previous = previousPeriod(range, tz);
  const edges = [range.start, range.end, previous.start, previous.end, fetchWindow(range, granularity, tz).start];
  if (comparesWithLastWeek(range)) {
    const weekAgo = sameWeekdayLastWeek(range, tz);
    edges.push(weekAgo.start, weekAgo.end);
  }
  return edges;
}

/**
 * What judging a report's range needs, without its comparisons: the range and the baseline
 * history before it (a breakdown row judged closely when its previous period cannot be afforded).
 */
export function judgedWindow(range: TimeRange, granularity: Granularity, tz: string): TimeRange {
  return { start: Math.min(range.start, shiftDays(range, -HISTORY_DAYS[granularity], tz).start), end: range.end };
}
