import { type Anomaly, type AnomalyScope, analyzeSeries, detectAnomalies } from '../analytics/anomalies.js';
import { type BreakdownDimension, breakdown, topMovers } from '../analytics/breakdown.js';
import { fillGaps, isWholeBucket, markSettlement, type SeriesPoint, totals, within } from '../analytics/buckets.js';
import { compareTotals } from '../analytics/compare.js';
import type { DetectionSettings } from '../analytics/detectionSettings.js';
import { type FailureSummary, summarizeFailures } from '../analytics/failures.js';
import { normalizeSeries } from '../analytics/normalize.js';
import { compareAnomalies } from '../analytics/ranking.js';
import type { Coverage } from '../analytics/scoring.js';
import { previousPeriod, sameWeekdayLastWeek } from '../analytics/time.js';
import type { DataPoint, Granularity, TimeRange } from '../vocabulary/series.js';
import { GRAPH_LOOKBACK_SECONDS } from '../vocabulary/series.js';
import type { StatusTotal } from '../vocabulary/statuses.js';
import { baselineCoverage, shortBaselineNote } from './baseline.js';
import { breakdownLabel } from './format.js';
import type { Comparison, Report } from './model.js';
import { comparesWithLastWeek, fetchWindow, reportEdges } from './window.js';

function sentIn(points: readonly DataPoint[]): number {
  let sent = 0;
  for (const p of points) sent += p.sent;
  return sent;
}

export interface BuildInput {
  /** Status webhook counts of the range (the report's own, not the baseline's); absent when none are kept. */
  statuses?: { rows: readonly StatusTotal[]; webhooksKnown: boolean; since?: number | undefined } | undefined;
  account: { id: string; name: string; displayName: string };
  range: TimeRange;
  timezone: string;
  granularity: Granularity;
  /** Zone of the bucket grid (the report's zone unless Graph's own days are used). */
  bucketTimezone?: string;
  scope?: { phoneNumbers: string[]; countries: string[] };
  nowMs: number;
  settleMs: number;
  /** Raw points covering `fetchWindow(...)`, at this granularity or finer. */
  points: readonly DataPoint[];
  breakdown?:
    | {
        by: BreakdownDimension;
        items: readonly BreakdownRow[];
        /** Rows not judged at the report's granularity, and why. */
        unjudged?: readonly UnjudgedRow[] | undefined;
        /** Zone of the rows' `days` (Graph's days: the WABA's). */
        dayTimezone?: string | undefined;
      }
    | undefined;
  notes?: string[];
  detection?: Partial<DetectionSettings> | undefined;
}

/** One row of a breakdown as fetched. */
export interface BreakdownRow {
  key: string;
  /** At the report's granularity or finer: the whole fetch window, or only the range and its baseline. */
  points: readonly DataPoint[];
  /** Graph's days over the fetch window: the previous period's totals, or the whole row when judged by day. */
  days?: readonly DataPoint[] | undefined;
  /** 'day': judged by Graph's days only (the call budget); otherwise at the report's own granularity. */
  judgedBy?: 'report' | 'day' | undefined;
  /** A row judged by day: its unusual days looked at half hour by half hour, each with the week before it. */
  looks?: ReadonlyArray<{ range: TimeRange; points: readonly DataPoint[] }> | undefined;
}

export interface UnjudgedRow {
  key: string;
  judgedBy: 'day' | null;
  reason: string;
}

type Prepared = ReturnType<ReportBuilder['prepare']>;

/** One report's building: its range, window and zones, the notes gathered on the way. Pure. */
class ReportBuilder {
  readonly tz: string;
  readonly bucketTz: string;
  readonly nowS: number;
  readonly range: TimeRange;
  readonly window: TimeRange;
  readonly edges: ReturnType<typeof reportEdges>;
  readonly notes: string[];
  readonly oldestServed: number;
  readonly previous: TimeRange;

  constructor(readonly input: BuildInput) {
    this.tz = input.timezone;
    this.bucketTz = input.bucketTimezone ?? this.tz;
    this.nowS = Math.floor(input.nowMs / 1000);
    this.range = { start: input.range.start, end: Math.min(input.range.end, Math.max(this.nowS, input.range.start + 1)) };
    this.window = fetchWindow(this.range, input.granularity, this.tz);
    this.edges = reportEdges(this.range, input.granularity, this.tz);
    this.notes = [...(input.notes ?? [])];
    this.oldestServed = this.nowS - GRAPH_LOOKBACK_SECONDS;
    this.previous = previousPeriod(this.range, this.tz);
  }

  private repaired(raw: readonly DataPoint[]): DataPoint[] {
    const { points, notes: repairs } = normalizeSeries(raw);
    for (const note of repairs) if (!this.notes.includes(note)) this.notes.push(note);
    return points;
  }

  prepare(raw: readonly DataPoint[]) {
    const { input, range } = this;
    const filled = fillGaps(this.repaired(raw), this.window, input.granularity, this.bucketTz, this.edges);
    const current = filled.points.filter((p) => p.end > range.start && p.start < range.end);
    const firstStart = current[0]?.start ?? range.start;
    const series = markSettlement(current, input.nowMs, input.settleMs);
    // A day or month the range cuts is part of one: said, and never judged as a whole one.
    for (const p of series) if (!isWholeBucket(p, input.granularity, this.bucketTz)) p.partial = true;
    return { filled, history: filled.points.filter((p) => p.start < firstStart), series };
  }

  /** Graph's days of a row (the WABA's zone): the whole grid, the days before the range and those in it. */
  prepareDays(raw: readonly DataPoint[]) {
    const { input, range } = this;
    const dayTz = input.breakdown?.dayTimezone ?? this.bucketTz;
    const all = fillGaps(this.repaired(raw), this.window, 'day', dayTz).points;
    const series = markSettlement(
      all.filter((p) => p.end > range.start && p.start < range.end),
      input.nowMs,
      input.settleMs,
    );
    // A Graph day the range cuts (another zone's days) is only partly the range's: never judged.
    for (const p of series) if (p.start < range.start || p.end > range.end) p.partial = true;
    return { all, history: all.filter((p) => p.end <= range.start), series };
  }

  compare(main: Prepared, current: ReturnType<typeof totals>, other: TimeRange, label: string): Comparison | null {
    // Graph no longer has (all of) that period: its zeros would read as a collapse or a surge.
    if (other.start < this.oldestServed) {
      this.notes.push(`Not compared with the ${label}: it starts before Graph's one-year lookback.`);
      return null;
    }
    const t = totals(within(main.filled.points, other));
    return { range: other, totals: t, change: compareTotals(current, t) };
  }

  detect(
    history: DataPoint[],
    series: SeriesPoint[],
    scope: AnomalyScope,
    coverage: Coverage,
    at: { granularity: Granularity; tz: string } = { granularity: this.input.granularity, tz: this.bucketTz },
  ) {
    return detectAnomalies({ history, series, ...at, scope, settings: this.input.detection, coverage });
  }

  /** A row judged by Graph's days (the call budget), and its unusual days half hour by half hour, each after its week. */
  judgeByDays(days: ReturnType<ReportBuilder['prepareDays']>, looks: BreakdownRow['looks'], scope: AnomalyScope, coverage: Coverage) {
    const { input } = this;
    const dayTz = input.breakdown?.dayTimezone ?? this.bucketTz;
    const found = this.detect(days.history, days.series, scope, coverage, { granularity: 'day', tz: dayTz });
    for (const look of looks ?? []) {
      const { points } = normalizeSeries(look.points);
      const grid = fillGaps(points, { start: look.range.start - 7 * 86_400, end: look.range.end }, input.granularity, this.bucketTz).points;
      const series = markSettlement(
        grid.filter((p) => p.start >= look.range.start),
        input.nowMs,
        input.settleMs,
      );
      found.push(
        ...this.detect(
          grid.filter((p) => p.start < look.range.start),
          series,
          scope,
          coverage,
        ),
      );
    }
    return found;
  }

  breakdownSection(main: Prepared, coverage: Coverage, anomalies: Anomaly[]): Report['breakdown'] {
    const spec = this.input.breakdown;
    if (!spec) return null;
    const { by } = spec;
    const accountSent = sentIn(main.series);
    const previousOf = (points: readonly DataPoint[]) => (this.previous.start < this.oldestServed ? [] : within(points, this.previous));
    const inputs = spec.items.map((item) => {
      const scope: AnomalyScope = { kind: by, key: item.key, label: breakdownLabel(by, item.key) };
      const days = item.days ? this.prepareDays(item.days) : undefined;
      if (item.judgedBy === 'day' && days) {
        anomalies.push(...this.judgeByDays(days, item.looks, scope, coverage));
        return { key: item.key, current: days.series, previous: previousOf(days.all) };
      }
      const prepared = this.prepare(item.points);
      // An item that carries every message (a single-number account) would repeat the account's
      // anomalies word for word under its own name: the account's say it once.
      const wholeAccount = accountSent > 0 && sentIn(prepared.series) === accountSent;
      if (!wholeAccount) anomalies.push(...this.detect(prepared.history, prepared.series, scope, coverage));
      return { key: item.key, current: prepared.series, previous: previousOf(days ? days.all : prepared.filled.points) };
    });
    const items = breakdown(inputs);
    return { by, items, topMovers: topMovers(items), unjudged: [...(spec.unjudged ?? [])] };
  }

  /** Failure reasons, when status webhooks are kept: a range without any says so, never zeros. */
  failures(): FailureSummary | null {
    const { statuses, breakdown: spec } = this.input;
    if (!statuses) return null;
    if (statuses.rows.length) {
      const since = statuses.since;
      // Said where the failures are shown, not in a note at the bottom.
      return { ...summarizeFailures(statuses.rows, spec?.by), ...(since !== undefined && since > this.range.start ? { since } : {}) };
    }
    if (statuses.webhooksKnown) this.notes.push('No WhatsApp status webhooks were received for this range: failure reasons are unknown.');
    return null;
  }
}

export function buildReport(input: BuildInput): Report {
  const b = new ReportBuilder(input);
  const { range, bucketTz, notes } = b;
  const main = b.prepare(input.points);
  if (main.filled.straddling > 0)
    notes.push(
      `${main.filled.straddling} Graph bucket(s) crossed a ${input.granularity} boundary in ${bucketTz} and were counted where they start.`,
    );
  const current = totals(main.series);
  const scope = input.scope ?? { phoneNumbers: [], countries: [] };
  const accountScope: AnomalyScope = {
    kind: 'account',
    key: null,
    label: scope.phoneNumbers.length || scope.countries.length ? 'the configured scope' : 'all traffic',
  };
  // Graph's year and the account's first data bound every scope's baseline alike.
  const coverage = baselineCoverage({
    servedFrom: b.oldestServed,
    windowStart: b.window.start,
    points: main.filled.points,
    granularity: input.granularity,
    tz: bucketTz,
  });
  const judgedMain = analyzeSeries({
    history: main.history,
    series: main.series,
    granularity: input.granularity,
    tz: bucketTz,
    scope: accountScope,
    settings: input.detection,
    coverage,
  });
  const firstBucket = main.series[0]?.start ?? range.start;
  const shortBaseline = shortBaselineNote(coverage, firstBucket, judgedMain.unjudgedUntil, main.series.at(-1)?.end ?? range.end, bucketTz);
  if (shortBaseline) notes.push(shortBaseline);
  const found: Anomaly[] = [...judgedMain.anomalies];
  const breakdownSection = b.breakdownSection(main, coverage, found);
  // What a report judges is its range: nothing it says began before the range's first bucket.
  const anomalies = found.filter((a) => a.start >= firstBucket).sort(compareAnomalies);
  const failures = b.failures();
  const settled = main.series.filter((p) => p.settled);
  return {
    account: input.account,
    range: { ...range, timezone: b.tz },
    granularity: input.granularity,
    bucketTimezone: bucketTz,
    scope,
    totals: current,
    comparisons: {
      previousPeriod: b.compare(main, current, b.previous, 'previous period'),
      sameWeekdayLastWeek: comparesWithLastWeek(range)
        ? b.compare(main, current, sameWeekdayLastWeek(range, b.tz), 'same days a week before')
        : null,
    },
    series: main.series,
    anomalies,
    breakdown: breakdownSection,
    failures,
    freshness: {
      generatedAt: input.nowMs,
      settledUntil: settled.length ? settled[settled.length - 1]!.end : null,
      unsettledBuckets: main.series.filter((p) => !p.settled && p.start < b.nowS).length,
      settleMs: input.settleMs,
    },
    notes,
  };
}
