import { describe, expect, it } from 'vitest';
import { analyzeSeries } from '../../src/analytics/anomalies.js';
import { markSettlement } from '../../src/analytics/buckets.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { seededRandom } from '../helpers/random.js';

const START = Date.UTC(2026, 10, 2) / 1000; // Monday 2 Nov 2026, 00:00 UTC
const HH = 1800;
const DAYS = 14;

/**
 * Fourteen days of a number sending 1,000 a half hour from 07:00 to 21:00 at 94% ± 0.5 points —
 * its first five days each 2.5–3 points off (an audience that changed from day to day), and a
 * drop of `drop` over [from, to) of the last day. Quiet nights teach the fit nothing, so a week of
 * residuals reaches back into the first days: against baselines of one to four days there.
 */
function number(drop = 0, from = 0, to = 0): DataPoint[] {
  const offsets = [0.03, -0.03, 0.025, -0.025, 0.03];
  const { normal } = seededRandom(7);
  return Array.from({ length: DAYS * 48 }, (_, b) => {
    const sent = b % 48 >= 14 && b % 48 < 42 ? 1000 : 0;
    const rate = 0.94 + (offsets[Math.floor(b / 48)] ?? 0) + normal() * 0.005 - (b >= from && b < to ? drop : 0);
    return { start: START + b * HH, end: START + (b + 1) * HH, sent, delivered: Math.round(sent * rate) };
  });
}

/** As an alert check reads it: 13 days of history, the last day judged. */
const check = (points: DataPoint[]) =>
  analyzeSeries({
    history: points.slice(0, (DAYS - 1) * 48),
    series: markSettlement(points.slice((DAYS - 1) * 48), 1e15, 0),
    granularity: 'half_hour',
    tz: 'UTC',
    scope: { kind: 'account', key: null, label: 'a number' },
  });

describe('the noise fit', () => {
  it('fits from residuals against baselines of five days or more once there are enough, not against a day or two', () => {
    // Against yesterday alone, a day 3 points off reads as 6 points of noise; the week's calm is half a point.
    expect(check(number()).noise.tau).toBeLessThan(0.006);
  });

  it('so a week of calm after days of swings does not hide a 5-point drop held for two hours', () => {
    const day = (DAYS - 1) * 48;
    const found = check(number(0.05, day + 24, day + 28)).anomalies.filter((a) => a.kind === 'delivery_drop');
    expect(found.map((a) => [(a.start - START) / HH - day, (a.end - START) / HH - day])).toEqual([[24, 28]]);
  });
});
