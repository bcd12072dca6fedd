import { DateTime } from 'luxon';
import type { Granularity, TimeRange } from '../vocabulary/series.js';

export const HALF_HOUR_SECONDS = 1800;

function local(ts: number, tz: string): DateTime {
  return DateTime.fromSeconds(ts, { zone: tz });
}

/**
 * Start of the bucket holding `ts`. HALF_HOUR buckets are UTC half hours (Graph's own grid, so
 * zones offset by :45 see them at :15/:45); DAY and MONTH buckets start at local midnight in `tz`
 * and so last 23 or 25 hours across daylight-saving changes.
 */
export function bucketStartOf(ts: number, granularity: Granularity, tz: string): number {
  if (granularity === 'half_hour') return Math.floor(ts / HALF_HOUR_SECONDS) * HALF_HOUR_SECONDS;
  return local(ts, tz)
    .startOf(granularity === 'day' ? 'day' : 'month')
    .toSeconds();
}

export function nextBucketStart(start: number, granularity: Granularity, tz: string): number {
  if (granularity === 'half_hour') return start + HALF_HOUR_SECONDS;
  const next = local(start, tz).plus(granularity === 'day' ? { days: 1 } : { months: 1 });
  return next.startOf(granularity === 'day' ? 'day' : 'month').toSeconds();
}

/** Every bucket overlapping `range`, in order; the first starts at or before `range.start`. */
export function bucketGrid(range: TimeRange, granularity: Granularity, tz: string): TimeRange[] {
  const grid: TimeRange[] = [];
  let start = bucketStartOf(range.start, granularity, tz);
  while (start < range.end) {
    const end = nextBucketStart(start, granularity, tz);
    grid.push({ start, end });
    start = end;
  }
  return grid;
}

/** True when `ts` is a bucket boundary for this granularity and zone. */
export function isBucketBoundary(ts: number, granularity: Granularity, tz: string): boolean {
  return bucketStartOf(ts, granularity, tz) === ts;
}

/** The same wall-clock interval moved by whole calendar days in `tz` (DST-aware). */
export function shiftDays(range: TimeRange, days: number, tz: string): TimeRange {
  return {
    start: local(range.start, tz).plus({ days }).toSeconds(),
    end: local(range.end, tz).plus({ days }).toSeconds(),
  };
}

/**
 * The period of the same length just before `range`: whole local days shift by calendar days,
 * whole months by months, anything else by its length in seconds.
 */
export function previousPeriod(range: TimeRange, tz: string): TimeRange {
  const start = local(range.start, tz);
  const end = local(range.end, tz);
  if (isBucketBoundary(range.start, 'month', tz) && isBucketBoundary(range.end, 'month', tz)) {
    const months = Math.round(end.diff(start, 'months').months);
    return { start: start.minus({ months }).toSeconds(), end: range.start };
  }
  if (isBucketBoundary(range.start, 'day', tz) && isBucketBoundary(range.end, 'day', tz)) {
    const days = Math.round(end.diff(start, 'days').days);
    return { start: start.minus({ days }).toSeconds(), end: range.start };
  }
  if (isBucketBoundary(range.start, 'day', tz)) {
    // "Today so far" compares with the same hours of the day(s) before, not with last night.
    return shiftDays(range, -Math.ceil(end.diff(start, 'days').days), tz);
  }
  return { start: range.start - (range.end - range.start), end: range.start };
}

/** The same weekdays and hours one week earlier. */
export function sameWeekdayLastWeek(range: TimeRange, tz: string): TimeRange {
  return shiftDays(range, -7, tz);
}

export function toIso(ts: number, tz: string): string {
  return local(ts, tz).toISO({ suppressMilliseconds: true })!;
}

/**
 * Zone offsets (minutes) by zone and UTC half hour. Offsets change on the half hour in some
 * zones (Adelaide, St John's and Lord Howe change clocks at :30 UTC, and Lord Howe by 30
 * minutes), so an hourly cache would misplace one half hour at every change there.
 */
const offsetCache = new Map<string, Map<number, number>>();
const MAX_CACHED_HALF_HOURS = 400_000;

export function offsetMinutes(ts: number, tz: string): number {
  const slot = Math.floor(ts / HALF_HOUR_SECONDS);
  let bySlot = offsetCache.get(tz);
  if (!bySlot) {
    bySlot = new Map();
    offsetCache.set(tz, bySlot);
  }
  let offset = bySlot.get(slot);
  if (offset === undefined) {
    if (bySlot.size >= MAX_CACHED_HALF_HOURS) bySlot.clear();
    offset = local(slot * HALF_HOUR_SECONDS, tz).offset;
    bySlot.set(slot, offset);
  }
  return offset;
}

export interface LocalClock {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  /** ISO weekday: 1 = Monday. */
  weekday: number;
  hour: number;
  minute: number;
  /** Days since 1970-01-01 in local time: equal for two instants on the same local day. */
  dayNumber: number;
}

/**
 * The wall clock in `tz` at `ts`, from the cached offset: what a chart labels thousands of
 * buckets with, without a Luxon DateTime (and an Intl lookup) per bucket.
 */
export function localClock(ts: number, tz: string): LocalClock {
  const local = ts + offsetMinutes(ts, tz) * 60;
  const d = new Date(local * 1000);
  const dayNumber = Math.floor(local / 86_400);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: ((d.getUTCDay() + 6) % 7) + 1,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    dayNumber,
  };
}
