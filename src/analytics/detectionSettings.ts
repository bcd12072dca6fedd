import type { Thresholds } from './scoring.js';

/**
 * How readily the detector alarms: a rule's sensitivity and its explicit settings, resolved once
 * and turned into the scorer's thresholds.
 */
export type Sensitivity = 'low' | 'normal' | 'high';

export interface DetectionSettings {
  /** Sent in a bucket (or a pooled run of buckets) before its delivery rate is judged. */
  minSent: number;
  /** Alert below this rate regardless of the baseline (0..1). */
  rateFloor?: number | undefined;
  /** How readily drops alarm: thresholds below are set from it unless given. */
  sensitivity: Sensitivity;
  /** Percentage points one bucket alone must drop to alarm, and how far outside the noise (z). */
  minDropPointsSingle: number;
  zSingle: number;
  /** Points two pooled buckets must drop; four or eight. */
  minDropPointsShort: number;
  minDropPoints: number;
  /** Standard deviations below the expected rate for pooled buckets and runs. */
  z: number;
  /**
   * Persistence: the level a running sum of deficits (in deviations, less one per bucket, each
   * capped at four) must reach — two buckets four deviations down, three at three, six at two.
   */
  runThreshold: number;
  /**
   * Judged by the half hour, a drop must leave at least this many more messages undelivered than
   * expected (50: half what the smallest material drop costs — 5 points for two hours at 500 a
   * half hour — so such a drop is seen within its first hour; a number sending a hundred a half
   * hour has no drop for a dip of a few dozen messages)…
   */
  minExcessUndelivered: number;
  /**
   * …and, over several half hours, lose this many a half hour on average (10: two points — the
   * least a run could drop when it was set; `normal` asks 3 since — at 500 a half hour, the least
   * a material drop sends; the smallest material drop loses 25): a trickle of a few messages a
   * half hour held for a day adds up to 50 without being worth an alert. Both guard against the
   * many chances 48 half hours a day give noise; a day is one bucket, a whole day's evidence,
   * held to neither.
   */
  minExcessPerHalfHour: number;
  /** A bucket at this multiple of its usual volume is a campaign… */
  campaignRatio: number;
  /** …whose other audience may deliver up to this many points lower without alarming. */
  campaignAllowancePoints: number;
  /** Expected sent per bucket below which volume is not judged. */
  minExpectedVolume: number;
  /** Sent at or below this share of the expected volume is a collapse. */
  collapseRatio: number;
  /** Sent at or above this multiple of the expected volume is a spike. */
  spikeRatio: number;
  /** A spike needs at least this many messages in the bucket. */
  minSpikeSent: number;
}

/**
 * What each sensitivity means. Normal: one bucket alarms alone only when it drops 5 points and 5
 * deviations below (a material drop, far outside the noise); two buckets pooled, four, eight or a
 * run need 3 points, at 4.5 deviations — ordinary bucket-to-bucket swings, however large at high
 * volume, do not persist, and an audience mix wandering 2–3 points for an afternoon (measured: the
 * held-out set's false alarms at a 2-point floor) is left to `high`.
 */
export const SENSITIVITY: Record<
  Sensitivity,
  Pick<DetectionSettings, 'minDropPointsSingle' | 'zSingle' | 'minDropPointsShort' | 'minDropPoints' | 'z' | 'runThreshold'>
> = {
  low: { minDropPointsSingle: 7, zSingle: 6, minDropPointsShort: 4, minDropPoints: 3, z: 5.5, runThreshold: 8 },
  normal: { minDropPointsSingle: 5, zSingle: 5, minDropPointsShort: 3, minDropPoints: 3, z: 4.5, runThreshold: 6 },
  high: { minDropPointsSingle: 4, zSingle: 4.5, minDropPointsShort: 2.5, minDropPoints: 1.5, z: 4, runThreshold: 5 },
};

export const DEFAULT_DETECTION: DetectionSettings = {
  minSent: 200,
  sensitivity: 'normal',
  ...SENSITIVITY.normal,
  minExcessUndelivered: 50,
  minExcessPerHalfHour: 10,
  campaignRatio: 2,
  campaignAllowancePoints: 3,
  minExpectedVolume: 20,
  collapseRatio: 0.2,
  spikeRatio: 4,
  minSpikeSent: 200,
};

const resolved = new WeakMap<Partial<DetectionSettings>, DetectionSettings>();
const NO_SETTINGS: Partial<DetectionSettings> = {};

/** Settings with a sensitivity's thresholds filled in (explicit values win). */
export function detectionSettings(partial: Partial<DetectionSettings> = NO_SETTINGS): DetectionSettings {
  // A check judges a dozen scopes with one settings object: resolve it once.
  const known = resolved.get(partial);
  if (known) return known;
  const sensitivity = partial.sensitivity ?? 'normal';
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<DetectionSettings>;
  const settings = { ...DEFAULT_DETECTION, ...SENSITIVITY[sensitivity], ...defined, sensitivity };
  resolved.set(partial, settings);
  return settings;
}

const thresholdsOf = new WeakMap<DetectionSettings, Thresholds>();

export function thresholds(s: DetectionSettings): Thresholds {
  const known = thresholdsOf.get(s);
  if (known) return known;
  const t: Thresholds = {
    minSent: s.minSent,
    rateFloor: s.rateFloor,
    minDropSingle: s.minDropPointsSingle / 100,
    zSingle: s.zSingle,
    minDropShort: s.minDropPointsShort / 100,
    minDropLong: s.minDropPoints / 100,
    zWindow: s.z,
    runThreshold: s.runThreshold,
    minExcessUndelivered: s.minExcessUndelivered,
    minExcessPerHalfHour: s.minExcessPerHalfHour,
    campaignRatio: s.campaignRatio,
    campaignAllowance: s.campaignAllowancePoints / 100,
    minExpectedVolume: s.minExpectedVolume,
    collapseRatio: s.collapseRatio,
    spikeRatio: s.spikeRatio,
    minSpikeSent: s.minSpikeSent,
  };
  thresholdsOf.set(s, t);
  return t;
}
