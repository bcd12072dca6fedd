import { DateTime } from 'luxon';
import type { DataPoint, SeriesPoint } from './series.js';
import { localDay, localMinuteOfDay, type Granularity } from './time.js';

export type AnomalyKind = 'delivery_drop' | 'volume_drop' | 'volume_spike';
export type Severity = 'warning' | 'critical';

/** Where an anomaly was found: the whole account (within its configured scope), one number, one country, or both. */
export interface AnomalyScope {
  kind: 'account' | 'phone' | 'country' | 'phone_country';
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
}

export interface DetectionSettings {
  /** Sent in a bucket (or a pooled run of buckets) before its delivery rate is judged. */
  minSent: number;
  /** Alert below this rate regardless of the baseline (0..1). */
  rateFloor?: number | undefined;
  /** A drop smaller than this many percentage points is never an anomaly. */
  minDropPoints: number;
  /** Standard deviations below the expected rate for one bucket; pooled runs need half a deviation more. */
  z: number;
  /** Expected sent per bucket below which volume is not judged. */
  minExpectedVolume: number;
  /** Sent at or below this share of the expected volume is a collapse. */
  collapseRatio: number;
  /** Sent at or above this multiple of the expected volume is a spike. */
  spikeRatio: number;
  /** A spike needs at least this many messages in the bucket. */
  minSpikeSent: number;
  /** A drop must leave at least this many more messages undelivered than expected. */
  minExcessUndelivered: number;
}

export const DEFAULT_DETECTION: DetectionSettings = {
  minSent: 200,
  minDropPoints: 1.5,
  z: 4.5,
  minExpectedVolume: 20,
  collapseRatio: 0.2,
  spikeRatio: 4,
  minSpikeSent: 200,
  minExcessUndelivered: 10,
};

export interface DetectionInput {
  /** Buckets before the series, on the same contiguous grid: the baseline. */
  history: readonly DataPoint[];
  series: readonly SeriesPoint[];
  granularity: Granularity;
  /** Zone whose days and times of day define the seasonal slots. */
  tz: string;
  scope: AnomalyScope;
  settings?: Partial<DetectionSettings> | undefined;
}

/** Buckets with fewer messages than this add nothing to a rate baseline. */
const BASELINE_MIN_SENT = 20;
/** Pooled baseline volume below which the expected rate is unknown. */
const POOL_MIN_SENT = 200;
const DEFAULT_TAU = 0.005;
const MIN_TAU = 0.001;

/** Median of the first `count` values; sorts them in place. */
function medianInPlace(values: Float64Array, count: number): number {
  const a = values.subarray(0, count).sort();
  const mid = count >> 1;
  return count % 2 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

/** Median of up to 8 values by insertion sort: the same-slot lists are that short. */
function smallMedian(values: Float64Array, count: number): number {
  for (let i = 1; i < count; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! > v) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
  const mid = count >> 1;
  return count % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * Delivery-rate drops and volume collapses/spikes in one scope's series, judged causally (each
 * bucket only against what came before it), so `detectedAt` is when a check running every
 * bucket would have raised it.
 *
 * Rate: the expected rate of a bucket is the pooled rate of the same time of day (±30 min) on the
 * previous 7 days — which carries quiet-night dips — shifted by the median residual of the last
 * 24 hours, which follows a rate that wanders from day to day. Its spread is binomial at the
 * bucket's volume, plus the uncertainty of the baseline, plus extra noise τ² estimated robustly
 * from the last week's residuals (real delivery noise is over-dispersed). A bucket is a drop when
 * it is at least `minDropPoints` and `z` deviations below; runs of 2, 4 and 8 buckets are pooled
 * the same way to catch slow slides and small drops. Only settled buckets are judged.
 *
 * Volume: expected sent is the median of the same slot on the previous 7 days times the recent
 * level (weekends, growth). Two buckets in a row at or below `collapseRatio` of it is a
 * collapse (a number that stops sending); one at `spikeRatio` times it is a spike.
 *
 * DAY series use the previous week for the rate and the same weekday of the previous weeks for
 * volume. MONTH series are not judged.
 */
export function detectAnomalies(input: DetectionInput): Anomaly[] {
  const s: DetectionSettings = { ...DEFAULT_DETECTION, ...input.settings };
  if (input.granularity === 'month') return [];
  const halfHourly = input.granularity === 'half_hour';
  const H = input.history.length;
  const n = H + input.series.length;
  if (n === 0) return [];

  const T = new Float64Array(n);
  const E = new Float64Array(n);
  const S = new Float64Array(n);
  const D = new Float64Array(n);
  const settled = new Uint8Array(n);
  const partial = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p: DataPoint = i < H ? input.history[i]! : input.series[i - H]!;
    T[i] = p.start;
    E[i] = p.end;
    S[i] = p.sent;
    D[i] = p.delivered;
    const sp = i < H ? undefined : (p as SeriesPoint);
    settled[i] = sp ? (sp.settled ? 1 : 0) : 1;
    partial[i] = sp?.partial ? 1 : 0;
  }

  // Seasonal slot of each bucket: local day × half hour of the day (or the local day).
  const key = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const day = localDay(T[i]!, input.tz);
    key[i] = halfHourly ? day * 48 + Math.floor(localMinuteOfDay(T[i]!, input.tz) / 30) : day;
  }
  const perDay = halfHourly ? 48 : 1;
  /** Index of the same slot `days` earlier, or -1 (a slot skipped by a DST change). */
  const sameSlot = (i: number, days: number): number => {
    const target = key[i]! - days * perDay;
    let j = i - days * perDay;
    if (j < 0) j = 0;
    if (j >= n) j = n - 1;
    for (let steps = 0; steps < 4 && j > 0 && key[j]! > target; steps++) j--;
    for (let steps = 0; steps < 4 && j < i && key[j]! < target; steps++) j++;
    return j >= 0 && j < i && key[j] === target ? j : -1;
  };

  const dropFlag = new Uint8Array(n);
  const volFlag = new Int8Array(n); // -1 collapse, +1 spike
  const detectedAt = new Int32Array(n).fill(-1);
  const p0 = new Float64Array(n).fill(NaN);
  const pooledRate = new Float64Array(n).fill(NaN);
  const pool = new Float64Array(n);
  const expectedVolume = new Float64Array(n).fill(NaN);
  const slotVolume = new Float64Array(n).fill(NaN);
  const collapseCandidate = new Uint8Array(n);
  const eligible = (j: number) => settled[j] === 1 && dropFlag[j] === 0 && S[j]! >= BASELINE_MIN_SENT;

  const scratch = new Float64Array(64);
  const daySent = new Float64Array(7);
  const dayDelivered = new Float64Array(7);
  const levelWindow = halfHourly ? 48 : 0;
  const ratios = new Float64Array(levelWindow);
  let level = 0;
  let volumeLevel = 1;
  const tauWindow = halfHourly ? 336 : 28;
  const residuals = new Float64Array(tauWindow);
  const residualVars = new Float64Array(tauWindow);
  let residualCount = 0;
  let residualNext = 0;
  let tau2 = DEFAULT_TAU * DEFAULT_TAU;
  /** Correlation of the extra noise between neighbouring buckets (a level that drifts within a day). */
  let rho = 0.5;
  const residualAt = new Int32Array(tauWindow);
  const zWindow = s.z + 0.5;
  // Long-run rate of the scope: binomial spreads are never taken narrower than at this rate, so a
  // small baseline that happens to show 99.9% does not make every bucket look like a drop.
  let runSent = 0;
  let runDelivered = 0;
  const spreadFloor = new Float64Array(n);
  const windows = halfHourly ? [2, 4, 8] : [2, 3];
  const minDrop = s.minDropPoints / 100;

  for (let i = 0; i < n; i++) {
    // Recent level of the rate against its 7-day profile (a volume-weighted mean: a median of
    // small buckets' rates is biased by their discreteness), and of volume, every 4 buckets.
    if (halfHourly && i % 4 === 0) {
      let residualSent = 0;
      let residualSum = 0;
      let vcount = 0;
      for (let j = Math.max(0, i - levelWindow); j < i; j++) {
        const base = pooledRate[j]!;
        if (eligible(j) && !Number.isNaN(base)) {
          // Each bucket's residual is clamped to 3 deviations, so a few odd buckets cannot shift it.
          const limit = 3 * Math.sqrt((base * (1 - base)) / S[j]! + tau2);
          const residual = Math.max(-limit, Math.min(limit, D[j]! / S[j]! - base));
          residualSent += S[j]!;
          residualSum += S[j]! * residual;
        }
        const v = slotVolume[j]!;
        if (!Number.isNaN(v) && v >= s.minExpectedVolume && volFlag[j] === 0 && partial[j] === 0) ratios[vcount++] = S[j]! / v;
      }
      level = residualSent >= POOL_MIN_SENT ? residualSum / residualSent : 0;
      volumeLevel = vcount >= 8 ? Math.min(3, Math.max(0.3, medianInPlace(ratios, vcount))) : 1;
    }
    // Robust extra-binomial noise from the last week of residuals, refreshed daily.
    if (i % perDay === 0 && residualCount >= (halfHourly ? 20 : 5)) {
      const e = residuals.slice(0, residualCount);
      const med = medianInPlace(e.slice(), residualCount);
      for (let k = 0; k < residualCount; k++) e[k] = Math.abs(e[k]! - med);
      const mad = 1.4826 * medianInPlace(e, residualCount);
      const vmed = medianInPlace(residualVars.slice(0, residualCount), residualCount);
      tau2 = Math.max(MIN_TAU * MIN_TAU, mad * mad - vmed);
      // Lag-one covariance of neighbouring residuals (clipped at 3 deviations) over τ².
      let covariance = 0;
      let pairs = 0;
      const clip = (x: number) => Math.max(-3 * mad, Math.min(3 * mad, x - med));
      for (let k = 0; k < residualCount; k++) {
        const prev = (k + tauWindow - 1) % tauWindow;
        if (k === residualNext || residualAt[k] !== residualAt[prev]! + 1) continue;
        covariance += clip(residuals[k]!) * clip(residuals[prev]!);
        pairs++;
      }
      if (pairs >= 10) rho = Math.max(0, Math.min(1, covariance / pairs / tau2));
    }

    // Expected rate: the same slot (±1) on each of the previous 7 days, pooled per day; the
    // lowest and highest day are dropped (one bad day must not move the baseline), the rest
    // pooled; plus the recent level.
    const longRun = runSent >= POOL_MIN_SENT ? runDelivered / runSent : 0.5;
    spreadFloor[i] = longRun * (1 - longRun);
    let days = 0;
    for (let d = 1; d <= 7; d++) {
      let dayS = 0;
      let dayD = 0;
      if (halfHourly) {
        const j = sameSlot(i, d);
        if (j < 0) continue;
        for (let k = j - 1; k <= j + 1; k++) {
          if (k >= 0 && k < i && eligible(k)) {
            dayS += S[k]!;
            dayD += D[k]!;
          }
        }
      } else if (i - d >= 0 && eligible(i - d)) {
        dayS = S[i - d]!;
        dayD = D[i - d]!;
      }
      if (dayS > 0) {
        daySent[days] = dayS;
        dayDelivered[days] = dayD;
        days++;
      }
    }
    let sumS = 0;
    let sumD = 0;
    let lowest = -1;
    let highest = -1;
    if (days >= 5) {
      for (let k = 0; k < days; k++) {
        const r = dayDelivered[k]! / daySent[k]!;
        if (lowest < 0 || r < dayDelivered[lowest]! / daySent[lowest]!) lowest = k;
        if (highest < 0 || r >= dayDelivered[highest]! / daySent[highest]!) highest = k;
      }
    }
    for (let k = 0; k < days; k++) {
      if (k === lowest || k === highest) continue;
      sumS += daySent[k]!;
      sumD += dayDelivered[k]!;
    }
    pool[i] = sumS;
    if (sumS >= POOL_MIN_SENT) {
      // Laplace's rule: a baseline with no failures is not evidence of a 100% rate.
      pooledRate[i] = (sumD + 1) / (sumS + 2);
      p0[i] = Math.min(0.9999, Math.max(0.0001, pooledRate[i]! + level));
    }
    const expected = p0[i]!;

    // Volume expectation.
    let vcount = 0;
    if (halfHourly) {
      for (let d = 1; d <= 7; d++) {
        const j = sameSlot(i, d);
        if (j >= 0 && volFlag[j] === 0) scratch[vcount++] = S[j]!;
      }
      if (vcount >= 3) {
        slotVolume[i] = smallMedian(scratch, vcount);
        expectedVolume[i] = slotVolume[i]! * volumeLevel;
      }
    } else {
      for (let w = 1; w <= 4; w++) if (i - 7 * w >= 0 && volFlag[i - 7 * w] === 0) scratch[vcount++] = S[i - 7 * w]!;
      if (vcount < 3) {
        vcount = 0;
        for (let d = 1; d <= 7; d++) if (i - d >= 0 && volFlag[i - d] === 0) scratch[vcount++] = S[i - d]!;
      }
      if (vcount >= 3) expectedVolume[i] = smallMedian(scratch, vcount);
    }

    // Delivery-rate tests, on settled buckets only.
    if (settled[i] === 1 && partial[i] === 0 && !Number.isNaN(expected) && S[i]! > 0) {
      const rate = D[i]! / S[i]!;
      const binomial = Math.max(expected * (1 - expected), spreadFloor[i]!);
      let flagged = false;
      if (S[i]! >= s.minSent) {
        const sd = Math.sqrt(binomial / S[i]! + tau2 + binomial / pool[i]!);
        const deficit = expected - rate;
        const significant = deficit >= minDrop && deficit >= s.z * sd && deficit * S[i]! >= s.minExcessUndelivered;
        if (significant || (s.rateFloor !== undefined && rate < s.rateFloor)) flagged = true;
      }
      if (flagged) {
        dropFlag[i] = 1;
        detectedAt[i] = i;
      } else {
        // Pool the last k judged buckets not already part of an anomaly, ending at this one.
        for (const k of windows) {
          let wS = 0;
          let wDeficit = 0;
          let wVar = 0;
          let taken = 0;
          let first = i;
          for (let j = i; j >= 0 && taken < k && i - j < 2 * k; j--) {
            const e = p0[j]!;
            if (settled[j] === 0 || Number.isNaN(e)) break;
            if (dropFlag[j] === 1) continue;
            const b = Math.max(e * (1 - e), spreadFloor[j]!);
            wS += S[j]!;
            wDeficit += S[j]! * e - D[j]!;
            wVar += S[j]! * b + S[j]! * S[j]! * ((1 - rho) * tau2 + b / pool[j]!);
            taken++;
            first = j;
          }
          if (taken < k || wS < s.minSent) continue;
          wVar += wS * wS * rho * tau2; // the correlated part does not average out
          const deficit = wDeficit / wS;
          if (deficit >= minDrop && deficit >= zWindow * (Math.sqrt(wVar) / wS) && wDeficit >= s.minExcessUndelivered) {
            for (let j = first; j <= i; j++) {
              if (dropFlag[j] === 0 && S[j]! > 0 && D[j]! / S[j]! < p0[j]!) {
                dropFlag[j] = 1;
                detectedAt[j] = i;
              }
            }
            break;
          }
        }
      }
      if (dropFlag[i] === 0) {
        runSent += S[i]!;
        runDelivered += D[i]!;
      }
      if (dropFlag[i] === 0 && S[i]! >= POOL_MIN_SENT) {
        residuals[residualNext] = rate - expected;
        residualAt[residualNext] = i;
        residualVars[residualNext] = binomial / S[i]! + binomial / pool[i]!;
        residualNext = (residualNext + 1) % tauWindow;
        residualCount = Math.min(tauWindow, residualCount + 1);
      }
    }

    // Volume tests; a bucket still in progress says nothing about volume.
    const v = expectedVolume[i]!;
    if (partial[i] === 0 && !Number.isNaN(v)) {
      if (v >= s.minExpectedVolume && S[i]! <= s.collapseRatio * v) {
        collapseCandidate[i] = 1;
        // One quiet half hour is a blip; two in a row is a number that stopped.
        if (!halfHourly || (i > 0 && collapseCandidate[i - 1] === 1)) {
          for (const j of halfHourly ? [i - 1, i] : [i]) {
            if (volFlag[j] === 0) {
              volFlag[j] = -1;
              detectedAt[j] = detectedAt[j] === -1 ? i : Math.min(detectedAt[j]!, i);
            }
          }
        }
      } else if (S[i]! >= s.minSpikeSent && S[i]! >= s.spikeRatio * Math.max(v, s.minExpectedVolume)) {
        volFlag[i] = 1;
        detectedAt[i] = detectedAt[i] === -1 ? i : detectedAt[i]!;
      }
    }
  }

  const ctx: BuildContext = { input, s, T, E, S, D, p0, pool, tau2, rho, spreadFloor, expectedVolume, detectedAt, from: H };
  const gap = halfHourly ? 1 : 0;
  const out: Anomaly[] = [
    ...runs(dropFlag, (j) => dropFlag[j] === 1, H, gap).flatMap((run) => dropAnomaly(ctx, run) ?? []),
    ...runs(volFlag, (j) => volFlag[j] === -1, H, gap).map((run) => volumeAnomaly(ctx, run, 'volume_drop')),
    ...runs(volFlag, (j) => volFlag[j] === 1, H, gap).map((run) => volumeAnomaly(ctx, run, 'volume_spike')),
  ];
  return out.sort((a, b) => a.start - b.start);
}

interface BuildContext {
  input: DetectionInput;
  s: DetectionSettings;
  T: Float64Array;
  E: Float64Array;
  S: Float64Array;
  D: Float64Array;
  p0: Float64Array;
  pool: Float64Array;
  tau2: number;
  rho: number;
  spreadFloor: Float64Array;
  expectedVolume: Float64Array;
  detectedAt: Int32Array;
  from: number;
}

/** Flagged buckets at or after `from`, grouped into runs allowing `gap` unflagged buckets inside. */
function runs(flags: ArrayLike<number>, isFlagged: (j: number) => boolean, from: number, gap: number): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  for (let j = from; j < flags.length; j++) {
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
function dropAnomaly(ctx: BuildContext, run: number[]): Anomaly | undefined {
  const { S, D, p0, pool, tau2, rho, s, input } = ctx;
  let sent = 0;
  let delivered = 0;
  let expectedDelivered = 0;
  let variance = 0;
  for (const j of run) {
    const e = p0[j]!;
    const b = Math.max(e * (1 - e), ctx.spreadFloor[j]!);
    sent += S[j]!;
    delivered += D[j]!;
    expectedDelivered += S[j]! * e;
    variance += S[j]! * b + S[j]! * S[j]! * ((1 - rho) * tau2 + b / pool[j]!);
  }
  variance += sent * sent * rho * tau2;
  const observed = sent > 0 ? delivered / sent : 0;
  const expected = sent > 0 ? expectedDelivered / sent : 0;
  const band = Math.max(s.minDropPoints / 100, s.z * (Math.sqrt(variance) / Math.max(sent, 1)));
  const dropPoints = (expected - observed) * 100;
  const significant =
    dropPoints >= s.minDropPoints && (expected - observed) * sent >= s.minExcessUndelivered && expected - observed >= s.z * (Math.sqrt(variance) / Math.max(sent, 1));
  if (!significant && !(s.rateFloor !== undefined && observed < s.rateFloor)) return undefined;
  const critical = dropPoints >= 10 || (s.rateFloor !== undefined && observed < s.rateFloor - 0.05);
  const { start, end, detectedAt } = span(ctx, run);
  return {
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
    explanation: `Delivery ${scopePhrase(input.scope)} fell to ${pct(observed)} (${count(delivered)} of ${count(sent)} delivered) ${when(start, end, input.granularity, input.tz)}; expected ${pct(expected)} (at least ${pct(Math.max(0, expected - band))}).`,
  };
}

function volumeAnomaly(ctx: BuildContext, run: number[], kind: 'volume_drop' | 'volume_spike'): Anomaly {
  const { S, D, expectedVolume, input, s } = ctx;
  let sent = 0;
  let delivered = 0;
  let expectedSent = 0;
  for (const j of run) {
    sent += S[j]!;
    delivered += D[j]!;
    expectedSent += Number.isNaN(expectedVolume[j]!) ? 0 : expectedVolume[j]!;
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

function span(ctx: BuildContext, run: number[]): { start: number; end: number; detectedAt: number } {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  let detected = Number.POSITIVE_INFINITY;
  for (const j of run) if (ctx.detectedAt[j]! >= 0) detected = Math.min(detected, ctx.detectedAt[j]!);
  const detectedIndex = Number.isFinite(detected) ? detected : last;
  return { start: ctx.T[first]!, end: ctx.E[last]!, detectedAt: ctx.E[detectedIndex]! };
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
