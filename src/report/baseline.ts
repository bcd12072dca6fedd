import { DateTime } from 'luxon';
import type { Coverage } from '../analytics/scoring.js';
import { bucketStartOf } from '../analytics/time.js';
import type { DataPoint, Granularity } from '../vocabulary/series.js';

/**
 * How much of a report's baseline Graph could tell. Buckets older than Graph serves, or before
 * the account's first data, are unknown — never zeros: zeros there made a range's first days read
 * as spikes. Anomalies need a week of known history before a bucket (the detector's seasonal
 * baseline is the same time on each of the previous seven days); with less, the report says so.
 */
export const MIN_HISTORY_DAYS = 7;

export interface BaselineInput {
  /** The first instant Graph still serves (now less its one-year lookback). */
  servedFrom: number;
  /** Where the fetched window starts: nothing before it was asked for. */
  windowStart: number;
  /** The account scope's buckets over the window, gaps filled. */
  points: readonly DataPoint[];
  granularity: Granularity;
  /** The zone whose days the account's first data is counted from. */
  tz: string;
}

/**
 * The coverage every scope of a report is judged with: known from the later of what Graph serves
 * and the day of the account's first data. Only a first day three or more days into the window
 * counts as the account starting: a quiet weekend is not the account's beginning.
 */
export function baselineCoverage(input: BaselineInput): Coverage {
  if (input.granularity === 'month') return {};
  const firstData = input.points.find((p) => p.sent > 0);
  const firstDay = firstData ? bucketStartOf(firstData.start, 'day', input.tz) : Number.NEGATIVE_INFINITY;
  // Graph's first bucket is cut at the lookback edge: partly served, so unknown too.
  const servedFrom = input.servedFrom > input.windowStart ? input.servedFrom : Number.NEGATIVE_INFINITY;
  const accountFrom = firstDay >= input.windowStart + QUIET_DAYS * 86_400 ? firstDay : Number.NEGATIVE_INFINITY;
  const knownFrom = Math.max(servedFrom, accountFrom);
  return knownFrom === Number.NEGATIVE_INFINITY ? {} : { knownFrom, minHistorySeconds: MIN_HISTORY_DAYS * 86_400 };
}

/** Days without a message at the start of the window that still say nothing of an account's start. */
const QUIET_DAYS = 3;

/**
 * The one note a report with too short a baseline carries: how many whole days of history the
 * range had, what judging needs, and from when it was judged if from some day within it.
 */
export function shortBaselineNote(
  coverage: Coverage,
  rangeStart: number,
  unjudgedUntil: number | undefined,
  seriesEnd: number,
  tz: string,
): string | undefined {
  if (unjudgedUntil === undefined || coverage.knownFrom === undefined) return undefined;
  const days = Number.isFinite(coverage.knownFrom) ? Math.max(0, Math.floor((rangeStart - coverage.knownFrom) / 86_400)) : 0;
  const why = `only ${days} day${days === 1 ? '' : 's'} of history before this range — anomalies need at least ${MIN_HISTORY_DAYS}.`;
  if (unjudgedUntil >= seriesEnd) return `Anomalies not judged: ${why}`;
  const local = DateTime.fromSeconds(unjudgedUntil, { zone: tz });
  const from = local.toFormat(local.hour === 0 && local.minute === 0 ? 'ccc d LLL' : 'ccc d LLL HH:mm');
  return `Anomalies not judged before ${from}: ${why}`;
}
