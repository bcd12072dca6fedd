import { describe, expect, it } from 'vitest';
import { occurrencesBetween } from '../../src/jobs/schedule.js';

const utc = (iso: string) => Date.parse(iso);

describe('digest schedules', () => {
  it('keeps 09:00 on the wall clock across the autumn change in Berlin and New York', () => {
    const berlin = occurrencesBetween(
      { every: 'daily', at: '09:00', timezone: 'Europe/Berlin' },
      utc('2026-10-23T00:00:00Z'),
      utc('2026-10-27T00:00:00Z'),
    );
    expect(berlin.map((o) => [o.period, new Date(o.at).toISOString()])).toEqual([
      ['2026-10-23', '2026-10-23T07:00:00.000Z'],
      ['2026-10-24', '2026-10-24T07:00:00.000Z'],
      ['2026-10-25', '2026-10-25T08:00:00.000Z'], // clocks went back that night
      ['2026-10-26', '2026-10-26T08:00:00.000Z'],
    ]);
    const newYork = occurrencesBetween(
      { every: 'daily', at: '09:00', timezone: 'America/New_York' },
      utc('2026-10-31T00:00:00Z'),
      utc('2026-11-02T23:00:00Z'),
    );
    expect(newYork.map((o) => new Date(o.at).toISOString())).toEqual([
      '2026-10-31T13:00:00.000Z',
      '2026-11-01T14:00:00.000Z',
      '2026-11-02T14:00:00.000Z',
    ]);
  });

  it('falls on the first valid minute when the time does not exist that day', () => {
    const [spring] = occurrencesBetween(
      { every: 'daily', at: '02:30', timezone: 'Europe/Berlin' },
      utc('2026-03-29T00:00:00Z'),
      utc('2026-03-29T12:00:00Z'),
    );
    expect(new Date(spring!.at).toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
  });

  it('runs weekly digests on their weekday, keyed by ISO week', () => {
    const weekly = occurrencesBetween(
      { every: 'weekly', at: '08:30', timezone: 'Asia/Kolkata', weekday: 1 },
      utc('2026-11-01T00:00:00Z'),
      utc('2026-11-20T00:00:00Z'),
    );
    expect(weekly.map((o) => [o.period, new Date(o.at).toISOString()])).toEqual([
      ['2026-W45', '2026-11-02T03:00:00.000Z'],
      ['2026-W46', '2026-11-09T03:00:00.000Z'],
      ['2026-W47', '2026-11-16T03:00:00.000Z'],
    ]);
  });

  it('returns nothing for an empty window and each occurrence once across adjacent windows', () => {
    const s = { every: 'daily' as const, at: '09:00', timezone: 'UTC' };
    expect(occurrencesBetween(s, utc('2026-11-02T09:00:00Z'), utc('2026-11-02T09:00:00Z'))).toEqual([]);
    const a = occurrencesBetween(s, utc('2026-11-02T00:00:00Z'), utc('2026-11-02T09:00:00Z'));
    const b = occurrencesBetween(s, utc('2026-11-02T09:00:00Z'), utc('2026-11-03T00:00:00Z'));
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(0);
  });
});
