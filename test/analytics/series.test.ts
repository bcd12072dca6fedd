import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { detectAnomalies } from '../../src/analytics/anomalies.js';
import { breakdown, topMovers } from '../../src/analytics/breakdown.js';
import { deliveryRate, fillGaps, markSettlement, totals } from '../../src/analytics/buckets.js';
import { compareTotals } from '../../src/analytics/compare.js';
import { bucketGrid, previousPeriod, sameWeekdayLastWeek } from '../../src/analytics/time.js';
import type { DataPoint } from '../../src/vocabulary/series.js';

const BERLIN = 'Europe/Berlin';
const local = (iso: string, zone = BERLIN) => DateTime.fromISO(iso, { zone }).toSeconds();

describe('delivery rate and totals', () => {
  it('is delivered / sent and null, never NaN, when nothing was sent', () => {
    expect(deliveryRate(200, 150)).toBe(0.75);
    expect(deliveryRate(0, 0)).toBeNull();
    expect(totals([])).toEqual({ sent: 0, delivered: 0, deliveryRate: null });
    expect(
      totals([
        { start: 0, end: 1, sent: 3, delivered: 2 },
        { start: 1, end: 2, sent: 1, delivered: 1 },
      ]),
    ).toEqual({ sent: 4, delivered: 3, deliveryRate: 0.75 });
  });

  it('compares periods in percent and percentage points', () => {
    const change = compareTotals({ sent: 1100, delivered: 990, deliveryRate: 0.9 }, { sent: 1000, delivered: 950, deliveryRate: 0.95 });
    expect(change.sentPct).toBeCloseTo(10);
    expect(change.ratePoints).toBeCloseTo(-5);
    expect(compareTotals({ sent: 5, delivered: 5, deliveryRate: 1 }, { sent: 0, delivered: 0, deliveryRate: null })).toEqual({
      sentPct: null,
      deliveredPct: null,
      ratePoints: null,
    });
  });
});

describe('gap fill and time zones', () => {
  it('fills days across the autumn daylight-saving change with a 25-hour day', () => {
    const range = { start: local('2026-10-24'), end: local('2026-10-28') };
    const points: DataPoint[] = [{ start: local('2026-10-24'), end: local('2026-10-25'), sent: 10, delivered: 9 }];
    const { points: filled } = fillGaps(points, range, 'day', BERLIN);
    expect(filled.map((p) => (p.end - p.start) / 3600)).toEqual([24, 25, 24, 24]);
    expect(filled.map((p) => p.sent)).toEqual([10, 0, 0, 0]);
  });

  it('re-buckets half hours into local days across the spring change', () => {
    const start = local('2026-03-28');
    const end = local('2026-03-31');
    // One message every half hour, UTC-aligned, for three local days.
    const halfHours: DataPoint[] = [];
    for (let t = start; t < end; t += 1800) halfHours.push({ start: t, end: t + 1800, sent: 1, delivered: 1 });
    const { points, straddling } = fillGaps(halfHours, { start, end }, 'day', BERLIN);
    expect(points.map((p) => p.sent)).toEqual([48, 46, 48]); // 29 March has 23 hours
    expect(straddling).toBe(0);
  });

  it('fills omitted half hours with zeros', () => {
    const start = Date.UTC(2026, 10, 24, 0) / 1000;
    const { points } = fillGaps(
      [{ start: start + 3600, end: start + 5400, sent: 4, delivered: 3 }],
      { start, end: start + 3 * 3600 },
      'half_hour',
      'UTC',
    );
    expect(points.map((p) => p.sent)).toEqual([0, 0, 4, 0, 0, 0]);
  });

  it('counts a Graph bucket that spans two target buckets once, and says so', () => {
    const start = local('2026-11-20');
    // A US Pacific day starts at 09:00 in Berlin and runs into the next Berlin day.
    const pacificDay = DateTime.fromISO('2026-11-20', { zone: 'America/Los_Angeles' }).toSeconds();
    const { points, straddling } = fillGaps(
      [{ start: pacificDay, end: pacificDay + 86_400, sent: 7, delivered: 7 }],
      { start, end: start + 2 * 86_400 },
      'day',
      BERLIN,
    );
    expect(points.map((p) => p.sent)).toEqual([7, 0]);
    expect(straddling).toBe(1);
  });

  it('grids months by local calendar', () => {
    const grid = bucketGrid({ start: local('2026-01-15'), end: local('2026-04-01') }, 'month', BERLIN);
    expect(grid.map((b) => DateTime.fromSeconds(b.start, { zone: BERLIN }).toISODate())).toEqual([
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
    ]);
  });

  it('finds the previous period and the same weekday a week before in local days', () => {
    const yesterday = { start: local('2026-10-26'), end: local('2026-10-27') };
    expect(previousPeriod(yesterday, BERLIN)).toEqual({ start: local('2026-10-25'), end: local('2026-10-26') });
    expect(sameWeekdayLastWeek(yesterday, BERLIN)).toEqual({ start: local('2026-10-19'), end: local('2026-10-20') });
    const week = { start: local('2026-10-19'), end: local('2026-10-26') };
    expect(previousPeriod(week, BERLIN)).toEqual({ start: local('2026-10-12'), end: local('2026-10-19') });
    // Today so far compares with the same hours yesterday.
    const today = { start: local('2026-11-24'), end: local('2026-11-24T15:00') };
    expect(previousPeriod(today, BERLIN)).toEqual({ start: local('2026-11-23'), end: local('2026-11-23T15:00') });
  });
});

describe('settlement', () => {
  it('marks buckets that ended less than the settle time ago as unsettled, and running ones as partial', () => {
    const t = Date.UTC(2026, 10, 24, 10) / 1000;
    const now = (t + 3 * 3600) * 1000; // 13:00
    const points = [0, 1, 2, 3, 4, 5, 6].map((i) => ({ start: t + i * 1800, end: t + (i + 1) * 1800, sent: 10, delivered: 9 }));
    const marked = markSettlement(points, now, 2 * 3_600_000);
    expect(marked.map((p) => p.settled)).toEqual([true, true, false, false, false, false, false]);
    expect(marked.map((p) => p.partial)).toEqual([false, false, false, false, false, false, true]);
  });
});

describe('breakdown', () => {
  const day = (sent: number, delivered: number): DataPoint[] => [{ start: 0, end: 86_400, sent, delivered }];

  it('ranks rows by volume with shares, rates and changes', () => {
    const rows = breakdown([
      { key: 'US', current: day(1000, 980), previous: day(900, 880) },
      { key: 'IN', current: day(3000, 2700), previous: day(3000, 2880) },
      { key: 'BR', current: day(0, 0), previous: day(10, 10) },
    ]);
    expect(rows.map((r) => r.key)).toEqual(['IN', 'US', 'BR']);
    expect(rows[0]!.share).toBeCloseTo(0.75);
    expect(rows[0]!.deliveryRate).toBeCloseTo(0.9);
    expect(rows[0]!.change.ratePoints).toBeCloseTo(-6);
    expect(rows[2]!.deliveryRate).toBeNull();
    expect(rows[2]!.change.ratePoints).toBeNull();
  });

  it('names top movers by the size of the rate change, ignoring tiny rows', () => {
    const rows = breakdown([
      { key: 'US', current: day(1000, 990), previous: day(1000, 970) },
      { key: 'IN', current: day(3000, 2700), previous: day(3000, 2880) },
      { key: 'MX', current: day(20, 5), previous: day(20, 20) },
      { key: 'DE', current: day(500, 490), previous: day(500, 489) },
    ]);
    expect(topMovers(rows).map((r) => r.key)).toEqual(['IN', 'US']);
  });
});

describe('anomaly detection on report series', () => {
  const start = Date.UTC(2026, 10, 1) / 1000;
  const series = (rates: number[], sent = 1000) =>
    rates.map((r, i) => ({ start: start + i * 86_400, end: start + (i + 1) * 86_400, sent, delivered: Math.round(sent * r) }));
  const scope = { kind: 'country' as const, key: 'IN', label: 'IN (India)' };

  it('finds a drop against the trailing baseline and explains it', () => {
    const history = series([0.97, 0.968, 0.972, 0.969, 0.971, 0.97, 0.968]);
    const current = markSettlement(
      series([0.97, 0.8]).map((p) => ({ ...p, start: p.start + 7 * 86_400, end: p.end + 7 * 86_400 })),
      (start + 30 * 86_400) * 1000,
      3_600_000,
    );
    const found = detectAnomalies({ history, series: current, granularity: 'day', tz: 'UTC', scope });
    expect(found).toHaveLength(1);
    expect(found[0]!.kind).toBe('delivery_drop');
    expect(found[0]!.severity).toBe('critical');
    expect(found[0]!.observed).toBeCloseTo(0.8);
    expect(found[0]!.expected).toBeCloseTo(0.97, 2);
    expect(found[0]!.explanation).toContain('to IN (India) fell to 80.0%');
  });

  it('stays quiet on low-volume noise (3 of 4 delivered)', () => {
    const history = series([1, 0.75, 1, 1, 0.8, 1, 1], 4);
    const current = markSettlement(
      series([0.75], 4).map((p) => ({ ...p, start: p.start + 7 * 86_400, end: p.end + 7 * 86_400 })),
      Date.now(),
      0,
    );
    expect(detectAnomalies({ history, series: current, granularity: 'day', tz: 'UTC', scope })).toEqual([]);
  });

  it('does not judge unsettled buckets', () => {
    const history = series([0.97, 0.97, 0.97, 0.97, 0.97, 0.97, 0.97]);
    const last = series([0.6]).map((p) => ({ ...p, start: p.start + 7 * 86_400, end: p.end + 7 * 86_400 }));
    const current = markSettlement(last, last[0]!.end * 1000 + 60_000, 3_600_000);
    expect(current[0]!.settled).toBe(false);
    expect(
      detectAnomalies({ history, series: current, granularity: 'day', tz: 'UTC', scope }).filter((a) => a.kind === 'delivery_drop'),
    ).toEqual([]);
  });
});
