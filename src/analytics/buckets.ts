import type { DataPoint, Granularity, TimeRange } from '../vocabulary/series.js';
import { arrivedAt, type SettleCurve } from './settle.js';
import { bucketGrid, bucketStartOf, HALF_HOUR_SECONDS as HALF_HOUR, nextBucketStart } from './time.js';

export interface Totals {
  sent: number;
  delivered: number;
  deliveryRate: number | null;
}

/** A bucket of a report: gaps filled, rate computed, and whether its deliveries may still change. */
export interface SeriesPoint extends DataPoint {
  deliveryRate: number | null;
  /** False while deliveries for messages sent in this bucket may still be arriving. */
  settled: boolean;
  /** True when the bucket covers only part of its period: it has not ended yet, or the range cuts it. */
  partial: boolean;
  /**
   * For a bucket still settling, judged against a settle curve: the share of its final
   * deliveries expected to be visible at its age, and that share's spread. Absent otherwise.
   */
  arrived?: number | undefined;
  arrivedSd?: number | undefined;
}

/** delivered / sent; null (never NaN) when nothing was sent. */
export function deliveryRate(sent: number, delivered: number): number | null {
  return sent > 0 ? delivered / sent : null;
}

export function totals(points: readonly DataPoint[]): Totals {
  let sent = 0;
  let delivered = 0;
  for (const p of points) {
    sent += p.sent;
    delivered += p.delivered;
  }
  return { sent, delivered, deliveryRate: deliveryRate(sent, delivered) };
}

export interface FilledSeries {
  points: DataPoint[];
  /** Source points that spanned two target buckets (counted in the one holding their start). */
  straddling: number;
}

/**
 * Lay `points` onto the bucket grid of `range`: buckets Graph omitted (no traffic) become zeros,
 * and finer points (HALF_HOUR) are summed into coarser local buckets (DAY/MONTH in `tz`).
 * Points outside the range are ignored.
 */
export function fillGaps(
  points: readonly DataPoint[],
  range: TimeRange,
  granularity: Granularity,
  tz: string,
  /** Instants no day or month bucket may straddle (a report's edges): buckets are cut there. */
  cuts: readonly number[] = [],
): FilledSeries {
  if (granularity === 'half_hour') return fillHalfHours(points, range);
  const whole = bucketGrid(range, granularity, tz);
  const natural = new Set(whole.map((b) => b.end));
  const grid = cutAt(whole, cuts);
  const out = grid.map((b) => ({ start: b.start, end: b.end, sent: 0, delivered: 0 }));
  let straddling = 0;
  for (const p of points) {
    const i = findBucket(grid, p.start);
    if (i < 0) continue;
    const bucket = out[i]!;
    bucket.sent += p.sent;
    bucket.delivered += p.delivered;
    // Crossing a cut of our own (a range edge inside a half hour) is not Graph's doing.
    if (p.end > bucket.end && natural.has(bucket.end)) straddling++;
  }
  return { points: out, straddling };
}

/** The grid with every bucket that holds a cut inside it split in two there. */
function cutAt(grid: readonly TimeRange[], cuts: readonly number[]): TimeRange[] {
  if (cuts.length === 0) return [...grid];
  const sorted = [...new Set(cuts)].sort((a, b) => a - b);
  const out: TimeRange[] = [];
  for (const bucket of grid) {
    let start = bucket.start;
    for (const cut of sorted) {
      if (cut <= start || cut >= bucket.end) continue;
      out.push({ start, end: cut });
      start = cut;
    }
    out.push({ start, end: bucket.end });
  }
  return out;
}

/** Whether a day or month bucket is its whole period in `tz`, not one cut at a report's edge. */
export function isWholeBucket(bucket: TimeRange, granularity: Granularity, tz: string): boolean {
  return (
    granularity === 'half_hour' ||
    (bucketStartOf(bucket.start, granularity, tz) === bucket.start && nextBucketStart(bucket.start, granularity, tz) === bucket.end)
  );
}

/** Half hours are UTC-aligned whatever the zone: each point's bucket is arithmetic. */
function fillHalfHours(points: readonly DataPoint[], range: TimeRange): FilledSeries {
  const first = Math.floor(range.start / HALF_HOUR) * HALF_HOUR;
  const count = Math.max(0, Math.ceil((range.end - first) / HALF_HOUR));
  const out: DataPoint[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = { start: first + i * HALF_HOUR, end: first + (i + 1) * HALF_HOUR, sent: 0, delivered: 0 };
  let straddling = 0;
  for (const p of points) {
    const i = Math.floor((p.start - first) / HALF_HOUR);
    if (i < 0 || i >= count) continue;
    const bucket = out[i]!;
    bucket.sent += p.sent;
    bucket.delivered += p.delivered;
    if (p.end > bucket.end) straddling++;
  }
  return { points: out, straddling };
}

/** Index of the grid bucket holding `ts`, or -1. */
function findBucket(grid: readonly TimeRange[], ts: number): number {
  let lo = 0;
  let hi = grid.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = grid[mid]!;
    if (ts < b.start) hi = mid - 1;
    else if (ts >= b.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * Rates plus settlement: a bucket is settled once `settleMs` have passed since it ended. With a
 * settle curve, a complete bucket still settling also carries the share of its deliveries
 * expected by now, so the detectors may judge it young.
 */
export function markSettlement(points: readonly DataPoint[], nowMs: number, settleMs: number, curve?: SettleCurve): SeriesPoint[] {
  // A literal, not a spread: spread copies get a slow object layout that the detectors pay for.
  return points.map((p) => {
    const settled = p.end * 1000 + settleMs <= nowMs;
    const partial = p.end * 1000 > nowMs;
    const young = curve && !settled && !partial ? arrivedAt(curve, (nowMs - p.end * 1000) / 60_000) : undefined;
    return {
      start: p.start,
      end: p.end,
      sent: p.sent,
      delivered: p.delivered,
      deliveryRate: deliveryRate(p.sent, p.delivered),
      settled,
      partial,
      arrived: young?.fraction,
      arrivedSd: young?.sd,
    };
  });
}

/** Points inside [range.start, range.end). */
export function within(points: readonly DataPoint[], range: TimeRange): DataPoint[] {
  return points.filter((p) => p.start >= range.start && p.start < range.end);
}
