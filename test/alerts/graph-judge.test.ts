import { describe, expect, it } from 'vitest';
import { judgeAlertScopes } from '../../src/alerts/judge/graph.js';
import { arrivedAt, DEFAULT_SETTLE_CURVE, type SettleCurve } from '../../src/analytics/settle.js';
import type { DataPoint } from '../../src/vocabulary/series.js';

/** The Graph judge on plain series: what is going on, what may go on in buckets still settling, what ended. */
const HALF = 1800;
const NOW = Date.UTC(2026, 10, 24, 18, 0) / 1000;
const SETTLE_MS = 2 * 3600 * 1000;

/** Eight days of 1,000 sent a half hour at 96%, with a drop to `low` over [from, to); young buckets as Graph shows them. */
function series(from: number, to: number, low = 0.8, blipAt?: number): DataPoint[] {
  const points: DataPoint[] = [];
  for (let start = NOW - 8 * 86_400; start < NOW; start += HALF) {
    const rate = (start >= from && start < to) || start === blipAt ? low : 0.96;
    // A fixed pattern of ±0.5 points, so the week has a spread to learn.
    const wobble = ((start / HALF) % 3) - 1;
    const final = Math.round(1000 * (rate + wobble * 0.005));
    const ageMinutes = (NOW - (start + HALF)) / 60;
    const visible = ageMinutes * 60_000 >= SETTLE_MS ? final : Math.round(final * arrivedAt(DEFAULT_SETTLE_CURVE, ageMinutes).fraction);
    points.push({ start, end: start + HALF, sent: 1000, delivered: visible });
  }
  return points;
}

/** The default curve's shares with the narrow spread an account's learned curve may have. */
const LEARNED: SettleCurve = { ...DEFAULT_SETTLE_CURVE, sd: [0.01, 0.01, 0.005, 0.003, 0.001], source: 'learned' };

function judge(points: DataPoint[], curve = DEFAULT_SETTLE_CURVE) {
  return judgeAlertScopes([{ scope: { kind: 'account', key: null, label: 'all traffic' }, dimension: 'account', points }], {
    nowMs: NOW * 1000,
    settleMs: SETTLE_MS,
    curve,
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

  // 17:00–17:30 is 30 minutes old at 18:00, and the half hour after it too young to tell a
  // recovery: a single half hour that may yet be a blip.
  it('lets a single half hour 8 points down wait for the next to say (a pending period)', () => {
    const j = judge(series(NOW - 3600, NOW - 1800, 0.88), LEARNED);
    expect(j.recent.map((a) => [a.kind, a.start, a.severity])).toEqual([['delivery_drop', NOW - 3600, 'warning']]);
    expect(j.ongoing).toEqual([]);
    expect(j.settling).toEqual([]);
  });

  it('alerts at once on a single half hour 20 points down, however young the next', () => {
    const j = judge(series(NOW - 3600, NOW - 1800, 0.76), LEARNED);
    expect(j.ongoing.map((a) => [a.kind, a.start])).toEqual([['delivery_drop', NOW - 3600]]);
  });

  it('lets even 20 points down wait on a scope that dipped alone and recovered earlier in its window', () => {
    const j = judge(series(NOW - 3600, NOW - 1800, 0.76, NOW - 10 * 3600), LEARNED);
    expect(j.ongoing).toEqual([]);
    expect(j.recent.map((a) => a.start)).toEqual([NOW - 3600]);
  });

  it('alerts on 8 points down once a second half hour shows it too', () => {
    const j = judge(series(NOW - 5400, NOW, 0.88), LEARNED);
    expect(j.ongoing.map((a) => [a.kind, a.start])).toEqual([['delivery_drop', NOW - 5400]]);
  });

  it('tells "back to normal" only from half hours whose deliveries are mostly in', () => {
    // Down to 86% since 14:00; the newest half hour (17:30–18:00, just ended) shows 20% more of
    // its deliveries than the curve expects — well within its spread — so read at the curve's
    // share it looks like 100%.
    const points = series(NOW - 4 * 3600, NOW, 0.86);
    const newest = points.at(-1)!;
    newest.delivered = Math.round(newest.delivered * 1.2);
    const now = judge(points).now[0]!;
    // The hour judged is 16:00–17:00: the half hours after it, 30 and 0 minutes old, are known
    // only to ±4 and ±8 points of their shares. It is the drop, not a recovery.
    expect(now.rate!).toBeLessThan(0.9);
    expect(now.expected! - now.rate!).toBeGreaterThan(0.07);
  });
});
