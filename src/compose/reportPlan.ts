import { DateTime } from 'luxon';
import type { BreakdownDimension } from '../analytics/breakdown.js';
import { HALF_HOUR_SECONDS } from '../analytics/time.js';
import type { AccountConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { planChunks } from '../graph/chunks.js';
import { GRAPH_DEFAULTS, GRAPH_LOOKBACK_SECONDS, type GraphSettings } from '../graph/defaults.js';
import { endingByNow, parseGranularity, type RangeSpec, resolveRange } from '../query/range.js';
import { fetchWindow, reportEdges } from '../report/window.js';
import type { Granularity, TimeRange } from '../vocabulary/series.js';
import { planFetch, snapToDays } from './fetchPlan.js';

/**
 * The one planner for every report a person asks for — `waba-pulse report` and the chat
 * `report` command alike: the range as they said it, the granularity, the bounds (half-hourly
 * up to 31 days, nothing wholly past Graph's one-year lookback), and what it will cost in Graph
 * calls, refused before any call is made when it is more than one report may spend.
 * Pure: the clock and the limits come in.
 */
export interface ReportSpec {
  range: RangeSpec;
  granularity?: string | undefined;
  by?: BreakdownDimension | undefined;
}

export type ReportLimits = Pick<GraphSettings, 'halfHourChunkMs' | 'dayChunkMs' | 'callsPerReport'>;

export interface PlannedReport {
  range: TimeRange;
  granularity: Granularity;
  by: BreakdownDimension | undefined;
  /** What the person should know about the plan (an end moved to now, a start moved into the lookback). */
  notes: string[];
}

/** Half-hour reports past this span are thousands of bars and dozens of Graph calls. */
export const MAX_HALF_HOUR_DAYS = 31;
/** How far back Graph serves messaging analytics. */

function isoDay(ts: number, tz: string): string {
  return DateTime.fromSeconds(ts, { zone: tz }).toISODate()!;
}

export function planReportRequest(
  account: AccountConfig,
  spec: ReportSpec,
  nowMs: number,
  limits: ReportLimits = GRAPH_DEFAULTS,
): PlannedReport {
  const resolved = resolveRange(spec.range, account.timezone, nowMs);
  const granularity = spec.granularity ? parseGranularity(spec.granularity) : resolved.granularity;
  // Cut at now here, not by the Graph client later: the plan, the title and what Graph is asked agree.
  const ending = endingByNow(resolved.range, account.timezone, nowMs);
  // Graph counts by half hour: a start inside one (`--last 24h` at 09:49) takes the whole half
  // hour, as its bucket does, so the title and every granularity's totals agree.
  const range = { start: Math.floor(ending.range.start / HALF_HOUR_SECONDS) * HALF_HOUR_SECONDS, end: ending.range.end };
  const notes: string[] = ending.note ? [ending.note] : [];
  const days = (range.end - range.start) / 86_400;
  if (granularity === 'half_hour' && days > MAX_HALF_HOUR_DAYS) {
    throw new UsageError(
      `half-hourly over ${Math.round(days)} days is too fine`,
      `ask for daily, or a range of up to ${MAX_HALF_HOUR_DAYS} days`,
    );
  }
  const oldest = Math.floor(nowMs / 1000) - GRAPH_LOOKBACK_SECONDS;
  if (range.end <= oldest) {
    throw new UsageError(
      `the range ends ${isoDay(range.end - 1, account.timezone)}, before Graph's one-year lookback: the oldest day Graph still serves is ${isoDay(oldest, account.timezone)}`,
      `pick a range after ${isoDay(oldest, account.timezone)}`,
      'E_RANGE_TOO_OLD',
    );
  }
  if (range.start < oldest) {
    // Partly too old: start at the first whole day Graph still serves, and say so.
    range.start = Math.floor(DateTime.fromSeconds(oldest, { zone: account.timezone }).plus({ days: 1 }).startOf('day').toSeconds());
    notes.push(
      `Start moved to ${DateTime.fromSeconds(range.start, { zone: account.timezone }).toISODate()}: Graph keeps one year of messaging analytics.`,
    );
  }
  // Long reports in a zone other than the WABA's are counted in Graph's own days: the range
  // becomes those days, so the title and the totals speak of the same period.
  const window = fetchWindow(range, granularity, account.timezone);
  const fetchPlan = planFetch(
    granularity,
    account.timezone,
    account.wabaTimezone,
    window,
    reportEdges(range, granularity, account.timezone),
  );
  if (fetchPlan.bucketTimezone !== account.timezone) {
    Object.assign(range, snapToDays(range, account.timezone, fetchPlan.bucketTimezone));
    const cut = endingByNow(range, fetchPlan.bucketTimezone, nowMs);
    range.end = cut.range.end;
    if (cut.note && !ending.note) notes.push(cut.note);
  }
  const calls = reportCallsPerScope(account, range, granularity, nowMs, limits);
  if (calls > limits.callsPerReport) {
    throw new UsageError(
      `a ${granularity === 'half_hour' ? 'half-hourly' : granularity === 'day' ? 'daily' : 'monthly'} report of ${Math.round(days)} days needs ${calls} Graph calls, more than the ${limits.callsPerReport} one report may use`,
      'ask for a coarser granularity or a shorter range (graph.callsPerReport sets the limit)',
      'E_REPORT_TOO_COSTLY',
    );
  }
  return { range, granularity, by: spec.by, notes };
}

/**
 * Graph calls one scope of a report costs uncached: its whole fetch window (range, previous
 * period, baseline history), clamped to the lookback, cut into the chunks the client requests.
 */
export function reportCallsPerScope(
  account: Pick<AccountConfig, 'timezone' | 'wabaTimezone'>,
  range: TimeRange,
  granularity: Granularity,
  nowMs: number,
  limits: ReportLimits = GRAPH_DEFAULTS,
): number {
  const nowS = Math.floor(nowMs / 1000);
  const window = fetchWindow(range, granularity, account.timezone);
  const clamped = { start: Math.max(window.start, nowS - GRAPH_LOOKBACK_SECONDS), end: Math.min(window.end, nowS) };
  if (clamped.start >= clamped.end) return 0;
  const plan = planFetch(granularity, account.timezone, account.wabaTimezone, clamped, reportEdges(range, granularity, account.timezone));
  const spanMs = plan.graphGranularity === 'HALF_HOUR' ? limits.halfHourChunkMs : limits.dayChunkMs;
  return planChunks(clamped, plan.graphGranularity, account.wabaTimezone, Math.floor(spanMs / 1000)).length;
}
