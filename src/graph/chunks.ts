import { DateTime } from 'luxon';
import type { TimeRange } from '../series.js';
import type { GraphGranularity } from './fields.js';

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
