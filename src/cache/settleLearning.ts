import {
  curveFromStats,
  DEFAULT_SETTLE_CURVE,
  emptySettleStats,
  observeSettling,
  type SettleCurve,
  type SettleStats,
} from '../analytics/settle.js';
import { type Logger, silentLogger } from '../log.js';
import type { StoreWith } from '../store/types.js';
import type { DataPoint } from '../vocabulary/series.js';

/**
 * Learns each account's settle curve from what the bucket cache sees anyway: every check
 * refetches the recent window, so a young bucket is seen at several ages, and once it settles
 * its final count is cached. The pairs (visible at age, final) accumulate into per-account
 * stats in the store; the alert checks read the curve from there.
 */
export interface SettleCurves {
  curve(accountId: string): Promise<SettleCurve>;
}

const STEP_MINUTES = DEFAULT_SETTLE_CURVE.stepMinutes;
const STEPS = DEFAULT_SETTLE_CURVE.fraction.length;
/** Young buckets remembered per account at most (a day of half hours for a few keys). */
const MAX_PENDING = 2_000;
const CURVE_TTL_MS = 10 * 60_000;

export class SettleLearner implements SettleCurves {
  /** account → "key|bucketStart" → visible delivered by age step. */
  private readonly pending = new Map<string, Map<string, number[]>>();
  private readonly curves = new Map<string, { curve: SettleCurve; at: number }>();

  constructor(
    private readonly store: StoreWith<'buckets'>,
    private readonly now: () => number,
    private readonly log: Logger = silentLogger,
  ) {}

  /** Fresh half-hour points of one cache key, fetched now: remember what young buckets show. */
  observe(accountId: string, key: string, points: readonly DataPoint[]): void {
    const nowMs = this.now();
    let byBucket = this.pending.get(accountId);
    for (const p of points) {
      const age = (nowMs - p.end * 1000) / 60_000;
      if (age < 0 || p.end - p.start !== 1800) continue;
      const step = Math.round(age / STEP_MINUTES);
      if (step >= STEPS || Math.abs(age - step * STEP_MINUTES) > STEP_MINUTES / 3) continue;
      if (!byBucket) {
        byBucket = new Map();
        this.pending.set(accountId, byBucket);
      }
      if (byBucket.size >= MAX_PENDING) byBucket.delete(byBucket.keys().next().value!);
      const id = `${key}|${p.start}`;
      const seen = byBucket.get(id) ?? Array<number>(STEPS).fill(-1);
      seen[step] = p.delivered;
      byBucket.set(id, seen);
    }
  }

  /** Buckets of one cache key that became final: their young sightings become stats. */
  async settle(accountId: string, key: string, finals: readonly DataPoint[]): Promise<void> {
    const byBucket = this.pending.get(accountId);
    if (!byBucket?.size) return;
    const pairs: Array<[number, number, number]> = [];
    for (const p of finals) {
      const id = `${key}|${p.start}`;
      const seen = byBucket.get(id);
      if (!seen) continue;
      byBucket.delete(id);
      seen.forEach((visible, step) => {
        if (visible >= 0) pairs.push([step * STEP_MINUTES, visible, p.delivered]);
      });
    }
    if (!pairs.length) return;
    try {
      await this.store.buckets.updateSettleStats(
        accountId,
        (stored) => {
          const stats: SettleStats = stored ?? emptySettleStats(STEPS, STEP_MINUTES);
          for (const [age, visible, final] of pairs) observeSettling(stats, age, visible, final);
          return stats;
        },
        this.now(),
      );
      this.curves.delete(accountId);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'settle curve not updated');
    }
  }

  async curve(accountId: string): Promise<SettleCurve> {
    const cached = this.curves.get(accountId);
    if (cached && this.now() - cached.at < CURVE_TTL_MS) return cached.curve;
    let curve = DEFAULT_SETTLE_CURVE;
    try {
      const stats = await this.store.buckets.settleStats(accountId);
      if (stats) curve = curveFromStats(stats);
    } catch {
      // the default curve, until the store answers
    }
    this.curves.set(accountId, { curve, at: this.now() });
    return curve;
  }
}

/** A fixed curve (the default, or one read once): backtests and tests. */
export function fixedCurves(curve: SettleCurve = DEFAULT_SETTLE_CURVE): SettleCurves {
  return { curve: async () => curve };
}
