import { DateTime } from 'luxon';
import type { TimeRange } from '../vocabulary/series.js';
import type { GraphGranularity } from './fields.js';

/**
 * Graph refuses MONTH over less than a month: `(#100) The time range must be at least one month
 * for granularity MONTH`. How it counts the month is not documented ("less than about a month"):
 * 31 days is a month however it is counted, calendar month or 28, 30 or 31 days.
 */
export const MONTH_REQUEST_MIN_SECONDS = 31 * 86_400;

/**
 * The granularity to ask Graph for `range`: MONTH over less than a month is asked by DAY, whose
 * days (midnight to midnight in the WABA's zone, as its months) add up to the same months.
 */
export function requestGranularity(range: TimeRange, granularity: GraphGranularity): GraphGranularity {
  return granularity === 'MONTH' && range.end - range.start < MONTH_REQUEST_MIN_SECONDS ? 'DAY' : granularity;
}

/**
 * Split a long range into requests Graph answers comfortably. Cuts fall on bucket boundaries
 * (UTC half hours; midnight in the WABA's zone for DAY) so no bucket is split across two
 * answers and counted twice. MONTH ranges are never split.
 */
export function planChunks(range: TimeRange, granularity: GraphGranularity, wabaTz: string, maxSpanSeconds: number): TimeRange[] {
  if (granularity === 'MONTH' || range.end - range.start <= maxSpanSeconds) return [range];
  const chunks: TimeRange[] = [];
  let cursor = range.start;
  while (cursor < range.end) {
    let cut = Math.min(range.end, cursor + maxSpanSeconds);
    if (cut < range.end) {
      const aligned =
        granularity === 'HALF_HOUR'
          ? Math.floor(cut / 1800) * 1800
          : DateTime.fromSeconds(cut, { zone: wabaTz }).startOf('day').toSeconds();
      if (aligned > cursor) cut = aligned;
    }
    chunks.push({ start: cursor, end: cut });
    cursor = cut;
  }
  return chunks;
}
