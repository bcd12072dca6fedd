/**
 * The plain baseline every alert rule is measured against: a same-slot z-test. A bucket is a
 * drop when its delivery rate is at least 2 points and 4 standard deviations under the pooled
 * rate of the same half hour on the previous 7 days, the deviation being the spread of those
 * seven daily rates plus the bucket's binomial noise; consecutive flagged buckets (one quiet
 * one between allowed) are one alarm. No level shift, no pooling, no settling model: what a
 * careful analyst would write in an afternoon.
 */
import type { DataPoint } from '../../src/vocabulary/series.js';

export interface ZTestAlarm {
  startIndex: number;
  endIndex: number;
  /** Index of the bucket that raised it (its end is when a check could have seen it). */
  detected: number;
}

export function zTestDrops(
  points: readonly DataPoint[],
  from: number,
  options: { minSent?: number; z?: number; minDrop?: number } = {},
): ZTestAlarm[] {
  const minSent = options.minSent ?? 200;
  const z = options.z ?? 4;
  const minDrop = options.minDrop ?? 0.02;
  const flagged: number[] = [];
  for (let i = from; i < points.length; i++) {
    const p = points[i]!;
    if (p.sent < minSent) continue;
    const rates: number[] = [];
    let s = 0;
    let d = 0;
    for (let k = 1; k <= 7; k++) {
      const q = points[i - 48 * k];
      if (!q || q.sent < 20) continue;
      rates.push(q.delivered / q.sent);
      s += q.sent;
      d += q.delivered;
    }
    if (rates.length < 4 || s === 0) continue;
    const mean = d / s;
    const avg = rates.reduce((a, b) => a + b, 0) / rates.length;
    const variance = rates.reduce((a, r) => a + (r - avg) ** 2, 0) / (rates.length - 1);
    const rate = p.delivered / p.sent;
    const sd = Math.sqrt(variance + (mean * (1 - mean)) / p.sent);
    if (mean - rate >= minDrop && mean - rate >= z * sd) flagged.push(i);
  }
  const alarms: ZTestAlarm[] = [];
  for (const i of flagged) {
    const last = alarms[alarms.length - 1];
    if (last && i - last.endIndex <= 1) last.endIndex = i + 1;
    else alarms.push({ startIndex: i, endIndex: i + 1, detected: i });
  }
  return alarms;
}
