import type { DataPoint, Granularity } from '../vocabulary/series.js';
import { lowerTail, normalQuantileUpper, normalTail, skewedLowerTail } from './betaTail.js';
import type { SeriesPoint } from './buckets.js';
import { fitExtraVariance, fitSkew, lagOneCorrelation, longRunFactor, medianOf, runInflation } from './noise.js';
import { cautiousShare, MIN_JUDGED_FRACTION } from './settle.js';
import { offsetMinutes } from './time.js';

/**
 * The bucket-by-bucket pass behind `detectAnomalies`: each bucket is judged only against what
 * came before it, so `detectedAt` is when a check running every bucket would have raised it.
 * One class with typed arrays and a method per step keeps the hot loop monomorphic and fast.
 *
 *   expectRate    same time of day (±30 min) on each of the previous 7 days, best and worst day
 *                 left out, Laplace's rule, plus the recent level (clipped residuals, 24 h);
 *   expectVolume  the median of the same slot over 7 days times the recent volume level;
 *   judgeBucket   one bucket alone: far outside the noise and a material drop;
 *   judgeWindows  the last 2, 4 and 8 judged buckets pooled: persistent smaller drops, slides;
 *   judgeRun      a one-sided CUSUM of the noise-scaled deficits: several buckets in a row each a
 *                 few deviations down, however long, scaled by how much the scope's noise itself
 *                 wanders together over hours;
 *   judgeVolume   collapses (two quiet half hours) and spikes;
 *   learn         residuals, level and long-run rate from buckets that were not anomalies;
 *   refreshNoise  τ², ρ and the long-run factor fitted from the last week's residuals every third day
 *                 (against baselines of five days or more, once there are enough).
 */
export interface Thresholds {
  minSent: number;
  rateFloor: number | undefined;
  /** Drop a single bucket must show to alarm alone, and its z. */
  minDropSingle: number;
  zSingle: number;
  /** Drop two pooled buckets must show; four or eight. */
  minDropShort: number;
  minDropLong: number;
  /** z for pooled windows and runs. */
  zWindow: number;
  /** The persistence statistic's alarm level (its reference is one deviation a bucket). */
  runThreshold: number;
  minExcessUndelivered: number;
  minExcessPerHalfHour: number;
  /** Sending at this multiple of the usual volume is a campaign: another audience, another rate. */
  campaignRatio: number;
  campaignAllowance: number;
  minExpectedVolume: number;
  collapseRatio: number;
  spikeRatio: number;
  minSpikeSent: number;
}

/**
 * What Graph could tell of a scope: buckets starting before `knownFrom` are unknown (older than
 * it serves, or before the scope's first data), and a series bucket is judged only with at least
 * `minHistorySeconds` of known buckets before it.
 */
export interface Coverage {
  knownFrom?: number | undefined;
  minHistorySeconds?: number | undefined;
}
/** A week of days is a week less an hour across a daylight-saving change. */
const DST_SLACK = 3600;

/** The first series bucket (from `from`) starting at or after `judgeFrom`: before it, too little known history to judge. */
function firstJudgeable(T: Float64Array, from: number, n: number, judgeFrom: number): number {
  let i = from;
  while (i < n && T[i]! < judgeFrom) i++;
  return i;
}

/** Buckets with fewer messages than this add nothing to a rate baseline. */
const BASELINE_MIN_SENT = 20;
/**
 * Days a baseline needs before its residuals measure the scope's noise: with five or more its
 * best and worst day are left out; with one or two, a residual is as much the baseline's error (a
 * Tuesday's audience against a Monday's) as the noise, and a fit from them came out wider on
 * scopes whose mix shifts by weekday — and more symmetric, holding dips to a normal's tail.
 */
const MATURE_BASELINE_DAYS = 5;
/** Pooled baseline volume below which the expected rate is unknown. */
export const POOL_MIN_SENT = 200;
const DEFAULT_TAU = 0.005;
const TRI_LAG = 20;
/** The persistence statistic: each bucket adds its deficit in deviations (at most RUN_CAP) less RUN_REFERENCE. */
const RUN_CAP = 4;
const RUN_REFERENCE = 1;
/** Buckets with fewer messages say too little to move the statistic. */
const RUN_MIN_SENT = 20;
/**
 * How much lower the bar (in deviations) is for evidence that has shown it persists — a window of
 * four hours, which overlaps its neighbours almost entirely, or a run the persistence statistic
 * reached: far fewer independent tests than lone windows, so a lower bar costs few false alarms
 * and catches long, moderate drops on noisy scopes.
 */
export const PERSISTENT_RELIEF = 0.5;
/** Residual runs the long-run factor is measured over: four hours. */
const LONG_RUN_BLOCK = 8;

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

/** Arrays set from the series when a scorer is made. */
const INPUT_F64 = ['starts', 'ends', 'sent', 'delivered', 'visibleShare'] as const;
const INPUT_U8 = ['judged', 'settled', 'partial'] as const;
/** Arrays the run writes as it goes, never past the bucket it is on: what a snapshot keeps. */
const WORKED_F64 = [
  'p0',
  'pooledRate',
  'pool',
  'spreadFloor',
  'allowance',
  'expectedVolume',
  'triS',
  'triD',
  'triR',
  'levelSent',
  'levelSum',
  'volumeLog',
] as const;
const WORKED_U8 = ['dropFlag', 'runFlag', 'collapseCandidate', 'usable', 'baseDays'] as const;

/**
 * The scorer's arrays, allocated once and reused: a check judges a dozen scopes of a few hundred
 * buckets each, and a backtest thousands of checks, so fresh typed arrays per scope would cost
 * more than the scoring. Valid until the next scorer is made (scoring is synchronous).
 */
class Arena {
  capacity = 0;
  f64: Record<(typeof INPUT_F64)[number] | (typeof WORKED_F64)[number], Float64Array> = {} as never;
  u8: Record<(typeof INPUT_U8)[number] | (typeof WORKED_U8)[number], Uint8Array> = {} as never;
  i32: Record<'key' | 'prevDay' | 'detectedAt', Int32Array> = {} as never;
  volFlag = new Int8Array(0);

  take(n: number): this {
    if (n > this.capacity) {
      const size = Math.max(n, Math.ceil(this.capacity * 1.5), 512);
      for (const k of [...INPUT_F64, ...WORKED_F64]) this.f64[k] = new Float64Array(size);
      for (const k of [...INPUT_U8, ...WORKED_U8]) this.u8[k] = new Uint8Array(size);
      for (const k of ['key', 'prevDay', 'detectedAt'] as const) this.i32[k] = new Int32Array(size);
      this.volFlag = new Int8Array(size);
      this.capacity = size;
    }
    const f = this.f64;
    f.visibleShare.fill(1, 0, n);
    for (const k of ['p0', 'pooledRate', 'expectedVolume', 'volumeLog'] as const) f[k].fill(NaN, 0, n);
    for (const k of ['pool', 'spreadFloor', 'allowance', 'triS', 'triD', 'triR', 'levelSent', 'levelSum'] as const) f[k].fill(0, 0, n);
    for (const k of ['judged', 'settled', 'partial', 'dropFlag', 'runFlag', 'collapseCandidate', 'usable', 'baseDays'] as const)
      this.u8[k].fill(0, 0, n);
    this.i32.detectedAt.fill(-1, 0, n);
    this.volFlag.fill(0, 0, n);
    return this;
  }
}
const arena = new Arena();
const RESIDUAL_CAPACITY = 336;
const SCRATCH = {
  values: new Float64Array(64),
  daySent: new Float64Array(7),
  dayDelivered: new Float64Array(7),
  dayRate: new Float64Array(7),
};
const RESIDUALS = {
  e: new Float64Array(RESIDUAL_CAPACITY),
  b: new Float64Array(RESIDUAL_CAPACITY),
  m: new Float64Array(RESIDUAL_CAPACITY),
  at: new Int32Array(RESIDUAL_CAPACITY),
};
const ORDERED = {
  e: new Float64Array(RESIDUAL_CAPACITY),
  b: new Float64Array(RESIDUAL_CAPACITY),
  m: new Float64Array(RESIDUAL_CAPACITY),
  at: new Int32Array(RESIDUAL_CAPACITY),
  sort: new Float64Array(RESIDUAL_CAPACITY),
};

type TypedArray = Float64Array | Uint8Array | Int32Array | Int8Array;

/**
 * `from`'s first `length` values in `to`, an array no longer wanted, where it is long enough;
 * else in a copy — the whole of `from` where `to` was too short, room for the next, longer prefix
 * (an alert check's work reaches a bucket or two further each time).
 */
export function prefixInto<T extends TypedArray>(from: T, to: T | undefined, length: number): T {
  if (!to) return from.slice(0, length) as T;
  if (to.length < length) return from.slice() as T;
  to.set(from.subarray(0, length));
  return to;
}

/** A scorer's work up to a bucket (`BucketScorer.snapshot`). */
export interface ScorerState {
  /** The first bucket not yet judged: the arrays hold its work up to here (they may be longer). */
  at: number;
  f64: Float64Array[];
  u8: Uint8Array[];
  detectedAt: Int32Array;
  volFlag: Int8Array;
  ring: { e: Float64Array; b: Float64Array; m: Float64Array; at: Int32Array };
  scalars: {
    tau2: number;
    rho: number;
    longRun: number;
    skew: number;
    fitted: boolean;
    cusum: number;
    cusumFrom: number;
    levelSentTotal: number;
    levelSumTotal: number;
    volumeLogTotal: number;
    volumeLogCount: number;
    volumeLevel: number;
    residualCount: number;
    residualNext: number;
    runSent: number;
    runDelivered: number;
  };
}

/** Seasonal slot keys and same-slot links of recent grids: every scope of a check shares one. */
const slotCache = new Map<string, { key: Int32Array; prevDay: Int32Array }>();

export class BucketScorer {
  readonly n: number;
  readonly from: number;
  readonly halfHourly: boolean;
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly sent: Float64Array;
  readonly delivered: Float64Array;
  /** Visible share of final deliveries assumed (1 once settled; cautious while young). */
  readonly visibleShare: Float64Array;
  /** 1 when the bucket may be judged (settled, or young with a settle curve). */
  readonly judged: Uint8Array;
  readonly settled: Uint8Array;
  readonly partial: Uint8Array;
  readonly p0: Float64Array;
  readonly pool: Float64Array;
  readonly spreadFloor: Float64Array;
  readonly allowance: Float64Array;
  readonly expectedVolume: Float64Array;
  readonly dropFlag: Uint8Array;
  /** 1 where the persistence statistic reached its threshold over the bucket: its run is judged at the persistent bar. */
  readonly runFlag: Uint8Array;
  readonly volFlag: Int8Array;
  /** Tail probabilities a single bucket and a pooled window must reach (from their z). */
  readonly pSingle: number;
  readonly pWindow: number;
  readonly pLong: number;
  readonly detectedAt: Int32Array;
  tau2 = DEFAULT_TAU * DEFAULT_TAU;
  rho = 0.3;
  /** How much the noise wanders together over hours (variance of a run's sum over its length; ≥ 1). */
  longRun = 1;
  /** How skewed the scope's noise is, as a share of a beta's with its spread (`fitSkew`). */
  skew = 1;
  /**
   * Whether the noise has been fitted from the scope's own residuals yet. Until then buckets are
   * learned from, not judged: judged against a guessed noise, the first days of a window flagged
   * drops the fit would not have, and what they flagged was then missing from the baseline and
   * the fit — so a check could see a day-long drop its neighbour half an hour earlier did not.
   */
  private fitted = false;

  private readonly key: Int32Array;
  private readonly prevDay: Int32Array;
  private readonly perDay: number;
  private readonly pooledRate: Float64Array;
  private readonly usable: Uint8Array;
  /** Days each bucket's baseline pooled (up to seven): whether its residual measures the noise. */
  private readonly baseDays: Uint8Array;
  private readonly triS: Float64Array;
  private readonly triD: Float64Array;
  private readonly triR: Float64Array;
  private readonly collapseCandidate: Uint8Array;
  private readonly scratch = SCRATCH.values;
  private readonly daySent = SCRATCH.daySent;
  private readonly dayDelivered = SCRATCH.dayDelivered;
  private readonly dayRate = SCRATCH.dayRate;
  // Recent level of the rate: volume-weighted clipped residuals over 24 hours, as running sums.
  private readonly levelWindow: number;
  private readonly levelSent: Float64Array;
  private readonly levelSum: Float64Array;
  private levelSentTotal = 0;
  private levelSumTotal = 0;
  // Recent level of volume: mean of clipped log ratios against the slot median.
  private readonly volumeLog: Float64Array;
  private volumeLogTotal = 0;
  private volumeLogCount = 0;
  private volumeLevel = 1;
  /** The current bucket's same-slot median volume (NaN when unknown). */
  private slotVolume = NaN;
  // The last week's residuals, a ring, for τ² and ρ.
  private readonly residualWindow: number;
  private readonly residuals: Float64Array;
  private readonly residualVars: Float64Array;
  private readonly residualExpected: Float64Array;
  private readonly residualAt: Int32Array;
  private residualCount = 0;
  private residualNext = 0;
  private readonly ordered: { e: Float64Array; b: Float64Array; m: Float64Array; at: Int32Array; sort: Float64Array };
  // Long-run rate of the scope: binomial spreads are never taken narrower than at this rate.
  private runSent = 0;
  private runDelivered = 0;
  /**
   * The first bucket anything was sent in: before it the scope did not exist yet (a number added
   * lately, a range reaching before the account's first message), which says nothing of the
   * volume to expect — zeros there would make its first days all spikes.
   */
  private readonly firstSent: number;
  // The persistence statistic and where its current excursion began (-1: at zero).
  /** Series buckets before this index have too little known history to be judged. */
  readonly unjudgedUntil: number;
  private cusum = 0;
  private cusumFrom = -1;
  private readonly tailAtCap = normalTail(RUN_CAP);
  /** The first bucket not yet judged. */
  private next = 0;

  constructor(
    history: readonly DataPoint[],
    series: readonly SeriesPoint[],
    granularity: Granularity,
    tz: string,
    readonly t: Thresholds,
    /** What Graph could not tell (see `Coverage`); absent: every bucket is known. */
    coverage: Coverage = {},
  ) {
    this.halfHourly = granularity === 'half_hour';
    this.pSingle = normalTail(t.zSingle);
    this.pWindow = normalTail(t.zWindow);
    // Long windows overlap their neighbours almost entirely (see PERSISTENT_RELIEF).
    this.pLong = normalTail(t.zWindow - PERSISTENT_RELIEF);
    const H = history.length;
    const n = H + series.length;
    this.n = n;
    this.from = H;
    const a = arena.take(n);
    this.starts = a.f64.starts;
    this.ends = a.f64.ends;
    this.sent = a.f64.sent;
    this.delivered = a.f64.delivered;
    this.visibleShare = a.f64.visibleShare;
    this.judged = a.u8.judged;
    this.settled = a.u8.settled;
    this.partial = a.u8.partial;
    for (let i = 0; i < n; i++) {
      const p: DataPoint = i < H ? history[i]! : series[i - H]!;
      this.starts[i] = p.start;
      this.ends[i] = p.end;
      this.sent[i] = p.sent;
      this.delivered[i] = p.delivered;
      const sp = i < H ? undefined : (p as SeriesPoint);
      const settled = sp ? sp.settled : true;
      this.settled[i] = settled ? 1 : 0;
      this.partial[i] = sp?.partial ? 1 : 0;
      if (settled) this.judged[i] = 1;
      else if (sp && !sp.partial && sp.arrived !== undefined && sp.arrived >= MIN_JUDGED_FRACTION) {
        // Judged young against the share expected to have arrived — its low end (two spreads
        // under the curve), so slow arrivals never read as a drop. The delivery noise keeps its
        // own skewed shape; the arrival uncertainty only makes the estimate cautious.
        this.judged[i] = 1;
        this.visibleShare[i] = Math.max(0.3, cautiousShare(sp.arrived, sp.arrivedSd ?? 0));
      }
    }
    // Buckets before `knownFrom` were never served: unknown, not quiet — no baseline starts in them.
    const knownFrom = coverage.knownFrom ?? Number.NEGATIVE_INFINITY;
    let first = 0;
    while (first < n && (this.sent[first] === 0 || this.starts[first]! < knownFrom)) first++;
    this.firstSent = first;
    this.unjudgedUntil = firstJudgeable(this.starts, H, n, knownFrom + (coverage.minHistorySeconds ?? 0) - DST_SLACK);
    this.perDay = this.halfHourly ? 48 : 1;
    this.key = a.i32.key;
    this.prevDay = a.i32.prevDay;
    this.laySlots(tz, `${tz}|${granularity}|${n}|${this.starts[0]}|${this.starts[n - 1]}`);
    this.p0 = a.f64.p0;
    this.pooledRate = a.f64.pooledRate;
    this.pool = a.f64.pool;
    this.spreadFloor = a.f64.spreadFloor;
    this.allowance = a.f64.allowance;
    this.expectedVolume = a.f64.expectedVolume;
    this.dropFlag = a.u8.dropFlag;
    this.runFlag = a.u8.runFlag;
    this.volFlag = a.volFlag;
    this.detectedAt = a.i32.detectedAt;
    this.collapseCandidate = a.u8.collapseCandidate;
    this.usable = a.u8.usable;
    this.baseDays = a.u8.baseDays;
    for (let j = 0; j < n; j++)
      this.usable[j] = this.settled[j] === 1 && this.sent[j]! >= BASELINE_MIN_SENT && this.starts[j]! >= knownFrom ? 1 : 0;
    this.triS = a.f64.triS;
    this.triD = a.f64.triD;
    this.triR = a.f64.triR;
    this.levelWindow = this.halfHourly ? 48 : 0;
    this.levelSent = a.f64.levelSent;
    this.levelSum = a.f64.levelSum;
    this.volumeLog = a.f64.volumeLog;
    this.residualWindow = this.halfHourly ? 336 : 28;
    this.residuals = RESIDUALS.e;
    this.residualVars = RESIDUALS.b;
    this.residualExpected = RESIDUALS.m;
    this.residualAt = RESIDUALS.at;
    this.ordered = ORDERED;
  }

  /** Each bucket's local slot (`key`) and the same slot's bucket the day before (`prevDay`), cached by grid and zone. */
  private laySlots(tz: string, cacheKey: string): void {
    const n = this.n;
    const cached = n ? slotCache.get(cacheKey) : undefined;
    if (cached) {
      this.key.set(cached.key);
      this.prevDay.set(cached.prevDay);
      return;
    }
    for (let i = 0; i < n; i++) {
      const local = this.starts[i]! + offsetMinutes(this.starts[i]!, tz) * 60;
      const day = Math.floor(local / 86_400);
      this.key[i] = this.halfHourly ? day * 48 + Math.floor((local - day * 86_400) / 1800) : day;
    }
    for (let i = 0; i < n; i++) {
      // The hour a spring-forward skipped has no slot the day before: its week goes on from the day before that.
      const previous = this.sameSlot(i, 1);
      this.prevDay[i] = previous >= 0 ? previous : this.sameSlot(i, 2);
    }
    if (slotCache.size >= 16) slotCache.delete(slotCache.keys().next().value!);
    if (n) slotCache.set(cacheKey, { key: this.key.slice(0, n), prevDay: this.prevDay.slice(0, n) });
  }

  /** Index of the same slot `days` earlier, or -1 (a slot skipped by a daylight-saving change). */
  private sameSlot(i: number, days: number): number {
    const target = this.key[i]! - days * this.perDay;
    let j = i - days * this.perDay;
    if (j < 0) j = 0;
    if (j >= this.n) j = this.n - 1;
    for (let steps = 0; steps < 4 && j > 0 && this.key[j]! > target; steps++) j--;
    for (let steps = 0; steps < 4 && j < i && this.key[j]! < target; steps++) j++;
    return j >= 0 && j < i && this.key[j] === target ? j : -1;
  }

  /**
   * What the run has worked out so far (everything it writes is at or before the bucket it is
   * on): with it, a scorer of the same buckets read otherwise from here on — a young bucket's
   * arrivals read again — judges only those, not the week before them (`restore`). `into`: a
   * state no longer wanted whose arrays are written over where long enough (alert checks keep one
   * per scope and write it every check: fresh arrays each time cost more than the scoring saved).
   */
  snapshot(into?: ScorerState): ScorerState {
    const at = this.next;
    const copy = <T extends TypedArray>(from: T, to: T | undefined): T => prefixInto(from, to, at);
    // The residual ring is kept whole: its entries are in ring order, not bucket order.
    const whole = <T extends TypedArray>(from: T, to: T | undefined): T => prefixInto(from, to, from.length);
    const ring = into?.ring;
    return {
      at,
      f64: WORKED_F64.map((k, x) => copy(arena.f64[k], into?.f64[x])),
      u8: WORKED_U8.map((k, x) => copy(arena.u8[k], into?.u8[x])),
      detectedAt: copy(this.detectedAt, into?.detectedAt),
      volFlag: copy(this.volFlag, into?.volFlag),
      ring: {
        e: whole(this.residuals, ring?.e),
        b: whole(this.residualVars, ring?.b),
        m: whole(this.residualExpected, ring?.m),
        at: whole(this.residualAt, ring?.at),
      },
      scalars: {
        tau2: this.tau2,
        rho: this.rho,
        longRun: this.longRun,
        skew: this.skew,
        fitted: this.fitted,
        cusum: this.cusum,
        cusumFrom: this.cusumFrom,
        levelSentTotal: this.levelSentTotal,
        levelSumTotal: this.levelSumTotal,
        volumeLogTotal: this.volumeLogTotal,
        volumeLogCount: this.volumeLogCount,
        volumeLevel: this.volumeLevel,
        residualCount: this.residualCount,
        residualNext: this.residualNext,
        runSent: this.runSent,
        runDelivered: this.runDelivered,
      },
    };
  }

  /**
   * Picks up where `state`'s scorer stopped; the buckets before it must be the same as its, from
   * the same first bucket (the grid may go on further: nothing it worked out looked past its bucket).
   */
  restore(state: ScorerState): void {
    const at = state.at;
    if (at > this.n) throw new RangeError(`a scorer's work over ${at} buckets restored into one of ${this.n}`);
    for (const [x, k] of WORKED_F64.entries()) arena.f64[k].set(state.f64[x]!.subarray(0, at));
    for (const [x, k] of WORKED_U8.entries()) arena.u8[k].set(state.u8[x]!.subarray(0, at));
    this.detectedAt.set(state.detectedAt.subarray(0, at));
    this.volFlag.set(state.volFlag.subarray(0, at));
    this.residuals.set(state.ring.e);
    this.residualVars.set(state.ring.b);
    this.residualExpected.set(state.ring.m);
    this.residualAt.set(state.ring.at);
    // The scalars by the one list `snapshot` writes (`ScorerState['scalars']`), not a second one.
    Object.assign(this, state.scalars);
    this.next = state.at;
  }

  /** Judges the buckets from where it stopped (the first, or a restored state's) up to `until`. */
  run(until = this.n): void {
    for (let i = this.next; i < until; i++) {
      this.slideWindows(i);
      this.refreshNoise(i);
      this.expectRate(i);
      this.expectVolume(i);
      const unjudged = i >= this.from && i < this.unjudgedUntil;
      if (unjudged || !this.fitted) {
        if (this.judged[i] === 1 && this.partial[i] === 0 && this.settled[i] === 1) this.learn(i);
        // Volume needs no noise fit: a stop is a stop.
        if (!unjudged) this.judgeVolume(i);
        continue;
      }
      if (this.judged[i] === 1 && this.partial[i] === 0) {
        const flagged = this.judgeBucket(i);
        if (!flagged) this.judgeWindows(i);
        this.judgeRun(i);
        if (this.dropFlag[i] === 0 && this.settled[i] === 1) this.learn(i);
      }
      this.judgeVolume(i);
    }
    this.next = Math.max(this.next, until);
  }

  /** Drop what left the 24-hour level windows. */
  private slideWindows(i: number): void {
    if (!this.halfHourly || i <= this.levelWindow) return;
    const old = i - this.levelWindow - 1;
    this.levelSentTotal -= this.levelSent[old]!;
    this.levelSumTotal -= this.levelSum[old]!;
    if (!Number.isNaN(this.volumeLog[old]!)) {
      this.volumeLogTotal -= this.volumeLog[old]!;
      this.volumeLogCount--;
    }
  }

  /**
   * τ², ρ and the long-run factor from the last week's residuals (in time order), those against
   * baselines of five days or more once there are enough: first as soon as it can, then every third day.
   */
  private refreshNoise(i: number): void {
    // The first fit as soon as there are enough residuals (nothing is judged before it): the
    // spread only — a correlation read from a few hours of residuals says more of the hour than of
    // the scope. The full fit at fixed clock times, so a check and a report judge a bucket alike.
    const first = !this.fitted;
    const due = first || Math.round(this.starts[i]! / (this.halfHourly ? 1800 : 86_400)) % (3 * this.perDay) === 0;
    const minCount = this.halfHourly ? 20 : 5;
    if (!due || this.residualCount < minCount) return;
    const held = this.residualCount;
    const oldest = held < this.residualWindow ? 0 : this.residualNext;
    // Residuals against young baselines only until there are enough against mature ones.
    const matureAt = (r: number) => this.baseDays[this.residualAt[r]!]! >= MATURE_BASELINE_DAYS;
    let mature = 0;
    for (let k = 0; k < held; k++) if (matureAt((oldest + k) % this.residualWindow)) mature++;
    const onlyMature = mature >= minCount;
    const { e, b, m, at, sort } = this.ordered;
    let count = 0;
    for (let k = 0; k < held; k++) {
      const r = (oldest + k) % this.residualWindow;
      if (onlyMature && !matureAt(r)) continue;
      e[count] = this.residuals[r]!;
      b[count] = this.residualVars[r]!;
      m[count] = this.residualExpected[r]!;
      at[count] = this.residualAt[r]!;
      count++;
    }
    const centre = medianOf(e, count, sort);
    this.tau2 = fitExtraVariance(e, b, count, centre);
    this.fitted = true;
    if (first) return;
    this.rho = lagOneCorrelation(e, b, at, count, centre, this.tau2);
    this.longRun = this.halfHourly ? longRunFactor(e, b, at, count, centre, this.tau2, this.rho, LONG_RUN_BLOCK) : 1;
    this.skew = fitSkew(e, b, m, count, centre, this.tau2);
  }

  /**
   * P(rate ≤ observed) for a rate with this mean and variance, as skewed as the scope's noise —
   * for persistent evidence (pooled windows, runs), which the body of the noise governs. One
   * bucket alone is judged by the beta's tail whatever the skew: its alarm lives in the far tail,
   * which a week's residuals cannot measure and where the odd batch to a stale list lands.
   */
  tail(observed: number, expected: number, variance: number): number {
    return skewedLowerTail(observed, expected, variance, this.skew);
  }

  /** The rate this bucket should have had: same slot over the previous week, plus the recent level. */
  private expectRate(i: number): void {
    const { sent: S, delivered: D } = this;
    if (this.halfHourly && i >= TRI_LAG) {
      // A slot's usable sent/delivered with its two neighbours, fixed once no later window can still flag them.
      const c = i - TRI_LAG;
      let ts = 0;
      let td = 0;
      for (let k = Math.max(0, c - 1); k <= c + 1; k++) {
        if (this.usable[k] === 1) {
          ts += S[k]!;
          td += D[k]!;
        }
      }
      this.triS[c] = ts;
      this.triD[c] = td;
      this.triR[c] = ts > 0 ? td / ts : 0;
    }
    let days = 0;
    let j = i;
    for (let d = 1; d <= 7; d++) {
      let dayS = 0;
      let dayD = 0;
      if (this.halfHourly) {
        j = j >= 0 ? this.prevDay[j]! : -1;
        if (j < 0) break;
        dayS = this.triS[j]!;
        dayD = this.triD[j]!;
        this.dayRate[days] = this.triR[j]!;
      } else if (i - d >= 0 && this.usable[i - d] === 1) {
        dayS = S[i - d]!;
        dayD = D[i - d]!;
        this.dayRate[days] = dayD / dayS;
      }
      if (dayS > 0) {
        this.daySent[days] = dayS;
        this.dayDelivered[days] = dayD;
        days++;
      }
    }
    // One bad day (or one unusually good one) must not move the baseline.
    let lowest = -1;
    let highest = -1;
    if (days >= 5) {
      let low = Infinity;
      let high = -Infinity;
      for (let k = 0; k < days; k++) {
        const r = this.dayRate[k]!;
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
      sumS += this.daySent[k]!;
      sumD += this.dayDelivered[k]!;
    }
    this.pool[i] = sumS;
    this.baseDays[i] = days;
    const longRun = this.runSent >= POOL_MIN_SENT ? this.runDelivered / this.runSent : 0.5;
    this.spreadFloor[i] = longRun * (1 - longRun);
    if (sumS >= POOL_MIN_SENT) {
      const level = this.levelSentTotal >= POOL_MIN_SENT ? this.levelSumTotal / this.levelSentTotal : 0;
      // Laplace's rule: a baseline with no failures is not evidence of a 100% rate.
      this.pooledRate[i] = (sumD + 1) / (sumS + 2);
      this.p0[i] = Math.min(0.9999, Math.max(0.0001, this.pooledRate[i]! + level));
    }
  }

  /** Sent this bucket should have had; a campaign (far above it) earns a rate allowance. */
  private expectVolume(i: number): void {
    const { sent: S, scratch } = this;
    if (i % 4 === 0) this.volumeLevel = this.volumeLogCount >= 8 ? Math.exp(this.volumeLogTotal / this.volumeLogCount) : 1;
    let vcount = 0;
    let slotVolume = NaN;
    this.slotVolume = NaN;
    if (this.halfHourly) {
      let j = i;
      for (let d = 1; d <= 7; d++) {
        j = j >= 0 ? this.prevDay[j]! : -1;
        if (j < 0) break;
        if (this.volFlag[j] === 0 && j >= this.firstSent) scratch[vcount++] = S[j]!;
      }
      if (vcount >= 3) slotVolume = smallMedian(scratch, vcount);
    } else {
      for (let w = 1; w <= 4; w++) if (i - 7 * w >= this.firstSent && this.volFlag[i - 7 * w] === 0) scratch[vcount++] = S[i - 7 * w]!;
      if (vcount < 3) {
        vcount = 0;
        for (let d = 1; d <= 7; d++) if (i - d >= this.firstSent && this.volFlag[i - d] === 0) scratch[vcount++] = S[i - d]!;
      }
      if (vcount >= 3) slotVolume = smallMedian(scratch, vcount);
    }
    if (Number.isNaN(slotVolume)) return;
    this.expectedVolume[i] = slotVolume * this.volumeLevel;
    this.slotVolume = slotVolume;
    // Sending to another audience (a campaign) changes the rate the mix delivers at.
    if (S[i]! >= this.t.campaignRatio * Math.max(this.expectedVolume[i]!, this.t.minExpectedVolume))
      this.allowance[i] = this.t.campaignAllowance;
  }

  /** Variance (in final rate units, times sent²) of a bucket's deficit: binomial, extra noise, baseline. */
  private bucketVariance(j: number, e: number, correlated: boolean): number {
    const S = this.sent[j]!;
    const b = Math.max(e * (1 - e), this.spreadFloor[j]!);
    const extra = correlated ? this.tau2 : (1 - this.rho) * this.tau2;
    return (S * b) / this.visibleShare[j]! + S * S * (extra + b / this.pool[j]!);
  }

  private flag(j: number, at: number): void {
    this.dropFlag[j] = 1;
    this.usable[j] = 0;
    this.detectedAt[j] = at;
    this.levelSentTotal -= this.levelSent[j]!;
    this.levelSumTotal -= this.levelSum[j]!;
    this.levelSent[j] = 0;
    this.levelSum[j] = 0;
  }

  /** How far a bucket's rate, as its deliveries should end, is under what it was expected to deliver (rate units; NaN without a baseline). */
  deficit(j: number): number {
    return this.p0[j]! - this.allowance[j]! - this.delivered[j]! / this.visibleShare[j]! / this.sent[j]!;
  }

  /** Whether a bucket is evidence in a run: judged whole (not in progress), with a baseline, and sending. */
  private countsInRun(j: number): boolean {
    return this.judged[j] === 1 && this.partial[j] === 0 && this.sent[j]! > 0 && !Number.isNaN(this.p0[j]!);
  }

  /** Messages a drop over this many judged buckets must have lost beyond the expected (none for days). */
  minExcess(buckets: number): number {
    return this.halfHourly ? Math.max(this.t.minExcessUndelivered, buckets * this.t.minExcessPerHalfHour) : 0;
  }

  /** One bucket alone: under the operator's floor, or a material drop far outside the noise. */
  private judgeBucket(i: number): boolean {
    const S = this.sent[i]!;
    if (S < this.t.minSent) return false;
    const t = this.t;
    const finalDelivered = this.delivered[i]! / this.visibleShare[i]!;
    const rate = finalDelivered / S;
    const base = this.p0[i]!;
    if (t.rateFloor !== undefined && rate < t.rateFloor) {
      this.flag(i, i);
      return true;
    }
    if (Number.isNaN(base)) return false;
    const e = base - this.allowance[i]!;
    const deficit = e - rate;
    if (deficit < t.minDropSingle || deficit * S < this.minExcess(1)) return false;
    if (lowerTail(rate, e, this.bucketVariance(i, e, true) / (S * S)) <= this.pSingle) {
      this.flag(i, i);
      return true;
    }
    return false;
  }

  /**
   * The last 2, 4 and 8 judged buckets not already flagged, ending here, pooled (only when this
   * one is itself well below: a drop still going on shows in its newest bucket).
   */
  private judgeWindows(i: number): void {
    const t = this.t;
    const base = this.p0[i]!;
    if (Number.isNaN(base) || this.sent[i]! === 0 || this.deficit(i) < t.minDropLong / 2) return;
    const maxWindow = this.halfHourly ? 8 : 3;
    let wS = 0;
    let wDeficit = 0;
    let wExpected = 0;
    let wVar = 0;
    let taken = 0;
    // The window's deepest bucket, by messages lost.
    let worstDeficit = Number.NEGATIVE_INFINITY;
    let worstSent = 0;
    for (let j = i; j >= 0 && taken < maxWindow && i - j < 2 * maxWindow; j--) {
      if (this.judged[j] === 0 || Number.isNaN(this.p0[j]!)) break;
      if (this.dropFlag[j] === 1) continue;
      const e = this.p0[j]! - this.allowance[j]!;
      const lost = this.sent[j]! * e - this.delivered[j]! / this.visibleShare[j]!;
      wS += this.sent[j]!;
      wDeficit += lost;
      if (lost > worstDeficit) {
        worstDeficit = lost;
        worstSent = this.sent[j]!;
      }
      wExpected += this.sent[j]! * e;
      wVar += this.bucketVariance(j, e, false);
      taken++;
      const isWindow = this.halfHourly ? taken === 2 || taken === 4 || taken === 8 : taken === 2 || taken === 3;
      if (!isWindow || wS < t.minSent) continue;
      const deficit = wDeficit / wS;
      const minDrop = taken === 2 ? t.minDropShort : t.minDropLong;
      if (deficit < minDrop || wDeficit < this.minExcess(taken)) continue;
      // A window is for drops that persist: one deep half hour beside ordinary ones is that half
      // hour alone, judged as one (and a blip when the next recovers) — the rest must be down too.
      if (this.halfHourly && !((wDeficit - worstDeficit) / (wS - worstSent) >= t.minDropLong)) continue;
      // The correlated part of the extra noise does not average out over the window.
      const variance = (wVar + wS * wS * this.rho * this.tau2) / (wS * wS);
      const expected = wExpected / wS;
      if (this.tail(expected - deficit, expected, variance) <= (taken >= 8 ? this.pLong : this.pWindow)) {
        for (let k = j; k <= i; k++) {
          if (this.dropFlag[k] === 0 && this.sent[k]! > 0 && this.deficit(k) > 0) this.flag(k, i);
        }
        return;
      }
    }
  }

  /**
   * Persistence: a one-sided CUSUM of each bucket's deficit in deviations — its beta tail read
   * back as a z, capped so one deep bucket cannot make a run alone, less one deviation — with
   * every step scaled by the square root of how much a run as long as the excursion so far
   * wanders together (`runInflation`: the long-run factor from four hours on), so noise that
   * wanders together needs proportionally more evidence, and a drop of two hours no more than
   * two hours of such noise would give. It alarms when the sum reaches the threshold
   * and the excursion as a whole is a material drop; then the excursion's buckets under their
   * expected rate are flagged, and it stays at the threshold while the drop goes on.
   */
  private judgeRun(i: number): void {
    const S = this.sent[i]!;
    const base = this.p0[i]!;
    if (Number.isNaN(base) || S < RUN_MIN_SENT) return;
    const t = this.t;
    const e = base - this.allowance[i]!;
    const rate = this.delivered[i]! / this.visibleShare[i]! / S;
    const variance = this.bucketVariance(i, e, true) / (S * S);
    const length = this.cusumFrom < 0 ? 1 : i - this.cusumFrom + 1;
    const scale = Math.sqrt(runInflation(length, (this.rho * this.tau2) / variance, this.longRun, LONG_RUN_BLOCK));
    let z = (e - rate) / Math.sqrt(variance);
    if (z > RUN_REFERENCE * scale) {
      // Near 100% dips may have a long lower tail: judge by the scope's, read back as deviations.
      const tail = this.tail(rate, e, variance);
      z = tail <= this.tailAtCap ? RUN_CAP : Math.min(z, normalQuantileUpper(tail));
    }
    z = Math.max(-RUN_CAP, Math.min(RUN_CAP, z));
    const step = z / scale - RUN_REFERENCE;
    // A bucket still settling is read at the low end of what may have arrived, well above its
    // true rate: its deficit is a floor, evidence of a drop, but looking fine proves nothing yet.
    this.cusum = Math.max(0, this.cusum + (this.settled[i] === 0 ? Math.max(0, step) : step));
    if (this.cusum === 0) {
      this.cusumFrom = -1;
      return;
    }
    if (this.cusumFrom < 0) this.cusumFrom = i;
    if (this.cusum < t.runThreshold) return;
    let sent = 0;
    let deficit = 0;
    let buckets = 0;
    for (let j = this.cusumFrom; j <= i; j++) {
      if (!this.countsInRun(j)) continue;
      sent += this.sent[j]!;
      deficit += this.sent[j]! * (this.p0[j]! - this.allowance[j]!) - this.delivered[j]! / this.visibleShare[j]!;
      buckets++;
    }
    const minDrop = buckets <= 2 ? t.minDropShort : t.minDropLong;
    if (sent < t.minSent || deficit < this.minExcess(buckets) || deficit / sent < minDrop) return;
    // Where the drop began: the start that best fits a step of the run's size (a bucket belongs to
    // it when it fell more than half that), so a slightly low bucket before it is not pulled in.
    const half = deficit / sent / 2;
    let best = 0;
    let from = i;
    let gain = 0;
    for (let j = i; j >= this.cusumFrom; j--) {
      if (!this.countsInRun(j)) continue;
      gain += this.sent[j]! * (this.deficit(j) - half);
      if (gain >= best) {
        best = gain;
        from = j;
      }
    }
    for (let j = from; j <= i; j++) {
      if (this.sent[j]! > 0 && this.judged[j] === 1 && this.deficit(j) > 0) {
        if (this.dropFlag[j] === 0) this.flag(j, i);
        this.runFlag[j] = 1;
      }
    }
    this.cusum = Math.min(this.cusum, t.runThreshold);
  }

  /** A settled bucket that was not an anomaly teaches the noise, the level and the long-run rate. */
  private learn(i: number): void {
    const S = this.sent[i]!;
    const base = this.pooledRate[i]!;
    const e = this.p0[i]!;
    if (S <= 0 || Number.isNaN(e)) return;
    const rate = this.delivered[i]! / S;
    this.runSent += S;
    this.runDelivered += this.delivered[i]!;
    if (S >= BASELINE_MIN_SENT && this.allowance[i] === 0) {
      const b = Math.max(e * (1 - e), this.spreadFloor[i]!);
      this.residuals[this.residualNext] = rate - e;
      this.residualVars[this.residualNext] = b / S + b / this.pool[i]!;
      this.residualExpected[this.residualNext] = e;
      this.residualAt[this.residualNext] = i;
      this.residualNext = (this.residualNext + 1) % this.residualWindow;
      this.residualCount = Math.min(this.residualWindow, this.residualCount + 1);
    }
    if (this.halfHourly && S >= BASELINE_MIN_SENT && !Number.isNaN(base) && this.allowance[i] === 0) {
      // The level follows the rate's slow wander, not a drop in progress: a bucket more than two
      // deviations off teaches it nothing (symmetric, so the level stays unbiased).
      const sd = Math.sqrt((base * (1 - base)) / S + this.tau2);
      if (Math.abs(rate - e) <= 2 * sd) {
        this.levelSent[i] = S;
        this.levelSum[i] = S * (rate - base);
        this.levelSentTotal += S;
        this.levelSumTotal += this.levelSum[i]!;
      }
    }
  }

  /** Collapses (a number that stops) and spikes; a bucket still in progress says nothing of volume. */
  private judgeVolume(i: number): void {
    const v = this.expectedVolume[i]!;
    if (this.partial[i] === 1 || Number.isNaN(v)) return;
    const S = this.sent[i]!;
    const t = this.t;
    if (v >= t.minExpectedVolume && S <= t.collapseRatio * v) {
      this.collapseCandidate[i] = 1;
      // One quiet half hour is a blip; two in a row is a number that stopped.
      if (!this.halfHourly || (i > 0 && this.collapseCandidate[i - 1] === 1)) {
        for (let j = this.halfHourly ? i - 1 : i; j <= i; j++) {
          if (this.volFlag[j] !== 0) continue;
          this.volFlag[j] = -1;
          this.detectedAt[j] = this.detectedAt[j] === -1 ? i : Math.min(this.detectedAt[j]!, i);
          if (!Number.isNaN(this.volumeLog[j]!)) {
            this.volumeLogTotal -= this.volumeLog[j]!;
            this.volumeLogCount--;
            this.volumeLog[j] = NaN;
          }
        }
      }
    } else if (S >= t.minSpikeSent && S >= t.spikeRatio * Math.max(v, t.minExpectedVolume)) {
      this.volFlag[i] = 1;
      if (this.detectedAt[i] === -1) this.detectedAt[i] = i;
    }
    const slotVolume = this.slotVolume;
    if (this.halfHourly && this.volFlag[i] === 0 && this.collapseCandidate[i] === 0 && slotVolume >= t.minExpectedVolume) {
      this.volumeLog[i] = Math.log(Math.min(3, Math.max(0.3, S / slotVolume)));
      this.volumeLogTotal += this.volumeLog[i]!;
      this.volumeLogCount++;
    }
  }
}
