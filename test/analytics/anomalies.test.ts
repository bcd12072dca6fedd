import { describe, expect, it } from 'vitest';
import { type AnomalyScope, detectAnomalies } from '../../src/analytics/anomalies.js';
import { markSettlement } from '../../src/analytics/buckets.js';
import type { DetectionSettings } from '../../src/analytics/detectionSettings.js';
import { normalizeSeries } from '../../src/analytics/normalize.js';
import { SeriesError } from '../../src/errors.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { seededRandom } from '../helpers/random.js';
import { thrown } from '../helpers/thrown.js';

const START = Date.UTC(2026, 10, 2) / 1000; // Monday 2 Nov 2026, 00:00 UTC
const HH = 1800;
const DAY = 86_400;
const scope: AnomalyScope = { kind: 'phone', key: '16315551000', label: '+1 631 555 1000' };

/** Half hours of `sent` at `rate`, with a small fixed ±0.2 pp wobble so the noise is not zero. */
function halfHours(days: number, shape: (b: number) => { sent: number; rate: number }): DataPoint[] {
  const out: DataPoint[] = [];
  for (let b = 0; b < days * 48; b++) {
    const { sent, rate } = shape(b);
    const wobble = b % 2 ? 0.002 : -0.002;
    out.push({ start: START + b * HH, end: START + (b + 1) * HH, sent, delivered: Math.round(sent * Math.min(1, rate + wobble)) });
  }
  return out;
}

/** Detect over everything after the first 7 days, as a report would, all settled. */
function detect(
  points: DataPoint[],
  settings: Partial<DetectionSettings> = {},
  granularity: 'half_hour' | 'day' = 'half_hour',
  nowMs = 1e15,
  settleMs = 0,
) {
  const split = granularity === 'half_hour' ? 7 * 48 : 28;
  return detectAnomalies({
    history: points.slice(0, split),
    series: markSettlement(points.slice(split), nowMs, settleMs),
    granularity,
    tz: 'UTC',
    scope,
    settings,
  });
}

const steady = (b: number) => ({ sent: 1000, rate: 0.97 + 0 * b });

describe('delivery-rate drops', () => {
  it('finds a sudden drop, where and when, with what was expected', () => {
    const dropStart = 8 * 48 + 20; // day 9, 10:00
    const points = halfHours(10, (b) => ({ sent: 1000, rate: b >= dropStart && b < dropStart + 4 ? 0.85 : 0.97 }));
    const found = detect(points);
    expect(found).toHaveLength(1);
    const a = found[0]!;
    expect(a.kind).toBe('delivery_drop');
    expect(a.start).toBe(START + dropStart * HH);
    expect(a.end).toBe(START + (dropStart + 4) * HH);
    expect(a.detectedAt).toBe(START + (dropStart + 1) * HH); // raised by its first bucket
    expect(a.observed).toBeCloseTo(0.85, 2);
    expect(a.expected).toBeCloseTo(0.97, 2);
    expect(a.expectedLow).toBeGreaterThan(0.93);
    expect(a.severity).toBe('critical');
    expect(a.sent).toBe(4000);
    expect(a.explanation).toBe(
      'Delivery on +1 631 555 1000 fell to 85.0% (3,400 of 4,000 delivered) on Tue 10 Nov 10:00–12:00; expected 97.0% (at least ' +
        `${(a.expectedLow * 100).toFixed(1)}%).`,
    );
  });

  it('finds a slow slide once the pooled deficit is clear', () => {
    const slide = 8 * 48 + 16;
    const points = halfHours(10, (b) => ({ sent: 1000, rate: b >= slide && b < slide + 12 ? 0.97 - 0.006 * (b - slide + 1) : 0.97 }));
    const found = detect(points);
    expect(found).toHaveLength(1);
    expect(found[0]!.kind).toBe('delivery_drop');
    const detectedBucket = (found[0]!.detectedAt - START) / HH - 1;
    expect(detectedBucket).toBeGreaterThanOrEqual(slide);
    expect(detectedBucket).toBeLessThan(slide + 8);
  });

  it('stays quiet on a steady series with quiet nights and a lower night rate', () => {
    const points = halfHours(14, (b) => {
      const hour = (b % 48) / 2;
      const night = hour < 6;
      return { sent: night ? 15 : 1200, rate: night ? 0.95 : 0.98 };
    });
    expect(detect(points)).toEqual([]);
  });

  it('raises nothing for a trickle held for hours, and finds the same drop where it loses more a half hour', () => {
    // 3.5 points down for 12 hours: at 250 sent a half hour about 9 messages a half hour go
    // undelivered beyond the expected (over 200 in all, past the 50-message floor), under the 10 a
    // half hour a drop must lose; at 500, 17 do.
    const drop = (sent: number) => (b: number) => ({ sent, rate: b >= 8 * 48 + 16 && b < 8 * 48 + 40 ? 0.935 : 0.97 });
    const drops = (found: ReturnType<typeof detect>) => found.filter((a) => a.kind === 'delivery_drop');
    expect(drops(detect(halfHours(10, drop(250))))).toEqual([]);
    // The setting is what keeps it quiet: without it the trickle is a drop.
    expect(drops(detect(halfHours(10, drop(250)), { minExcessPerHalfHour: 0 }))).toHaveLength(1);
    const found = drops(detect(halfHours(10, drop(500))));
    expect(found.map((a) => [(a.start - START) / HH, (a.end - START) / HH])).toEqual([[8 * 48 + 16, 8 * 48 + 40]]);
  });

  it('leaves a drop under 3 points to sensitivity high, however long and busy', () => {
    // 2.5 points down for 8 hours at 3,000 a half hour: far outside steady noise, but the size of
    // an audience mix wandering for an afternoon — measured, the 2-point floor's false alarms.
    const shallow = (b: number) => ({ sent: 3000, rate: b >= 8 * 48 + 20 && b < 8 * 48 + 36 ? 0.945 : 0.97 });
    const drops = (found: ReturnType<typeof detect>) => found.filter((a) => a.kind === 'delivery_drop');
    expect(drops(detect(halfHours(10, shallow)))).toEqual([]);
    const high = drops(detect(halfHours(10, shallow), { sensitivity: 'high' }));
    expect(high.map((a) => [(a.start - START) / HH, (a.end - START) / HH])).toEqual([[8 * 48 + 20, 8 * 48 + 36]]);
    // Three and a half points is a drop at normal.
    const deeper = (b: number) => ({ sent: 3000, rate: b >= 8 * 48 + 20 && b < 8 * 48 + 36 ? 0.935 : 0.97 });
    expect(drops(detect(halfHours(10, deeper))).map((a) => (a.start - START) / HH)).toEqual([8 * 48 + 20]);
  });

  it('holds a day to no message floor: a whole day 7 points down on 600 sent is a drop', () => {
    // 42 undelivered beyond the expected: under the 50 a drop judged by the half hour must cost,
    // but a day is one bucket and a whole day's evidence.
    const days: DataPoint[] = [];
    for (let d = 0; d < 42; d++) {
      const rate = d === 36 ? 0.9 : 0.97 + (d % 2 ? 0.002 : -0.002);
      days.push({ start: START + d * DAY, end: START + (d + 1) * DAY, sent: 600, delivered: Math.round(600 * rate) });
    }
    const found = detect(days, {}, 'day').filter((a) => a.kind === 'delivery_drop');
    expect(found.map((a) => (a.start - START) / DAY)).toEqual([36]);
  });

  it('raises nothing on low-volume noise (3 of 4 delivered)', () => {
    const points = halfHours(10, (b) => ({ sent: 4, rate: b % 5 === 0 ? 0.75 : 1 }));
    expect(detect(points)).toEqual([]);
  });

  it('does not judge unsettled buckets, and does once they settle', () => {
    const last = 10 * 48;
    const points = halfHours(10, (b) => ({ sent: 1000, rate: b >= last - 3 ? 0.6 : 0.97 }));
    const now = (START + last * HH) * 1000;
    expect(detect(points, {}, 'half_hour', now, 2 * 3_600_000).filter((a) => a.kind === 'delivery_drop')).toEqual([]);
    expect(detect(points, {}, 'half_hour', now + 3 * 3_600_000, 2 * 3_600_000).filter((a) => a.kind === 'delivery_drop')).toHaveLength(1);
  });

  it('alerts below the operator floor whatever the baseline', () => {
    const points = halfHours(10, () => ({ sent: 1000, rate: 0.93 }));
    expect(detect(points)).toEqual([]);
    const floored = detect(points, { rateFloor: 0.95 });
    expect(floored).toHaveLength(1);
    expect(floored[0]!.observed).toBeLessThan(0.95);
    expect(floored[0]!.explanation).toMatch(/below the 95.0% floor set for it\.$/);
  });

  it('respects the minimum volume', () => {
    const dropStart = 8 * 48 + 20;
    const points = halfHours(10, (b) => ({ sent: 300, rate: b >= dropStart && b < dropStart + 4 ? 0.8 : 0.97 }));
    expect(detect(points)).toHaveLength(1);
    expect(detect(points, { minSent: 5000 })).toEqual([]);
  });
});

describe('persistence on noisy scopes', () => {
  /** 21 days of a number whose rate swings 3 points from one half hour to the next, 2,000 an hour by day. */
  function swinging(seed: number, drop?: { at: number; length: number; points: number }) {
    const { normal } = seededRandom(seed);
    const out: DataPoint[] = [];
    for (let b = 0; b < 21 * 48; b++) {
      const hour = (b % 48) / 2;
      const sent = hour >= 7 && hour < 22 ? 2000 : 60;
      let rate = 0.96 + 0.03 * normal();
      if (drop && b >= drop.at && b < drop.at + drop.length) rate -= drop.points / 100;
      out.push({
        start: START + b * HH,
        end: START + (b + 1) * HH,
        sent,
        delivered: Math.round(sent * Math.min(0.999, Math.max(0.5, rate))),
      });
    }
    return out;
  }

  const at = 17 * 48 + 20; // day 18, 10:00

  it('finds a drop of 9 points held for 4 hours that no single half hour shows beyond the swings', () => {
    const found = detect(swinging(8, { at, length: 8, points: 9 })).filter((a) => a.kind === 'delivery_drop');
    expect(found).toHaveLength(1);
    expect((found[0]!.start - START) / HH).toBe(at);
    expect((found[0]!.end - START) / HH).toBe(at + 8);
    expect(found[0]!.expected - found[0]!.observed).toBeGreaterThan(0.07);
  });

  it('raises nothing on the same swings without a drop, two weeks of them', () => {
    expect(detect(swinging(8)).filter((a) => a.kind === 'delivery_drop')).toEqual([]);
  });

  it('learns from the buckets before the noise is first fitted, and judges none of them', () => {
    // Everything is series (no history): a 30-point drop on day 2 at 02:00, before the fit (20
    // residuals, from day 2 on), and on day 6.
    const drop = (day: number, at: number) => (b: number) => b >= day * 48 + at && b < day * 48 + at + 4;
    const points = halfHours(8, (b) => ({ sent: 1000, rate: drop(1, 4)(b) || drop(5, 20)(b) ? 0.67 : 0.97 }));
    const found = detectAnomalies({ history: [], series: markSettlement(points, 1e15, 0), granularity: 'half_hour', tz: 'UTC', scope });
    expect(found.filter((a) => a.kind === 'delivery_drop').map((a) => (a.start - START) / HH)).toEqual([5 * 48 + 20]);
  });

  it('takes a half hour that recovers at once for a blip, not a drop', () => {
    const dip = 9 * 48 + 24;
    const points = halfHours(10, (b) => ({ sent: 2000, rate: b === dip ? 0.82 : 0.97 }));
    expect(detect(points)).toEqual([]);
    // The same half hour as the newest one judged: nothing says yet that it recovered.
    const newest = detect(points.slice(0, dip + 1));
    expect(newest.map((a) => [a.kind, (a.start - START) / HH])).toEqual([['delivery_drop', dip]]);
  });
});

describe('one deep half hour', () => {
  /** 10 days of half hours sending `sent(b)` at exactly `rate(b)` (no wobble). */
  function exact(sent: (b: number) => number, rate: (b: number) => number): DataPoint[] {
    return Array.from({ length: 10 * 48 }, (_, b) => ({
      start: START + b * HH,
      end: START + (b + 1) * HH,
      sent: sent(b),
      delivered: Math.round(sent(b) * Math.min(1, rate(b))),
    }));
  }
  const dip = 9 * 48 + 25;
  const drops = (points: DataPoint[]) =>
    detect(points)
      .filter((a) => a.kind === 'delivery_drop')
      .map((a) => [(a.start - START) / HH - dip, (a.end - START) / HH - dip]);

  it('is judged alone, not pooled with an ordinary neighbour into an hour-long drop', () => {
    // 4.8 points down on 3,000 (under the 5 a half hour alone must drop), beside a quieter half
    // hour at the usual rate: pooled, the two are 4.4 points down — one half hour's dip, not two.
    const alternating = (b: number) => (b % 2 ? 0.972 : 0.968);
    const points = exact(
      (b) => (b === dip - 1 ? 700 : 3000),
      (b) => alternating(b) - (b === dip ? 0.048 : 0),
    );
    expect(drops(points)).toEqual([]);
    // Both half hours down, and the one after: a drop that persists, found as before.
    const both = exact(
      (b) => (b === dip - 1 ? 700 : 3000),
      (b) => alternating(b) - (b === dip ? 0.048 : b === dip - 1 || b === dip + 1 ? 0.04 : 0),
    );
    expect(drops(both)).toEqual([[-1, 2]]);
  });

  it('on a noisy scope, is a blip when the next half hour is back at least halfway', () => {
    // A number swinging ±2.4 points (τ 1.4 fitted): 12 points down, then 3.5 — back over two thirds of the way.
    const swing = (b: number) => (((b * 7919) % 13) - 6) * 0.004;
    const thenBack = (next: number) =>
      exact(
        () => 1000,
        (b) => (b === dip ? 0.83 : b === dip + 1 ? 0.95 - next : 0.95 + swing(b)),
      );
    expect(drops(thenBack(0.035))).toEqual([]);
    // Still more than halfway down (6.5 points), though not down enough to be flagged itself (an
    // hour down, then back, is two batches): not a blip — the deep half hour stands as a drop.
    expect(drops(thenBack(0.065))).toEqual([[0, 1]]);
  });
});

describe('an hour that recovers at once', () => {
  const dip = 9 * 48 + 24;
  const downFor = (count: number) => halfHours(10, (b) => ({ sent: 2000, rate: b >= dip && b < dip + count ? 0.85 : 0.97 }));
  const drops = (points: DataPoint[]) =>
    detect(points)
      .filter((a) => a.kind === 'delivery_drop')
      .map((a) => [(a.start - START) / HH - dip, (a.end - START) / HH - dip]);

  it('is two batches to stale lists, not a drop, once the next half hour is back', () => {
    expect(drops(downFor(2))).toEqual([]);
  });

  it('stands while nothing after it says so, and when the next half hour is down too', () => {
    expect(drops(downFor(2).slice(0, dip + 2))).toEqual([[0, 2]]);
    expect(drops(downFor(3))).toEqual([[0, 3]]);
  });
});

describe('volume', () => {
  it('detects a number that stops sending, on the second quiet half hour', () => {
    const stop = 8 * 48 + 20;
    const points = halfHours(10, (b) => ({ sent: b >= stop && b < stop + 6 ? 0 : 800, rate: 0.97 }));
    const found = detect(points);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      kind: 'volume_drop',
      severity: 'critical',
      start: START + stop * HH,
      end: START + (stop + 6) * HH,
      detectedAt: START + (stop + 2) * HH,
    });
    expect(found[0]!.explanation).toMatch(
      /^Sending on \+1 631 555 1000 stopped on Tue 10 Nov 10:00–13:00; usually about 800 per half hour\.$/,
    );
  });

  it('flags a marketing burst as a volume spike, not a delivery drop', () => {
    const burst = 8 * 48 + 24;
    const points = halfHours(10, (b) => ({
      sent: b >= burst && b < burst + 3 ? 6000 : 1000,
      rate: b >= burst && b < burst + 3 ? 0.965 : 0.97,
    }));
    const found = detect(points);
    expect(found.map((a) => a.kind)).toEqual(['volume_spike']);
    expect(found[0]!.severity).toBe('warning');
  });

  it('knows weekends at DAY granularity and still sees a collapse', () => {
    const days: DataPoint[] = [];
    for (let d = 0; d < 42; d++) {
      const weekday = (new Date((START + d * DAY) * 1000).getUTCDay() + 6) % 7; // 0 = Monday
      const sent = d === 38 ? 2000 : weekday >= 5 ? 11_000 : 20_000;
      days.push({ start: START + d * DAY, end: START + (d + 1) * DAY, sent, delivered: Math.round(sent * 0.97) });
    }
    const found = detect(days, {}, 'day');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'volume_drop', start: START + 38 * DAY });
  });

  it('judges nothing at MONTH granularity and never returns NaN', () => {
    expect(
      detectAnomalies({ history: [], series: markSettlement(halfHours(2, steady), 1e15, 0), granularity: 'month', tz: 'UTC', scope }),
    ).toEqual([]);
    const zeros = halfHours(10, () => ({ sent: 0, rate: 0 }));
    expect(detect(zeros)).toEqual([]);
  });
});

describe('series normalisation', () => {
  const p = (start: number, sent: number, delivered: number, length = HH): DataPoint => ({ start, end: start + length, sent, delivered });

  it('sorts, drops exact duplicates and caps delivered at sent, saying so', () => {
    const { points, notes } = normalizeSeries([p(START + HH, 10, 9), p(START, 5, 7), p(START + HH, 10, 9)]);
    expect(points).toEqual([p(START, 5, 5), p(START + HH, 10, 9)]);
    expect(notes).toEqual([
      'Buckets arrived out of order and were sorted.',
      '1 duplicated bucket was counted once.',
      '1 bucket reported more delivered than sent; delivered was capped at sent.',
    ]);
  });

  it('rejects what cannot be repaired, naming the bucket', () => {
    const at = '2026-11-02T00:00:00Z';
    const reject = (points: DataPoint[]) => thrown(() => normalizeSeries(points), SeriesError).message;
    expect(reject([p(START, -1, 0)])).toBe(`bucket ${at}: sent -1 is negative`);
    expect(reject([p(START, 2.5, 1)])).toBe(`bucket ${at}: sent 2.5 is not a whole number`);
    expect(reject([p(START, 3, Number.NaN)])).toBe(`bucket ${at}: delivered null is not a number`);
    expect(reject([p(START, 3, 2), p(START, 4, 2)])).toBe(`bucket ${at} appears twice with different counts (3/2 and 4/2)`);
    expect(reject([p(START, 3, 2, DAY), p(START + HH, 4, 2)])).toMatch(
      /^bucket 2026-11-02T00:30:00Z–2026-11-02T01:00:00Z overlaps bucket 2026-11-02T00:00:00Z–2026-11-03T00:00:00Z$/,
    );
    expect(reject([{ start: START, end: START, sent: 1, delivered: 1 }])).toBe(`bucket ${at}: end ${at} is not after its start`);
  });
});
