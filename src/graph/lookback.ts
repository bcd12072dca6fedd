import { DateTime } from 'luxon';
import { UsageError } from '../errors.js';
import type { TimeRange } from '../vocabulary/series.js';

/**
 * Refuse, in one line, a range starting before the oldest instant Graph still keeps (`oldest`,
 * unix seconds): named by the first whole day in `zone` a range may start on, the day the hint
 * asks for — not the oldest instant's own day, which begins before it.
 */
export function refuseBeforeLookback(range: TimeRange, oldest: number, zone: string, what: { range: string; kept: string }): void {
  if (range.start >= oldest) return;
  const firstDay = firstWholeDay(oldest, zone);
  throw new UsageError(
    `the ${what.range} range starts ${DateTime.fromSeconds(range.start, { zone }).toISODate()}, before the ${what.kept} (its first whole day: ${firstDay})`,
    `pick a start on or after ${firstDay}`,
    'E_RANGE_TOO_LONG',
  );
}

/** The first day in `zone` that starts at or after `oldest` (unix seconds): the earliest a range may start on. */
export function firstWholeDay(oldest: number, zone: string): string {
  const at = DateTime.fromSeconds(oldest, { zone });
  return (at.equals(at.startOf('day')) ? at : at.startOf('day').plus({ days: 1 })).toISODate()!;
}
