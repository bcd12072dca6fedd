import { DateTime } from 'luxon';
import type { DataPoint, SeriesPoint } from './series.js';
import { localDay, localMinuteOfDay, type Granularity } from './time.js';

export type AnomalyKind = 'delivery_drop' | 'volume_drop' | 'volume_spike';
export type Severity = 'warning' | 'critical';

/** Where an anomaly was found: the whole account (within its configured scope), one number, one country. */
export interface AnomalyScope {
  kind: 'account' | 'phone' | 'country';
  key: string | null;
  /** How a person reads it: "+1 631 555 1000", "IN", "all traffic". */
  label: string;
}

export interface Anomaly {
  kind: AnomalyKind;
  scope: AnomalyScope;
  start: number;
  end: number;
  /** Delivery rate (0..1) for delivery drops, messages sent per bucket for volume anomalies. */
  observed: number;
  expected: number;
  expectedLow: number;
  expectedHigh: number;
  severity: Severity;
  sent: number;
  delivered: number;
  explanation: string;
}

export interface DetectionSettings {
  /** Minimum sent in a bucket before its rate is judged. */
  minSent: number;
  /** Alert below this rate regardless of the baseline (0..1). */
  rateFloor?: number | undefined;
  /** A drop smaller than this many percentage points is never an anomaly. */
  minDropPoints: number;
  /** How many standard deviations below the baseline count as a drop. */
  z: number;
}

export const DEFAULT_DETECTION: DetectionSettings = { minSent: 200, minDropPoints: 2, z: 4 };

export interface DetectionInput {
  /** Buckets before the series, on the same grid: the baseline. */
  history: readonly DataPoint[];
  series: readonly SeriesPoint[];
  granularity: Granularity;
  tz: string;
  scope: AnomalyScope;
  settings?: Partial<DetectionSettings>;
}

const BASELINE_DAYS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * First-pass detectors: a delivery-rate drop against a trailing robust baseline whose spread
 * allows for more-than-binomial noise, and volume collapses/spikes against the same time slot
 * on previous days. Only settled buckets are judged for rate; partial buckets never for volume.
 */
export function detectAnomalies(input: DetectionInput): Anomaly[] {
  const settings = { ...DEFAULT_DETECTION, ...input.settings };
  if (input.granularity === 'month') return [];
  return [...detectRateDrops(input, settings), ...detectVolume(input, settings)].sort((a, b) => a.start - b.start);
}

function detectRateDrops(input: DetectionInput, s: DetectionSettings): Anomaly[] {
  const all: DataPoint[] = [...input.history, ...input.series];
  const offset = input.history.length;
  const windowSeconds = BASELINE_DAYS * 86_400;
  const flagged = new Set<number>();
  const verdicts: Array<{ index: number; p0: number; sd: number } | undefined> = [];

  input.series.forEach((point, j) => {
    const i = offset + j;
    if (!point.settled || point.sent < s.minSent) return;
    const baseline: Array<{ rate: number; n: number }> = [];
    for (let k = i - 1; k >= 0 && all[k]!.start >= point.start - windowSeconds; k--) {
      const b = all[k]!;
      if (b.sent >= s.minSent && !flagged.has(k)) baseline.push({ rate: b.delivered / b.sent, n: b.sent });
    }
    const observed = point.delivered / point.sent;
    const belowFloor = s.rateFloor !== undefined && observed < s.rateFloor;
    if (baseline.length < 3 && !belowFloor) return;
    const p0 = baseline.length >= 3 ? median(baseline.map((b) => b.rate)) : s.rateFloor!;
    const mad = baseline.length >= 3 ? median(baseline.map((b) => Math.abs(b.rate - p0))) * 1.4826 : 0;
    const binomialVar = baseline.length ? baseline.reduce((sum, b) => sum + (p0 * (1 - p0)) / b.n, 0) / baseline.length : 0;
    const excess = Math.max(0, mad * mad - binomialVar);
    const sd = Math.sqrt((p0 * (1 - p0)) / point.sent + excess);
    const threshold = Math.max(s.minDropPoints / 100, s.z * sd);
    if (p0 - observed > threshold || belowFloor) {
      flagged.add(i);
      verdicts[j] = { index: j, p0, sd };
    }
  });
  return mergeRuns(input, verdicts, (run) => {
    const sent = run.reduce((sum, v) => sum + input.series[v.index]!.sent, 0);
    const delivered = run.reduce((sum, v) => sum + input.series[v.index]!.delivered, 0);
    const observed = delivered / sent;
    const p0 = median(run.map((v) => v.p0));
    const sd = Math.sqrt((p0 * (1 - p0)) / sent + median(run.map((v) => Math.max(0, v.sd * v.sd - (v.p0 * (1 - v.p0)) / input.series[v.index]!.sent))));
    const band = Math.max(s.minDropPoints / 100, s.z * sd);
    const dropPoints = (p0 - observed) * 100;
    const critical = dropPoints >= 10 || (s.rateFloor !== undefined && observed < s.rateFloor - 0.05);
    const first = input.series[run[0]!.index]!;
    const last = input.series[run[run.length - 1]!.index]!;
    return {
      kind: 'delivery_drop',
      scope: input.scope,
      start: first.start,
      end: last.end,
      observed,
      expected: p0,
      expectedLow: Math.max(0, p0 - band),
      expectedHigh: Math.min(1, p0 + band),
      severity: critical ? 'critical' : 'warning',
      sent,
      delivered,
      explanation: `Delivery ${scopePhrase(input.scope)} fell to ${pct(observed)} (${count(delivered)} of ${count(sent)} delivered) ${when(first.start, last.end, input.granularity, input.tz)}; expected ${pct(p0)} (at least ${pct(Math.max(0, p0 - band))}).`,
    };
  });
}

/** Sent in the same slot on previous days: same local time of day (HALF_HOUR) or weekday (DAY). */
function slotBaseline(all: readonly DataPoint[], upTo: number, point: DataPoint, granularity: Granularity, tz: string): number[] {
  const values: number[] = [];
  const halfHourly = granularity === 'half_hour';
  const lookbackDays = halfHourly ? BASELINE_DAYS : 28;
  const day = localDay(point.start, tz);
  const key = halfHourly ? localMinuteOfDay(point.start, tz) : day % 7;
  for (let k = upTo - 1; k >= 0; k--) {
    const other = all[k]!;
    const otherDay = localDay(other.start, tz);
    if (otherDay < day - lookbackDays) break;
    if (otherDay < day && (halfHourly ? localMinuteOfDay(other.start, tz) : otherDay % 7) === key) values.push(other.sent);
  }
  return values;
}

function detectVolume(input: DetectionInput, s: DetectionSettings): Anomaly[] {
  const all: DataPoint[] = [...input.history, ...input.series];
  const offset = input.history.length;
  const verdicts: Array<{ index: number; expected: number; kind: 'volume_drop' | 'volume_spike' } | undefined> = [];
  input.series.forEach((point, j) => {
    if (point.partial) return;
    const baseline = slotBaseline(all, offset + j, point, input.granularity, input.tz);
    if (baseline.length < 3) return;
    const expected = median(baseline);
    if (expected >= Math.max(s.minSent, 50) && point.sent < expected * 0.25) verdicts[j] = { index: j, expected, kind: 'volume_drop' };
    else if (point.sent >= Math.max(s.minSent, 50) && point.sent > Math.max(expected, 1) * 4) verdicts[j] = { index: j, expected, kind: 'volume_spike' };
  });
  const byKind = (kind: 'volume_drop' | 'volume_spike') => verdicts.map((v) => (v?.kind === kind ? v : undefined));
  return (['volume_drop', 'volume_spike'] as const).flatMap((kind) =>
    mergeRuns(input, byKind(kind), (run) => {
      const points = run.map((v) => input.series[v.index]!);
      const sent = points.reduce((sum, p) => sum + p.sent, 0);
      const delivered = points.reduce((sum, p) => sum + p.delivered, 0);
      const observed = sent / run.length;
      const expected = median(run.map((v) => v.expected));
      const first = points[0]!;
      const last = points[points.length - 1]!;
      const unit = input.granularity === 'half_hour' ? 'half hour' : 'day';
      const drop = kind === 'volume_drop';
      return {
        kind,
        scope: input.scope,
        start: first.start,
        end: last.end,
        observed,
        expected,
        expectedLow: expected * 0.25,
        expectedHigh: expected * 4,
        severity: drop && observed < expected * 0.05 ? 'critical' : 'warning',
        sent,
        delivered: delivered,
        explanation: drop
          ? `Sending ${scopePhrase(input.scope)} ${observed < 1 ? 'stopped' : `collapsed to ${count(Math.round(observed))} per ${unit}`} ${when(first.start, last.end, input.granularity, input.tz)}; usually about ${count(Math.round(expected))} per ${unit}.`
          : `Sending ${scopePhrase(input.scope)} spiked to ${count(Math.round(observed))} per ${unit} ${when(first.start, last.end, input.granularity, input.tz)}; usually about ${count(Math.round(expected))}.`,
      } satisfies Anomaly;
    }),
  );
}

/** Consecutive flagged buckets become one anomaly. */
function mergeRuns<V extends { index: number }>(input: DetectionInput, verdicts: ReadonlyArray<V | undefined>, build: (run: V[]) => Anomaly): Anomaly[] {
  const out: Anomaly[] = [];
  let run: V[] = [];
  for (let j = 0; j <= input.series.length; j++) {
    const v = verdicts[j];
    if (v) run.push(v);
    else if (run.length) {
      out.push(build(run));
      run = [];
    }
  }
  return out;
}

function scopePhrase(scope: AnomalyScope): string {
  if (scope.kind === 'phone') return `on ${scope.label}`;
  if (scope.kind === 'country') return `to ${scope.label}`;
  return 'across the account';
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function when(start: number, end: number, granularity: Granularity, tz: string): string {
  const a = DateTime.fromSeconds(start, { zone: tz });
  const b = DateTime.fromSeconds(end, { zone: tz });
  if (granularity === 'day') {
    return end - start <= 25 * 3600 ? `on ${a.toFormat('ccc d LLL')}` : `from ${a.toFormat('ccc d LLL')} to ${b.minus({ seconds: 1 }).toFormat('ccc d LLL')}`;
  }
  return a.hasSame(b.minus({ seconds: 1 }), 'day')
    ? `on ${a.toFormat('ccc d LLL')} ${a.toFormat('HH:mm')}–${b.toFormat('HH:mm')}`
    : `from ${a.toFormat('ccc d LLL HH:mm')} to ${b.toFormat('ccc d LLL HH:mm')}`;
}
