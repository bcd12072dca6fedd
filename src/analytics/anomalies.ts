import type { AnomalyKind } from '../vocabulary/anomalyKinds.js';
import type { DataPoint, Granularity } from '../vocabulary/series.js';
import { lowerTail, normalTail } from './betaTail.js';
import type { SeriesPoint } from './buckets.js';
import { type DetectionSettings, detectionSettings, thresholds } from './detectionSettings.js';
import { BucketScorer, type Coverage, PERSISTENT_RELIEF, type ScorerState } from './scoring.js';
import type { SettledWork } from './settledWork.js';

export type Severity = 'warning' | 'critical';

/** Where an anomaly was found: the whole account (within its configured scope), one number, one country, or both; or a template (health). */
export interface AnomalyScope {
  kind: 'account' | 'phone' | 'country' | 'phone_country' | 'template';
  key: string | null;
  /** How a person reads it: "+1 631 555 1000", "IN (India)", "all traffic". */
  label: string;
  phone?: string | undefined;
  country?: string | undefined;
}

export interface Anomaly {
  kind: AnomalyKind;
  scope: AnomalyScope;
  start: number;
  end: number;
  /** When an online check would first have raised it: the end of the bucket that tipped it. */
  detectedAt: number;
  /** Delivery rate (0..1) for delivery drops, messages sent per bucket for volume anomalies. */
  observed: number;
  expected: number;
  expectedLow: number;
  expectedHigh: number;
  severity: Severity;
  sent: number;
  delivered: number;
  explanation: string;
  /** failure_burst: the commonest error code in it. */
  code?: number | undefined;
}

export interface DetectionInput {
  /** Buckets before the series, on the same contiguous grid: the baseline. */
  history: readonly DataPoint[];
  series: readonly SeriesPoint[];
  granularity: Granularity;
  /** Zone whose days and times of day define the seasonal slots. */
  tz: string;
  scope: AnomalyScope;
  settings?: Partial<DetectionSettings> | undefined;
  /** Buckets Graph could not serve are unknown, not zeros; too short a known history is not judged. */
  coverage?: Coverage | undefined;
}

/**
 * Delivery-rate drops and volume collapses/spikes in one scope's series, judged causally (see
 * `BucketScorer`). Settled buckets are judged; a bucket still settling is judged only when it
 * carries its expected arrived share (a settle curve), against that share. DAY series use the
 * previous week for the rate and the same weekday of the previous weeks for volume. MONTH
 * series are not judged.
 */
export function detectAnomalies(input: DetectionInput): Anomaly[] {
  return analyzeSeries(input).anomalies;
}

export interface SeriesAnalysis {
  anomalies: Anomaly[];
  /** The rate each series bucket was expected to deliver (campaign allowance taken off; NaN when unknown). */
  expected: Float64Array;
  /** Each series bucket's delivered count as it should end (deliveries still arriving counted at the curve's share). */
  judgedDelivered: Float64Array;
  /**
   * The scope's noise beyond the binomial as last fitted: its spread (τ, rate units), lag-one
   * correlation (ρ), long-run factor (how much a run of buckets wanders together; 1 for none) and
   * skew (how much of a beta's long lower tail its dips have; 1 all, 0 none).
   */
  noise: { tau: number; rho: number; longRun: number; skew: number };
  /**
   * Series buckets starting before this instant were not judged: too little known history before
   * them (`coverage`). Absent when the whole series was judged.
   */
  unjudgedUntil?: number | undefined;
  /**
   * Drops of one half hour or one hour the next half hour has not yet confirmed or cleared (too
   * young to tell): a report shows them; an alert check may wait for the next to say (`blips`).
   */
  unconfirmed?: Anomaly[] | undefined;
  /**
   * Single half hours of the whole window (its history too) far enough down to alarm alone that
   * the next half hour showed to be blips: how prone the scope is to them.
   */
  blips: number;
  /** The scorer's work before the first young bucket, when asked for (`analyzeYoungAgain`). */
  young?: ScorerState | undefined;
}

export interface AnalysisOptions {
  /** Keep the scorer's work before the first young bucket, for `analyzeYoungAgain`. */
  resumable?: boolean | undefined;
  /**
   * Work kept from the last analysis of this scope (`key`) to take up, and keep for the next: an
   * alert check's, whose window starts where the last check's did. Not for series with gaps in
   * what Graph could tell (`coverage`), whose judged start moves with the window.
   */
  settled?: { work: SettledWork; key: string } | undefined;
}

/** `detectAnomalies`, plus what each bucket was expected to deliver (for "back to normal" tests). */
export function analyzeSeries(input: DetectionInput, options: AnalysisOptions = {}): SeriesAnalysis {
  const s = detectionSettings(input.settings);
  const length = input.series.length;
  if (input.granularity === 'month' || input.history.length + length === 0)
    return {
      anomalies: [],
      expected: new Float64Array(length).fill(NaN),
      judgedDelivered: new Float64Array(length),
      noise: { tau: Number.NaN, rho: Number.NaN, longRun: Number.NaN, skew: Number.NaN },
      blips: 0,
    };
  const t = thresholds(s);
  const scorer = new BucketScorer(input.history, input.series, input.granularity, input.tz, t, input.coverage);
  const settled = input.coverage ? undefined : options.settled;
  let young: ScorerState | undefined;
  if (options.resumable || settled) {
    const firstYoung = input.series.findIndex((p) => !p.settled);
    const until = scorer.from + (firstYoung < 0 ? length : firstYoung);
    const under = `${input.tz}|${input.granularity}|${JSON.stringify(t)}`;
    const kept = settled?.work.resume(settled.key, under, scorer, until);
    scorer.run(until);
    young = scorer.snapshot(kept);
    settled?.work.keep(settled.key, under, scorer, young);
  }
  scorer.run();
  return analysisOf(scorer, s, input, options.resumable ? young : undefined);
}

/**
 * `analyzeSeries` of the same scope with its young buckets read otherwise (their arrivals read
 * again, as `arrivalsFromSiblings` does): the same result, but only the young buckets judged
 * again, from where `previous` (analysed `resumable`) reached them. Its history and settled
 * buckets must be `previous`'s.
 */
export function analyzeYoungAgain(input: DetectionInput, previous: SeriesAnalysis): SeriesAnalysis {
  // A month, or an empty series, was never made resumable.
  const state = previous.young;
  if (!state) return analyzeSeries(input);
  const s = detectionSettings(input.settings);
  const scorer = new BucketScorer(input.history, input.series, input.granularity, input.tz, thresholds(s), input.coverage);
  scorer.restore(state);
  scorer.run();
  return analysisOf(scorer, s, input, undefined);
}

function analysisOf(scorer: BucketScorer, s: DetectionSettings, input: DetectionInput, young: ScorerState | undefined): SeriesAnalysis {
  const length = input.series.length;
  const expected = new Float64Array(length);
  const judgedDelivered = new Float64Array(length);
  for (let k = 0; k < length; k++) {
    const j = scorer.from + k;
    expected[k] = scorer.judged[j] === 1 ? scorer.p0[j]! - scorer.allowance[j]! : NaN;
    const p = input.series[k]!;
    judgedDelivered[k] = p.settled || p.arrived === undefined ? p.delivered : p.delivered / Math.max(p.arrived, 0.01);
  }
  const unconfirmed: Anomaly[] = [];
  return {
    anomalies: assemble(scorer, s, input, unconfirmed),
    expected,
    judgedDelivered,
    noise: { tau: Math.sqrt(scorer.tau2), rho: scorer.rho, longRun: scorer.longRun, skew: scorer.skew },
    blips: input.granularity === 'half_hour' ? countBlips(scorer, s) : 0,
    ...(scorer.unjudgedUntil > scorer.from
      ? { unjudgedUntil: scorer.unjudgedUntil < scorer.n ? scorer.starts[scorer.unjudgedUntil]! : input.series[length - 1]!.end }
      : {}),
    ...(unconfirmed.length ? { unconfirmed } : {}),
    ...(young ? { young } : {}),
  };
}

function assemble(scorer: BucketScorer, s: DetectionSettings, input: DetectionInput, unconfirmed: Anomaly[]): Anomaly[] {
  const ctx: Assembly = { scorer, s, input, unconfirmed };
  const { n, from, dropFlag, volFlag } = scorer;
  const gap = input.granularity === 'half_hour' ? 1 : 0;
  const out: Anomaly[] = [
    ...runs(n, from, gap, (j) => dropFlag[j] === 1).flatMap((run) => dropAnomaly(ctx, run) ?? []),
    ...runs(n, from, gap, (j) => volFlag[j] === -1).map((run) => volumeAnomaly(ctx, run, 'volume_drop')),
    ...runs(n, from, gap, (j) => volFlag[j] === 1).map((run) => volumeAnomaly(ctx, run, 'volume_spike')),
  ];
  return out.sort((a, b) => a.start - b.start);
}

/** Flagged half hours alone (no flagged neighbour) that the next half hour showed recovered. */
function countBlips(sc: BucketScorer, s: DetectionSettings): number {
  let count = 0;
  for (let j = 0; j < sc.n; j++) {
    if (sc.dropFlag[j] !== 1 || (j > 0 && sc.dropFlag[j - 1] === 1) || (j + 1 < sc.n && sc.dropFlag[j + 1] === 1)) continue;
    if (recoveredAfter(sc, j, s) === 'recovered') count++;
  }
  return count;
}

interface Assembly {
  scorer: BucketScorer;
  s: DetectionSettings;
  input: DetectionInput;
  /** Where single half hours not yet confirmed by the next are listed. */
  unconfirmed: Anomaly[];
}

/** Flagged buckets in [from, n), grouped into runs allowing `gap` unflagged buckets inside. */
function runs(n: number, from: number, gap: number, isFlagged: (j: number) => boolean): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  for (let j = from; j < n; j++) {
    if (!isFlagged(j)) continue;
    if (current.length && j - current[current.length - 1]! > gap + 1) {
      out.push(current);
      current = [];
    }
    current.push(j);
  }
  if (current.length) out.push(current);
  return out;
}

/** The run as one anomaly, if the run as a whole is still a significant drop (or under the floor). */
function dropAnomaly(ctx: Assembly, run: number[]): Anomaly | undefined {
  const { scorer: sc, s, input } = ctx;
  let sent = 0;
  let delivered = 0;
  let finalDelivered = 0;
  let expectedDelivered = 0;
  let variance = 0;
  let baselined = 0;
  // The run's evidence weighs each bucket by what it says (inverse variance): a campaign's huge
  // half hours, whose rate swings as much as any other's, do not drown the rest.
  let weights = 0;
  let weightedDeficit = 0;
  let counted = 0;
  for (const j of run) {
    sent += sc.sent[j]!;
    delivered += sc.delivered[j]!;
    finalDelivered += sc.delivered[j]! / sc.visibleShare[j]!;
    const e = sc.p0[j]! - sc.allowance[j]!;
    if (Number.isNaN(e)) continue; // flagged by the floor alone
    const b = Math.max(e * (1 - e), sc.spreadFloor[j]!);
    const S = sc.sent[j]!;
    baselined += S;
    expectedDelivered += S * e;
    const bucketVariance = (S * b) / sc.visibleShare[j]! + S * S * (sc.tau2 + b / sc.pool[j]!);
    variance += bucketVariance;
    if (S > 0) {
      weights += (S * S) / bucketVariance;
      weightedDeficit += ((S * S) / bucketVariance) * (e - sc.delivered[j]! / sc.visibleShare[j]! / S);
      counted++;
    }
  }
  const observed = sent > 0 ? Math.min(1, finalDelivered / sent) : 0;
  const floor = s.rateFloor;
  const belowFloor = floor !== undefined && observed < floor;
  if (baselined === 0 && !belowFloor) return undefined;
  const expected = baselined > 0 ? expectedDelivered / baselined : floor!;
  // How much a run of buckets wanders together: 1 for one bucket, the measured long-run factor
  // for eight or more.
  const together = 1 + (sc.longRun - 1) * Math.min(1, Math.max(0, counted - 1) / 7);
  const spread = baselined > 0 ? Math.sqrt(variance * together) / baselined : 0;
  const pooled = weights > 0 ? weightedDeficit / weights : 0;
  const pooledVariance = weights > 0 ? together / weights : 0;
  const single = run.length === 1;
  const minDrop = (single ? s.minDropPointsSingle : run.length === 2 ? s.minDropPointsShort : s.minDropPoints) / 100;
  const z = single ? s.zSingle : s.z;
  const band = baselined > 0 ? Math.max(minDrop, z * spread) : 0;
  const deficit = expected - observed;
  // A run the persistence statistic reached has shown it persists: as a whole it is held to the
  // bar of four-hour windows, not a lone window's (of 40 draws of 6 points down for 3.5 hours on a
  // scope swinging 2 points, 11 had been kept at a lone window's bar, 18 are at this one).
  const persistent = !single && run.some((j) => sc.runFlag[j] === 1);
  const significant =
    baselined > 0 &&
    deficit >= minDrop &&
    pooled >= minDrop &&
    deficit * sent >= sc.minExcess(counted) &&
    // One bucket alone by the beta's tail, as the scorer judges it; a run as skewed as the scope's noise.
    (single ? lowerTail(expected - pooled, expected, pooledVariance) : sc.tail(expected - pooled, expected, pooledVariance)) <=
      normalTail(persistent ? z - PERSISTENT_RELIEF : z);
  if (!significant && !belowFloor) return undefined;
  // One half hour that recovered at once is a blip (a batch to a stale list), not a delivery
  // problem: it stands only while nothing after it says otherwise. (A day is never a blip.)
  // Nor is an hour alone over at once — the half hour before it as expected, the one after it
  // settled and back within `minDropPoints`, not just halfway (a drop easing off is still a
  // drop): two such batches in a row happen (measured: clearing them halved the hard sets'
  // offline false alarms), and a drop worth an alert lasts longer.
  const pair = run.length === 2 && run[1] === run[0]! + 1 && deliveredBefore(sc, run[0]!, s);
  const after =
    (single || pair) && !belowFloor && input.granularity === 'half_hour' ? recoveredAfter(sc, run[run.length - 1]!, s, pair) : 'dropped';
  if (after === 'recovered') return undefined;
  const critical = deficit * 100 >= 10 || (floor !== undefined && observed < floor - 0.05);
  const judged = significant
    ? `expected ${pct(expected)} (at least ${pct(Math.max(0, expected - band))})`
    : `below the ${pct(floor!)} floor set for it`;
  const { start, end, detectedAt } = span(ctx, run);
  const settling = run.some((j) => sc.settled[j] === 0);
  const shown = settling
    ? `${pct(observed)} (deliveries still arriving; ${count(delivered)} of ${count(sent)} so far)`
    : `${pct(observed)} (${count(delivered)} of ${count(sent)} delivered)`;
  const anomaly: Anomaly = {
    kind: 'delivery_drop',
    scope: input.scope,
    start,
    end,
    detectedAt,
    observed,
    expected,
    expectedLow: Math.max(0, expected - band),
    expectedHigh: Math.min(1, expected + band),
    severity: critical ? 'critical' : 'warning',
    sent,
    delivered,
    explanation: `Delivery ${scopePhrase(input.scope)} fell to ${shown} ${when(start, end, input.granularity, input.tz)}; ${judged}.`,
  };
  if (after === 'unknown') ctx.unconfirmed.push(anomaly);
  return anomaly;
}

/**
 * Visible share of its deliveries above which a young bucket says enough to tell a recovery: its
 * rate is read at the low end of what may have arrived, so younger ones look better than they are.
 */
const TELLING_SHARE = 0.9;

/**
 * What the next bucket with enough messages says (within an hour): it delivered about as
 * expected, it did not, or nothing yet (none, or too young to tell). After a lone half hour it is
 * back within `minDropPoints` of expected or half the dip if more, and tells from 90% arrived;
 * after an hour (`hour`), only within `minDropPoints` and once settled — read at the low end of
 * what may have arrived, a young bucket looks back sooner than it is.
 */
function recoveredAfter(sc: BucketScorer, j: number, s: DetectionSettings, hour = false): 'recovered' | 'dropped' | 'unknown' {
  for (let k = j + 1; k < sc.n && k <= j + 2; k++) {
    if (!tells(sc, k, s)) continue;
    if (sc.settled[k] === 0 && sc.visibleShare[k]! < (hour ? 1 : TELLING_SHARE)) return 'unknown';
    // Back at least halfway after a lone half hour: on a noisy scope the half hour after a deep
    // one is a few points off as often as not, and a drop that goes on shows in the one after it too.
    const near = s.minDropPoints / 100;
    const halfway = hour ? 0 : sc.deficit(j) / 2;
    return deliversNear(sc, k, Number.isFinite(halfway) ? Math.max(near, halfway) : near) ? 'recovered' : 'dropped';
  }
  // Quiet half hours after it say nothing; only one still to come may.
  return j + 2 < sc.n ? 'dropped' : 'unknown';
}

/**
 * Whether the last bucket with enough messages before `j` (within an hour) delivered about as
 * expected (within `minDropPoints`): an hour down alone, not the flagged end of a longer drop
 * whose first half hours the scorer read too cautiously to flag.
 */
function deliveredBefore(sc: BucketScorer, j: number, s: DetectionSettings): boolean {
  for (let k = j - 1; k >= sc.from && k >= j - 2; k--) {
    if (tells(sc, k, s)) return deliversNear(sc, k, s.minDropPoints / 100);
  }
  return true;
}

/** A bucket judged, complete and with enough messages to say how a neighbouring drop stands. */
function tells(sc: BucketScorer, k: number, s: DetectionSettings): boolean {
  return sc.judged[k] === 1 && sc.partial[k] === 0 && sc.sent[k]! >= s.minSent;
}

/** Not flagged, and no more than `allowed` (rate units) under what it was expected to deliver. */
function deliversNear(sc: BucketScorer, k: number, allowed: number): boolean {
  return sc.dropFlag[k] === 0 && !(sc.deficit(k) > allowed);
}

function volumeAnomaly(ctx: Assembly, run: number[], kind: 'volume_drop' | 'volume_spike'): Anomaly {
  const { scorer: sc, input, s } = ctx;
  let sent = 0;
  let delivered = 0;
  let expectedSent = 0;
  for (const j of run) {
    sent += sc.sent[j]!;
    delivered += sc.delivered[j]!;
    expectedSent += Number.isNaN(sc.expectedVolume[j]!) ? 0 : sc.expectedVolume[j]!;
  }
  const observed = sent / run.length;
  const expected = expectedSent / run.length;
  const { start, end, detectedAt } = span(ctx, run);
  const unit = input.granularity === 'half_hour' ? 'half hour' : 'day';
  const drop = kind === 'volume_drop';
  const range = when(start, end, input.granularity, input.tz);
  return {
    kind,
    scope: input.scope,
    start,
    end,
    detectedAt,
    observed,
    expected,
    expectedLow: expected * s.collapseRatio,
    expectedHigh: expected * s.spikeRatio,
    severity: drop && observed <= expected * 0.05 ? 'critical' : 'warning',
    sent,
    delivered,
    explanation: drop
      ? `Sending ${scopePhrase(input.scope)} ${observed < 1 ? 'stopped' : `collapsed to ${count(Math.round(observed))} per ${unit}`} ${range}; usually about ${count(Math.round(expected))} per ${unit}.`
      : `Sending ${scopePhrase(input.scope)} spiked to ${count(Math.round(observed))} per ${unit} ${range}; usually about ${count(Math.round(expected))}.`,
  };
}

function span(ctx: Assembly, run: number[]): { start: number; end: number; detectedAt: number } {
  const sc = ctx.scorer;
  const first = run[0]!;
  const last = run[run.length - 1]!;
  let detected = Number.POSITIVE_INFINITY;
  for (const j of run) if (sc.detectedAt[j]! >= 0) detected = Math.min(detected, sc.detectedAt[j]!);
  const detectedIndex = Number.isFinite(detected) ? detected : last;
  return { start: sc.starts[first]!, end: sc.ends[last]!, detectedAt: sc.ends[detectedIndex]! };
}

export function scopePhrase(scope: AnomalyScope): string {
  if (scope.kind === 'phone') return `on ${scope.label}`;
  if (scope.kind === 'country') return `to ${scope.label}`;
  if (scope.kind === 'phone_country') return scope.label;
  return 'across the account';
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

// Formatters are costly to create; explanations are built for every anomaly of every scope.
const COUNT_FORMAT = new Intl.NumberFormat('en-US');
const dayFormats = new Map<string, Intl.DateTimeFormat>();

function count(n: number): string {
  return COUNT_FORMAT.format(n);
}

/** "Tue 24 Nov" and "13:00" in `tz`. */
function localParts(ts: number, tz: string): { day: string; time: string } {
  let format = dayFormats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    dayFormats.set(tz, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(ts * 1000)) parts[part.type] = part.value;
  return { day: `${parts.weekday} ${parts.day} ${parts.month}`, time: `${parts.hour}:${parts.minute}` };
}

function when(start: number, end: number, granularity: Granularity, tz: string): string {
  const a = localParts(start, tz);
  const b = localParts(end, tz);
  const lastDay = localParts(end - 1, tz).day;
  if (granularity === 'day') return end - start <= 25 * 3600 ? `on ${a.day}` : `from ${a.day} to ${lastDay}`;
  return a.day === lastDay ? `on ${a.day} ${a.time}–${b.time}` : `from ${a.day} ${a.time} to ${b.day} ${b.time}`;
}
