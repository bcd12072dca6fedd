import type { DataPoint, SeriesPoint } from './series.js';
import { offsetMinutes, type Granularity } from './time.js';

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
  minDropPoints: 2,
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

/** Median of exactly seven values (the usual same-slot week) without sorting them all. */
function medianOfSeven(v: Float64Array): number {
  // Median of seven = max of the minima of ... computed via a partial selection network.
  let a = v[0]!, b = v[1]!, c = v[2]!, d = v[3]!, e = v[4]!, f = v[5]!, g = v[6]!, t: number;
  if (a > b) { t = a; a = b; b = t; }
  if (c > d) { t = c; c = d; d = t; }
  if (e > f) { t = e; e = f; f = t; }
  if (a > c) { t = a; a = c; c = t; }
  if (b > d) { t = b; b = d; d = t; }
  if (a > e) { e = a; } // a is the minimum: drop it
  if (d > f) { d = f; } // f is the maximum: drop it
  // Five candidates remain: b, c, d, e, g; the median of seven is their median.
  if (b > c) { t = b; b = c; c = t; }
  if (d > e) { t = d; d = e; e = t; }
  if (b > d) { d = b; } // drop the smaller minimum
  if (c > e) { c = e; } // drop the larger maximum
  // Three candidates: c, d, g.
  if (c > d) { t = c; c = d; d = t; }
  if (g < c) return c;
  if (g > d) return d;
  return g;
}

/** Median of up to 8 values by insertion sort: the same-slot lists are that short. */
function smallMedian(values: Float64Array, count: number): number {
  if (count === 7) return medianOfSeven(values);
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
  if (input.granularity === 'month' || input.history.length + input.series.length === 0) return [];
  const scored = scoreBuckets(input, s);
  const { n, from, dropFlag, volFlag } = scored;
  const gap = input.granularity === 'half_hour' ? 1 : 0;
  const out: Anomaly[] = [
    ...runs(n, from, gap, (j) => dropFlag[j] === 1).flatMap((run) => dropAnomaly(scored, run) ?? []),
    ...runs(n, from, gap, (j) => volFlag[j] === -1).map((run) => volumeAnomaly(scored, run, 'volume_drop')),
    ...runs(n, from, gap, (j) => volFlag[j] === 1).map((run) => volumeAnomaly(scored, run, 'volume_spike')),
  ];
  return out.sort((a, b) => a.start - b.start);
}

/**
 * The bucket-by-bucket pass: baselines, spreads and flags. Kept apart from assembling anomalies
 * so the engine optimises this hot loop on its own (their mixed arrays would otherwise make it
 * throw the optimised loop away on every call).
 */
function scoreBuckets(input: DetectionInput, s: DetectionSettings): Scored {
  const halfHourly = input.granularity === 'half_hour';
  const H = input.history.length;
  const n = H + input.series.length;

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
    const local = T[i]! + offsetMinutes(T[i]!, input.tz) * 60;
    const day = Math.floor(local / 86_400);
    key[i] = halfHourly ? day * 48 + Math.floor((local - day * 86_400) / 1800) : day;
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

  // The same slot one day earlier, for every bucket: following it d times reaches d days back.
  const prevDay = new Int32Array(n);
  for (let i = 0; i < n; i++) prevDay[i] = sameSlot(i, 1);

  const dropFlag = new Uint8Array(n);
  const volFlag = new Int8Array(n); // -1 collapse, +1 spike
  const detectedAt = new Int32Array(n).fill(-1);
  const p0 = new Float64Array(n).fill(NaN);
  const pooledRate = new Float64Array(n).fill(NaN);
  const pool = new Float64Array(n);
  const expectedVolume = new Float64Array(n).fill(NaN);
  const collapseCandidate = new Uint8Array(n);
  /** Settled, not part of an anomaly, and big enough to say something about the rate. */
  const usable = new Uint8Array(n);
  for (let j = 0; j < n; j++) usable[j] = settled[j] === 1 && S[j]! >= BASELINE_MIN_SENT ? 1 : 0;

  // Usable sent/delivered of each half hour with its two neighbours, fixed once no later window
  // can still flag them (a window reaches 16 buckets back; slots are read a day back).
  const triS = new Float64Array(n);
  const triD = new Float64Array(n);
  const triR = new Float64Array(n);
  const dayRate = new Float64Array(7);
  const TRI_LAG = 20;
  const scratch = new Float64Array(64);
  const daySent = new Float64Array(7);
  const dayDelivered = new Float64Array(7);

  // Recent level of the rate against its 7-day profile: a volume-weighted mean of residuals
  // (each clamped to 3 deviations) over the last 24 hours, kept as running sums. A median would
  // be biased by the discreteness of small buckets' rates.
  const levelWindow = halfHourly ? 48 : 0;
  const levelSent = new Float64Array(n);
  const levelSum = new Float64Array(n);
  let levelSentTotal = 0;
  let levelSumTotal = 0;
  // Recent level of volume against its 7-day slot median: a mean of clipped log ratios.
  const volumeLog = new Float64Array(n).fill(NaN);
  let volumeLogTotal = 0;
  let volumeLogCount = 0;
  let volumeLevel = 1;

  const tauWindow = halfHourly ? 336 : 28;
  const residuals = new Float64Array(tauWindow);
  const residualVars = new Float64Array(tauWindow);
  const residualAt = new Int32Array(tauWindow);
  let residualCount = 0;
  let residualNext = 0;
  let tau2 = DEFAULT_TAU * DEFAULT_TAU;
  /** Correlation of the extra noise between neighbouring buckets (a level that drifts within a day). */
  let rho = 0.5;
  const zWindow = s.z + 0.5;
  // Long-run rate of the scope: binomial spreads are never taken narrower than at this rate, so a
  // small baseline that happens to show 99.9% does not make every bucket look like a drop.
  let runSent = 0;
  let runDelivered = 0;
  const spreadFloor = new Float64Array(n);
  const maxWindow = halfHourly ? 8 : 3;
  const isWindow = (k: number) => (halfHourly ? k === 2 || k === 4 || k === 8 : k === 2 || k === 3);
  const minDrop = s.minDropPoints / 100;

  /** Take bucket j out of the running level sums (it became part of an anomaly). */
  const unlevel = (j: number) => {
    levelSentTotal -= levelSent[j]!;
    levelSumTotal -= levelSum[j]!;
    levelSent[j] = 0;
    levelSum[j] = 0;
  };

  for (let i = 0; i < n; i++) {
    if (halfHourly && i > levelWindow) {
      const old = i - levelWindow - 1;
      levelSentTotal -= levelSent[old]!;
      levelSumTotal -= levelSum[old]!;
      if (!Number.isNaN(volumeLog[old]!)) {
        volumeLogTotal -= volumeLog[old]!;
        volumeLogCount--;
      }
    }
    const level = levelSentTotal >= POOL_MIN_SENT ? levelSumTotal / levelSentTotal : 0;
    // The volume level moves slowly; refreshing it every 2 hours is plenty.
    if (i % 4 === 0) volumeLevel = volumeLogCount >= 8 ? Math.exp(volumeLogTotal / volumeLogCount) : 1;

    // Extra-binomial noise from the last week of residuals, refreshed every other day: a
    // winsorised mean absolute deviation (robust to the odd outlier, and linear time).
    if (i % (2 * perDay) === 0 && residualCount >= (halfHourly ? 20 : 5)) {
      let varianceMean = 0;
      for (let k = 0; k < residualCount; k++) varianceMean += residualVars[k]!;
      varianceMean /= residualCount;
      const bound = 3 * Math.sqrt(tau2 + varianceMean);
      let centre = 0;
      for (let k = 0; k < residualCount; k++) centre += Math.max(-bound, Math.min(bound, residuals[k]!));
      centre /= residualCount;
      let deviation = 0;
      for (let k = 0; k < residualCount; k++) deviation += Math.min(bound, Math.abs(residuals[k]! - centre));
      const scale = 1.2533 * (deviation / residualCount);
      tau2 = Math.max(MIN_TAU * MIN_TAU, scale * scale - varianceMean);
      // Lag-one covariance of neighbouring residuals (clipped) over τ².
      let covariance = 0;
      let pairs = 0;
      for (let k = 0; k < residualCount; k++) {
        const prev = (k + tauWindow - 1) % tauWindow;
        if (k === residualNext || residualAt[k] !== residualAt[prev]! + 1) continue;
        const a = Math.max(-bound, Math.min(bound, residuals[k]! - centre));
        const b = Math.max(-bound, Math.min(bound, residuals[prev]! - centre));
        covariance += a * b;
        pairs++;
      }
      if (pairs >= 10) rho = Math.max(0, Math.min(1, covariance / pairs / tau2));
    }

    const longRun = runSent >= POOL_MIN_SENT ? runDelivered / runSent : 0.5;
    spreadFloor[i] = longRun * (1 - longRun);

    // Expected rate: the same slot (±1) on each of the previous 7 days, pooled per day; the
    // lowest and highest day are dropped (one bad day must not move the baseline), the rest
    // pooled; plus the recent level. Expected volume: the median of the same slot.
    if (halfHourly && i >= TRI_LAG) {
      const c = i - TRI_LAG;
      let ts = 0;
      let td = 0;
      for (let k = Math.max(0, c - 1); k <= c + 1; k++) {
        if (usable[k] === 1) {
          ts += S[k]!;
          td += D[k]!;
        }
      }
      triS[c] = ts;
      triD[c] = td;
      triR[c] = ts > 0 ? td / ts : 0;
    }
    let days = 0;
    let vcount = 0;
    let j = i;
    for (let d = 1; d <= 7; d++) {
      let dayS = 0;
      let dayD = 0;
      if (halfHourly) {
        j = j >= 0 ? prevDay[j]! : -1;
        if (j < 0) break;
        if (volFlag[j] === 0) scratch[vcount++] = S[j]!;
        dayS = triS[j]!;
        dayD = triD[j]!;
        dayRate[days] = triR[j]!;
      } else if (i - d >= 0 && usable[i - d] === 1) {
        dayS = S[i - d]!;
        dayD = D[i - d]!;
        dayRate[days] = dayD / dayS;
      }
      if (dayS > 0) {
        daySent[days] = dayS;
        dayDelivered[days] = dayD;
        days++;
      }
    }
    let lowest = -1;
    let highest = -1;
    if (days >= 5) {
      let low = Infinity;
      let high = -Infinity;
      for (let k = 0; k < days; k++) {
        const r = dayRate[k]!;
        if (r < low) {
          low = r;
          lowest = k;
        }
        if (r >= high) {
          high = r;
          highest = k;
        }
      }
    }
    let sumS = 0;
    let sumD = 0;
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

    let slotVolume = NaN;
    if (halfHourly) {
      if (vcount >= 3) slotVolume = smallMedian(scratch, vcount);
    } else {
      for (let w = 1; w <= 4; w++) if (i - 7 * w >= 0 && volFlag[i - 7 * w] === 0) scratch[vcount++] = S[i - 7 * w]!;
      if (vcount < 3) {
        vcount = 0;
        for (let d = 1; d <= 7; d++) if (i - d >= 0 && volFlag[i - d] === 0) scratch[vcount++] = S[i - d]!;
      }
      if (vcount >= 3) slotVolume = smallMedian(scratch, vcount);
    }
    if (!Number.isNaN(slotVolume)) expectedVolume[i] = slotVolume * volumeLevel;

    // Delivery-rate tests, on settled buckets only.
    const judgeable = settled[i] === 1 && partial[i] === 0 && S[i]! >= s.minSent;
    if (judgeable && Number.isNaN(expected) && s.rateFloor !== undefined && D[i]! / S[i]! < s.rateFloor) {
      // No baseline yet (or it was all below the floor): the floor alone still applies.
      dropFlag[i] = 1;
      usable[i] = 0;
      detectedAt[i] = i;
    }
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
        usable[i] = 0;
        detectedAt[i] = i;
      } else if (expected - rate >= minDrop / 2) {
        // Pool the last 2, 4 and 8 judged buckets not already part of an anomaly, ending here
        // (only when this one is itself well below: a drop still going on shows in its newest bucket).
        let wS = 0;
        let wDeficit = 0;
        let wVar = 0;
        let taken = 0;
        for (let j = i; j >= 0 && taken < maxWindow && i - j < 2 * maxWindow; j--) {
          const e = p0[j]!;
          if (settled[j] === 0 || Number.isNaN(e)) break;
          if (dropFlag[j] === 1) continue;
          const b = Math.max(e * (1 - e), spreadFloor[j]!);
          wS += S[j]!;
          wDeficit += S[j]! * e - D[j]!;
          wVar += S[j]! * b + S[j]! * S[j]! * ((1 - rho) * tau2 + b / pool[j]!);
          taken++;
          if (!isWindow(taken) || wS < s.minSent) continue;
          const deficit = wDeficit / wS;
          // The correlated part of the extra noise does not average out over the window.
          const sd = Math.sqrt(wVar + wS * wS * rho * tau2) / wS;
          if (deficit >= minDrop && deficit >= zWindow * sd && wDeficit >= s.minExcessUndelivered) {
            for (let k = j; k <= i; k++) {
              if (dropFlag[k] === 0 && S[k]! > 0 && D[k]! / S[k]! < p0[k]!) {
                dropFlag[k] = 1;
                usable[k] = 0;
                detectedAt[k] = i;
                unlevel(k);
              }
            }
            break;
          }
        }
      }
      if (dropFlag[i] === 0) {
        runSent += S[i]!;
        runDelivered += D[i]!;
        if (S[i]! >= POOL_MIN_SENT) {
          residuals[residualNext] = rate - expected;
          residualVars[residualNext] = binomial / S[i]! + binomial / pool[i]!;
          residualAt[residualNext] = i;
          residualNext = (residualNext + 1) % tauWindow;
          residualCount = Math.min(tauWindow, residualCount + 1);
        }
        const base = pooledRate[i]!;
        if (halfHourly && S[i]! >= BASELINE_MIN_SENT && !Number.isNaN(base)) {
          const limit = 3 * Math.sqrt((base * (1 - base)) / S[i]! + tau2);
          levelSent[i] = S[i]!;
          levelSum[i] = S[i]! * Math.max(-limit, Math.min(limit, rate - base));
          levelSentTotal += levelSent[i]!;
          levelSumTotal += levelSum[i]!;
        }
      }
    }

    // Volume tests; a bucket still in progress says nothing about volume.
    const v = expectedVolume[i]!;
    if (partial[i] === 0 && !Number.isNaN(v)) {
      if (v >= s.minExpectedVolume && S[i]! <= s.collapseRatio * v) {
        collapseCandidate[i] = 1;
        // One quiet half hour is a blip; two in a row is a number that stopped.
        if (!halfHourly || (i > 0 && collapseCandidate[i - 1] === 1)) {
          for (let j = halfHourly ? i - 1 : i; j <= i; j++) {
            if (volFlag[j] === 0) {
              volFlag[j] = -1;
              detectedAt[j] = detectedAt[j] === -1 ? i : Math.min(detectedAt[j]!, i);
              if (!Number.isNaN(volumeLog[j]!)) {
                volumeLogTotal -= volumeLog[j]!;
                volumeLogCount--;
                volumeLog[j] = NaN;
              }
            }
          }
        }
      } else if (S[i]! >= s.minSpikeSent && S[i]! >= s.spikeRatio * Math.max(v, s.minExpectedVolume)) {
        volFlag[i] = 1;
        detectedAt[i] = detectedAt[i] === -1 ? i : detectedAt[i]!;
      }
      if (halfHourly && volFlag[i] === 0 && collapseCandidate[i] === 0 && slotVolume >= s.minExpectedVolume) {
        volumeLog[i] = Math.log(Math.min(3, Math.max(0.3, S[i]! / slotVolume)));
        volumeLogTotal += volumeLog[i]!;
        volumeLogCount++;
      }
    }
  }

  return { input, s, n, T, E, S, D, p0, pool, tau2, rho, spreadFloor, expectedVolume, detectedAt, dropFlag, volFlag, from: H };
}

interface Scored {
  input: DetectionInput;
  n: number;
  dropFlag: Uint8Array;
  volFlag: Int8Array;
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
function dropAnomaly(ctx: Scored, run: number[]): Anomaly | undefined {
  const { S, D, p0, pool, tau2, rho, s, input } = ctx;
  let sent = 0;
  let delivered = 0;
  let expectedDelivered = 0;
  let variance = 0;
  let baselined = 0;
  for (const j of run) {
    sent += S[j]!;
    delivered += D[j]!;
    const e = p0[j]!;
    if (Number.isNaN(e)) continue; // flagged by the floor alone
    const b = Math.max(e * (1 - e), ctx.spreadFloor[j]!);
    baselined += S[j]!;
    expectedDelivered += S[j]! * e;
    variance += S[j]! * b + S[j]! * S[j]! * ((1 - rho) * tau2 + b / pool[j]!);
  }
  variance += sent * sent * rho * tau2;
  const observed = sent > 0 ? delivered / sent : 0;
  const floor = s.rateFloor;
  const belowFloor = floor !== undefined && observed < floor;
  if (baselined === 0 && !belowFloor) return undefined;
  const expected = baselined > 0 ? expectedDelivered / baselined : floor!;
  const spread = baselined > 0 ? Math.sqrt(variance) / baselined : 0;
  const band = baselined > 0 ? Math.max(s.minDropPoints / 100, s.z * spread) : 0;
  const deficit = expected - observed;
  const dropPoints = deficit * 100;
  const significant = baselined > 0 && dropPoints >= s.minDropPoints && deficit * sent >= s.minExcessUndelivered && deficit >= s.z * spread;
  if (!significant && !belowFloor) return undefined;
  const critical = dropPoints >= 10 || (floor !== undefined && observed < floor - 0.05);
  const judged = significant
    ? `expected ${pct(expected)} (at least ${pct(Math.max(0, expected - band))})`
    : `below the ${pct(floor!)} floor set for it`;
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
    explanation: `Delivery ${scopePhrase(input.scope)} fell to ${pct(observed)} (${count(delivered)} of ${count(sent)} delivered) ${when(start, end, input.granularity, input.tz)}; ${judged}.`,
  };
}

function volumeAnomaly(ctx: Scored, run: number[], kind: 'volume_drop' | 'volume_spike'): Anomaly {
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

function span(ctx: Scored, run: number[]): { start: number; end: number; detectedAt: number } {
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
    format = new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
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
