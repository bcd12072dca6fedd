import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { detectAnomalies } from '../../src/analytics/anomalies.js';
import { markSettlement } from '../../src/analytics/buckets.js';
import { bucketGrid, offsetMinutes } from '../../src/analytics/time.js';
import type { DataPoint } from '../../src/vocabulary/series.js';

// Zones whose clocks change at :30 UTC (Adelaide, St John's) or by half an hour (Lord Howe).
const HALF_HOUR_ZONES = ['Australia/Adelaide', 'America/St_Johns', 'Australia/Lord_Howe'] as const;
const HH = 1800;
const YEAR_START = Date.UTC(2026, 0, 1) / 1000;
const YEAR_END = Date.UTC(2027, 0, 1) / 1000;

/** The UTC instants (seconds) in 2026 where the zone's offset changes, to the minute. */
const changesByZone = new Map<string, number[]>();
function changes(zone: string): number[] {
  const known = changesByZone.get(zone);
  if (known) return known;
  const offset = (t: number) => DateTime.fromSeconds(t, { zone }).offset;
  const out: number[] = [];
  for (let t = YEAR_START; t < YEAR_END; t += 6 * 3600) {
    if (offset(t) === offset(t + 6 * 3600)) continue;
    let m = t + 60;
    while (offset(m) === offset(t)) m += 60;
    out.push(m);
  }
  changesByZone.set(zone, out);
  return out;
}

/** Half hours judged after their first fortnight, settled, in `zone`. */
function detectAfterFortnight(points: DataPoint[], zone: string) {
  const split = 14 * 48;
  return detectAnomalies({
    history: points.slice(0, split),
    series: markSettlement(points.slice(split), 1e15, 0),
    granularity: 'half_hour',
    tz: zone,
    scope: { kind: 'account', key: null, label: 'all traffic' },
  });
}

describe.each(HALF_HOUR_ZONES)('bucket slots in %s', (zone) => {
  it('gives every half hour of a year the offset Luxon gives it, including right at each change', () => {
    const wrong: string[] = [];
    for (let t = YEAR_START; t < YEAR_END; t += HH) {
      const expected = DateTime.fromSeconds(t, { zone }).offset;
      if (offsetMinutes(t, zone) !== expected) wrong.push(`${new Date(t * 1000).toISOString()}: ${offsetMinutes(t, zone)} ≠ ${expected}`);
    }
    expect(wrong).toEqual([]);
    // The changes fall on half hours that are not whole UTC hours: the case an hourly cache got wrong.
    expect(changes(zone).length).toBe(2);
    expect(changes(zone).some((t) => t % 3600 === HH)).toBe(true);
  });

  it('lays local days of 23, 23.5, 24.5 or 25 hours across the changes', () => {
    for (const change of changes(zone)) {
      const day = DateTime.fromSeconds(change, { zone }).startOf('day');
      const grid = bucketGrid({ start: day.minus({ days: 1 }).toSeconds(), end: day.plus({ days: 2 }).toSeconds() }, 'day', zone);
      const hours = grid.map((b) => (b.end - b.start) / 3600);
      const expected = 24 + (DateTime.fromSeconds(change - 60, { zone }).offset - DateTime.fromSeconds(change + 60, { zone }).offset) / 60;
      expect(hours).toEqual([24, expected, 24]);
      for (const b of grid) expect(DateTime.fromSeconds(b.start, { zone }).toFormat('HH:mm')).toBe('00:00');
    }
  });

  it('keeps the detector quiet across each change when traffic follows local time', () => {
    for (const change of changes(zone)) {
      // Three weeks of half hours around the change, shaped by the local clock: busy days, quiet
      // nights whose delivery dips. Read on the wrong slots, the night dip lands on day hours.
      const start = Math.floor(change / HH) * HH - 17 * 86_400;
      const points: DataPoint[] = [];
      for (let t = start; t < start + 21 * 86_400; t += HH) {
        const local = DateTime.fromSeconds(t, { zone });
        const hour = local.hour + local.minute / 60;
        const night = hour < 6;
        const sent = Math.round(night ? 300 : 1200 + 800 * Math.sin(((hour - 6) / 18) * Math.PI));
        const rate = (night ? 0.9 : 0.97) + ((t / HH) % 3 === 0 ? 0.002 : -0.001);
        points.push({ start: t, end: t + HH, sent, delivered: Math.round(sent * rate) });
      }
      expect(detectAfterFortnight(points, zone).map((a) => a.explanation)).toEqual([]);
    }
  });
});

describe('bucket labels', () => {
  it('read as Luxon would write them, in every zone and granularity, across a year', async () => {
    const { bucketLabel } = await import('../../src/report/format.js');
    const mismatches: string[] = [];
    for (const zone of ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Kathmandu', ...HALF_HOUR_ZONES]) {
      // Every 7.5 hours: all times of day come round, and every DST change is crossed.
      for (let t = YEAR_START; t < YEAR_END; t += 27_000) {
        const dt = DateTime.fromSeconds(t, { zone });
        const previous = t - HH;
        const sameDay = DateTime.fromSeconds(previous, { zone }).hasSame(dt, 'day');
        const expected: Array<[string, string]> = [
          [bucketLabel(t, 'month', zone), dt.toFormat('LLL yyyy')],
          [bucketLabel(t, 'day', zone), dt.toFormat('ccc d LLL')],
          [bucketLabel(t, 'half_hour', zone, previous), sameDay ? dt.toFormat('HH:mm') : dt.toFormat('ccc HH:mm')],
          [bucketLabel(t, 'half_hour', zone), dt.toFormat('ccc HH:mm')],
        ];
        for (const [got, want] of expected) if (got !== want) mismatches.push(`${zone} ${dt.toISO()}: ${got} ≠ ${want}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('the hour a spring-forward skipped', () => {
  it('is judged the next day against the days before the change', () => {
    // Berlin skips 02:00–03:00 on 29 March 2026; on the 30th that hour (00:00–01:00 UTC) has no
    // slot the day before: its week is the days before that. A drop of two hours from 02:00
    // local starts in it (an hour alone that recovers at once is read as two stale batches).
    const zone = 'Europe/Berlin';
    const change = Date.UTC(2026, 2, 29, 1) / 1000;
    const dropAt = Date.UTC(2026, 2, 30, 0) / 1000;
    const start = change - 15 * 86_400 - HH;
    const points: DataPoint[] = [];
    for (let t = start; t < change + 6 * 86_400; t += HH) {
      const rate = t >= dropAt && t < dropAt + 4 * HH ? 0.75 : 0.97 + ((t / HH) % 3 === 0 ? 0.003 : -0.0015);
      points.push({ start: t, end: t + HH, sent: 1000, delivered: Math.round(1000 * rate) });
    }
    expect(detectAfterFortnight(points, zone).map((a) => [a.kind, a.start, a.end])).toEqual([['delivery_drop', dropAt, dropAt + 4 * HH]]);
  });
});
