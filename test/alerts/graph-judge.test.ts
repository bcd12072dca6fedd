import { describe, expect, it } from 'vitest';
import { judgeAlertScopes } from '../../src/alerts/judge/graph.js';
import { arrivedAt, DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import type { DataPoint } from '../../src/vocabulary/series.js';

/** The Graph judge on plain series: what is going on, what may go on in buckets still settling, what ended. */
const HALF = 1800;
const NOW = Date.UTC(2026, 10, 24, 18, 0) / 1000;
const SETTLE_MS = 2 * 3600 * 1000;

/** Eight days of 1,000 sent a half hour at 96%, with a drop to 80% over [from, to); young buckets as Graph shows them. */
function series(from: number, to: number): DataPoint[] {
  const points: DataPoint[] = [];
  for (let start = NOW - 8 * 86_400; start < NOW; start += HALF) {
    const rate = start >= from && start < to ? 0.8 : 0.96;
    // A fixed pattern of ±0.5 points, so the week has a spread to learn.
    const wobble = ((start / HALF) % 3) - 1;
    const final = Math.round(1000 * (rate + wobble * 0.005));
    const ageMinutes = (NOW - (start + HALF)) / 60;
    const visible = ageMinutes * 60_000 >= SETTLE_MS ? final : Math.round(final * arrivedAt(DEFAULT_SETTLE_CURVE, ageMinutes).fraction);
    points.push({ start, end: start + HALF, sent: 1000, delivered: visible });
  }
  return points;
}

function judge(points: DataPoint[]) {
  return judgeAlertScopes([{ scope: { kind: 'account', key: null, label: 'all traffic' }, dimension: 'account', points }], {
    nowMs: NOW * 1000,
    settleMs: SETTLE_MS,
    curve: DEFAULT_SETTLE_CURVE,
    tz: 'UTC',
    detection: {},
  });
}

describe('the Graph judge of an alert check', () => {
  it('names a drop reaching the newest hour as going on', () => {
    const j = judge(series(NOW - 3 * 3600, NOW));
    expect(j.ongoing.map((a) => a.kind)).toEqual(['delivery_drop']);
  });

  it('names a drop seen up to the last settled bucket as still settling, not going on', () => {
    // 14:00–16:00; at 18:00 the buckets from 16:00 are still settling (2 h).
    const j = judge(series(NOW - 4 * 3600, NOW - 2 * 3600));
    expect(j.ongoing).toEqual([]);
    expect(j.settling?.map((a) => [a.kind, a.end])).toEqual([['delivery_drop', NOW - 2 * 3600]]);
  });

  it('leaves a drop that ended before the buckets still settling to reports', () => {
    const j = judge(series(NOW - 7 * 3600, NOW - 5 * 3600));
    expect(j.ongoing).toEqual([]);
    expect(j.settling).toEqual([]);
    expect(j.recent.map((a) => a.end)).toEqual([NOW - 5 * 3600]);
  });
});
