import { DateTime } from 'luxon';
import { UsageError } from '../errors.js';
import { quoted } from '../text.js';
import type { Granularity, TimeRange } from '../vocabulary/series.js';

/**
 * Report ranges as people say them, shared by the CLI flags and the chat commands:
 * `--from/--to` (ISO dates, ISO times or UNIX seconds), `--last 7d|24h|4w|3m`, `today`,
 * `yesterday`. Dates are read in the report's time zone. Pure: `now` is passed in.
 */
export interface RangeSpec {
  from?: string | undefined;
  to?: string | undefined;
  last?: string | undefined;
  preset?: 'today' | 'yesterday' | undefined;
  /** How the surface it was typed on names its parts, for errors (the CLI's flags by default). */
  names?: RangeNames | undefined;
}

/** What a person typed each part of a range as: a CLI flag, or a word of a chat command. */
export interface RangeNames {
  from: string;
  to: string;
  last: string;
  /** A good range, written as this surface takes it. (`last` may be empty: a chat period is the word itself.) */
  example: string;
}

export const CLI_RANGE_NAMES: RangeNames = { from: '--from', to: '--to', last: '--last', example: '--from 2026-11-01 --to 2026-11-07' };
export const CHAT_RANGE_NAMES: RangeNames = { from: 'the start', to: 'the end', last: '', example: '2026-11-01..2026-11-07' };

export interface ResolvedRange {
  range: TimeRange;
  /** The granularity that suits the span when the user names none. */
  granularity: Granularity;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

const DATE_HINT = 'use YYYY-MM-DD, an ISO time such as 2026-11-20T09:00, or UNIX seconds';

/** A point in time as typed, or undefined when it is not one. `endOfDay` makes a bare date mean the end of that day. */
function instant(value: string, tz: string, endOfDay: boolean): number | undefined {
  const text = value.trim();
  if (/^\d{9,11}$/.test(text)) return Number(text);
  const dt = DateTime.fromISO(text, { zone: tz, setZone: true });
  if (!dt.isValid) return undefined;
  const at = DATE_ONLY.test(text) && endOfDay ? dt.plus({ days: 1 }) : dt;
  return Math.floor(at.toSeconds());
}

/** The start and end as typed, both read before either is refused: two bad dates are named together. */
function instants(spec: RangeSpec, names: RangeNames, tz: string): { from?: number; to?: number } {
  const from = spec.from === undefined ? undefined : instant(spec.from, tz, false);
  const to = spec.to === undefined ? undefined : instant(spec.to, tz, true);
  const bad = [
    ...(spec.from !== undefined && from === undefined ? [`${names.from} ${quoted(spec.from)}`] : []),
    ...(spec.to !== undefined && to === undefined ? [`${names.to} ${quoted(spec.to)}`] : []),
  ];
  if (bad.length) throw new UsageError(`${bad.join(' and ')} ${bad.length > 1 ? 'are not dates' : 'is not a date'}`, DATE_HINT);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

export function defaultGranularity(range: TimeRange): Granularity {
  const span = range.end - range.start;
  if (span <= 2 * 86_400) return 'half_hour';
  if (span <= 93 * 86_400) return 'day';
  return 'month';
}

function describe(ts: number, tz: string): string {
  return DateTime.fromSeconds(ts, { zone: tz }).toFormat('yyyy-LL-dd HH:mm');
}

export function resolveRange(spec: RangeSpec, tz: string, nowMs: number): ResolvedRange {
  const now = DateTime.fromMillis(nowMs, { zone: tz });
  const nowS = Math.floor(nowMs / 1000);
  const given = [spec.last !== undefined, spec.from !== undefined || spec.to !== undefined, spec.preset !== undefined].filter(
    Boolean,
  ).length;
  const names = spec.names ?? CLI_RANGE_NAMES;
  if (given > 1)
    throw new UsageError(`give one of ${names.last}, ${names.from}/${names.to}, today or yesterday, not several`, `e.g. ${names.example}`);

  let range: TimeRange;
  if (spec.preset === 'today') {
    range = { start: Math.floor(now.startOf('day').toSeconds()), end: nowS };
  } else if (spec.preset === 'yesterday') {
    const today = now.startOf('day');
    range = { start: today.minus({ days: 1 }).toSeconds(), end: today.toSeconds() };
  } else if (spec.from !== undefined || spec.to !== undefined) {
    const typed = instants(spec, names, tz);
    const end = typed.to ?? nowS;
    const start = typed.from ?? DateTime.fromSeconds(end, { zone: tz }).minus({ days: 7 }).toSeconds();
    if (start >= end) {
      throw new UsageError(
        `${names.from} ${spec.from ?? describe(start, tz)} is not before ${names.to} ${spec.to ?? 'now'}`,
        `swap them, or give ${names.to} after ${names.from}`,
      );
    }
    range = { start, end };
  } else {
    range = lastRange(spec.last ?? '7d', now, names);
  }

  if (range.start >= nowS) {
    throw new UsageError(
      `the range ${describe(range.start, tz)}..${describe(range.end, tz)} (${tz}) is in the future`,
      'Graph has no data for it yet: pick a range that starts before now',
    );
  }
  // Whole seconds everywhere: Graph takes UNIX seconds and the store keeps them in bigint columns.
  const whole = { start: Math.floor(range.start), end: Math.floor(range.end) };
  return { range: whole, granularity: defaultGranularity(whole) };
}

/**
 * A range that ends after now, cut at now — Graph has no buckets after it — with a note saying
 * so in the range's zone, for the report (text, JSON `notes`, chat) to show.
 */
export function endingByNow(range: TimeRange, tz: string, nowMs: number): { range: TimeRange; note?: string } {
  const nowS = Math.floor(nowMs / 1000);
  if (range.end <= nowS) return { range };
  return {
    range: { start: range.start, end: nowS },
    note: `End moved to now (${describe(nowS, tz)} ${tz}): Graph has no data after that yet.`,
  };
}

/**
 * `Nh`: the last N hours up to now. `Nd`/`Nw`: the N whole days (weeks) before today, so a
 * daily chart never ends on a half-finished day. `Nm`: N whole calendar months before this one.
 */
function lastRange(text: string, now: DateTime, names: RangeNames): TimeRange {
  const match = /^\s*(\d{1,4})\s*([hdwm])\s*$/i.exec(text);
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount < 1)
    throw new UsageError(
      `${names.last ? `${names.last} ` : ''}${quoted(text)} is not a period`,
      'write a number and a unit: 24h, 7d, 4w or 3m',
    );
  const unit = match[2]!.toLowerCase();
  if (unit === 'h') {
    const end = Math.floor(now.toSeconds());
    return { start: end - amount * 3600, end };
  }
  if (unit === 'm') {
    const thisMonth = now.startOf('month');
    return { start: thisMonth.minus({ months: amount }).toSeconds(), end: thisMonth.toSeconds() };
  }
  const today = now.startOf('day');
  const days = unit === 'w' ? amount * 7 : amount;
  return { start: today.minus({ days }).toSeconds(), end: today.toSeconds() };
}

export function parseGranularity(value: string): Granularity {
  const g = value.trim().toLowerCase().replace('-', '_');
  const aliases: Record<string, Granularity> = {
    half_hour: 'half_hour',
    halfhour: 'half_hour',
    hourly: 'half_hour',
    day: 'day',
    daily: 'day',
    month: 'month',
    monthly: 'month',
  };
  const found = aliases[g];
  if (!found) throw new UsageError(`unknown granularity ${quoted(value)}`, 'use half_hour, day or month');
  return found;
}
