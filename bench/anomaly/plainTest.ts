/**
 * The plain test of issue 20, exactly as written there, as a second baseline beside the
 * same-slot z-test. For each half hour i:
 *
 *   p   the delivered ÷ sent pooled over the same half hour ±1 h (5 buckets) on each of the
 *       previous 7 days;
 *   φ   over-dispersion: the sent-weighted mean of (bucket rate − p)² over the trailing week's
 *       buckets with ≥ 30 sent, divided by p(1−p), floored at 1. "Sent-weighted" is read as each
 *       squared deviation weighted by its bucket's sent, averaged over those buckets — the
 *       Pearson dispersion Σ n(r − p)² ÷ (K·p(1−p)), which is 1 for binomial noise; dividing by
 *       the total sent instead would make φ ≈ 1/n̄ and leave the floor always in force. p is
 *       the judged half hour's own expected rate, as the formula's single p(1−p) says;
 *   z   (rate − p) ÷ √(φ·p(1−p)/sent), for buckets with ≥ 20 sent;
 *
 * a drop alarm when two buckets in a row have z < −4 and are ≥ 3 points under p; a stop when two
 * buckets in a row fall under 5% of the median sent of the same slot over the previous 14 days
 * (median ≥ 50; the days there are, at least 7). Consecutive alarming buckets are one alarm,
 * raised at the end of the bucket that made it two in a row.
 */
import type { DataPoint } from '../../src/vocabulary/series.js';

export interface PlainAlarm {
  kind: 'delivery_drop' | 'volume_drop';
  startIndex: number;
  endIndex: number;
  /** Index of the bucket that raised it. */
  detected: number;
}

const DAY = 48;

/** Expected rate of bucket i: the same half hour ±1 h on each of the previous 7 days, pooled. */
function expectedRate(points: readonly DataPoint[], i: number): number {
  let s = 0;
  let d = 0;
  for (let k = 1; k <= 7; k++) {
    for (let o = -2; o <= 2; o++) {
      const j = i - k * DAY + o;
      if (j < 0 || j >= i) continue;
      s += points[j]!.sent;
      d += points[j]!.delivered;
    }
  }
  return s > 0 ? d / s : Number.NaN;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function plainTest(points: readonly DataPoint[], from: number): PlainAlarm[] {
  const n = points.length;
  const dropBucket = new Uint8Array(n);
  const stopBucket = new Uint8Array(n);
  // Σ n(r − p)² over the trailing week = Σ n·r² − 2p·Σ n·r + p²·Σ n: prefix sums of the three.
  const nrr = new Float64Array(n + 1);
  const nr = new Float64Array(n + 1);
  const nn = new Float64Array(n + 1);
  const k = new Float64Array(n + 1);
  for (let j = 0; j < n; j++) {
    const q = points[j]!;
    const counted = q.sent >= 30;
    const r = counted ? q.delivered / q.sent : 0;
    nrr[j + 1] = nrr[j]! + (counted ? q.sent * r * r : 0);
    nr[j + 1] = nr[j]! + (counted ? q.sent * r : 0);
    nn[j + 1] = nn[j]! + (counted ? q.sent : 0);
    k[j + 1] = k[j]! + (counted ? 1 : 0);
  }
  for (let i = Math.max(from - 1, 0); i < n; i++) {
    const p = points[i]!;
    const e = expectedRate(points, i);
    if (p.sent >= 20 && e > 0 && e < 1) {
      const a = Math.max(0, i - 7 * DAY);
      const count = k[i]! - k[a]!;
      const sum = nrr[i]! - nrr[a]! - 2 * e * (nr[i]! - nr[a]!) + e * e * (nn[i]! - nn[a]!);
      const phi = count > 0 ? Math.max(1, sum / count / (e * (1 - e))) : 1;
      const rate = p.delivered / p.sent;
      const z = (rate - e) / Math.sqrt((phi * e * (1 - e)) / p.sent);
      if (z < -4 && e - rate >= 0.03) dropBucket[i] = 1;
    }
    const slot: number[] = [];
    for (let k = 1; k <= 14; k++) if (i - k * DAY >= 0) slot.push(points[i - k * DAY]!.sent);
    if (slot.length >= 7) {
      const m = median(slot);
      if (m >= 50 && p.sent < 0.05 * m) stopBucket[i] = 1;
    }
  }
  const alarms: PlainAlarm[] = [];
  for (const [kind, flagged] of [
    ['delivery_drop', dropBucket],
    ['volume_drop', stopBucket],
  ] as const) {
    let open: PlainAlarm | undefined;
    for (let i = from; i < n; i++) {
      if (flagged[i] === 1 && flagged[i - 1] === 1) {
        if (open && open.endIndex >= i) open.endIndex = i + 1;
        else {
          open = { kind, startIndex: i - 1, endIndex: i + 1, detected: i };
          alarms.push(open);
        }
      }
    }
  }
  return alarms.sort((a, b) => a.startIndex - b.startIndex);
}
