import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseGranularity, resolveRange } from '../../src/query/range.js';
import { thrown } from '../helpers/thrown.js';

const TZ = 'Asia/Kolkata';
const NOW = DateTime.fromISO('2026-11-25T10:15', { zone: TZ }).toMillis();
const at = (iso: string) => DateTime.fromISO(iso, { zone: TZ }).toSeconds();

const usage = (fn: () => unknown) => thrown(fn, UsageError);

describe('report ranges', () => {
  it('reads dates in the account zone; a bare --to date includes that day', () => {
    const { range, granularity } = resolveRange({ from: '2026-11-01', to: '2026-11-07' }, TZ, NOW);
    expect(range).toEqual({ start: at('2026-11-01'), end: at('2026-11-08') });
    expect(granularity).toBe('day');
  });

  it('takes UNIX seconds and ISO times with offsets', () => {
    expect(resolveRange({ from: '1763942400', to: '1764028800' }, TZ, NOW).range).toEqual({ start: 1763942400, end: 1764028800 });
    expect(resolveRange({ from: '2026-11-24T09:00:00Z', to: '2026-11-24T12:00:00Z' }, TZ, NOW).range.start).toBe(
      Date.UTC(2026, 10, 24, 9) / 1000,
    );
  });

  it('--last 7d is the seven whole days before today; 24h runs to now', () => {
    expect(resolveRange({ last: '7d' }, TZ, NOW).range).toEqual({ start: at('2026-11-18'), end: at('2026-11-25') });
    const hours = resolveRange({ last: '24h' }, TZ, NOW);
    expect(hours.range.end).toBe(NOW / 1000);
    expect(hours.granularity).toBe('half_hour');
    expect(resolveRange({ last: '2w' }, TZ, NOW).range.start).toBe(at('2026-11-11'));
    expect(resolveRange({ last: '3m' }, TZ, NOW)).toEqual({
      range: { start: at('2026-08-01'), end: at('2026-11-01') },
      granularity: 'day',
    });
  });

  it('knows today and yesterday', () => {
    expect(resolveRange({ preset: 'yesterday' }, TZ, NOW).range).toEqual({ start: at('2026-11-24'), end: at('2026-11-25') });
    expect(resolveRange({ preset: 'today' }, TZ, NOW).range).toEqual({ start: at('2026-11-25'), end: NOW / 1000 });
  });

  it('defaults to the last 7 days', () => {
    expect(resolveRange({}, TZ, NOW).range).toEqual({ start: at('2026-11-18'), end: at('2026-11-25') });
  });

  it('refuses --from after --to', () => {
    expect(usage(() => resolveRange({ from: '2026-11-20', to: '2026-11-10' }, TZ, NOW)).message).toBe(
      '--from 2026-11-20 is not before --to 2026-11-10',
    );
  });

  it('refuses a range in the future', () => {
    expect(usage(() => resolveRange({ from: '2026-12-01', to: '2026-12-05' }, TZ, NOW)).message).toMatch(
      /^the range 2026-12-01 00:00\.\.2026-12-06 00:00 \(Asia\/Kolkata\) is in the future/,
    );
  });

  it('refuses dates and periods it cannot read, naming them', () => {
    expect(usage(() => resolveRange({ from: '2026-13-01' }, TZ, NOW)).message).toBe('--from "2026-13-01" is not a date');
    expect(usage(() => resolveRange({ last: 'week' }, TZ, NOW)).message).toBe('--last "week" is not a period');
    expect(usage(() => resolveRange({ last: '7d', from: '2026-11-01' }, TZ, NOW)).message).toMatch(/not several/);
  });

  it('parses granularities and their everyday names', () => {
    expect(parseGranularity('HALF_HOUR')).toBe('half_hour');
    expect(parseGranularity('daily')).toBe('day');
    expect(parseGranularity('monthly')).toBe('month');
    expect(usage(() => parseGranularity('weekly')).message).toBe('unknown granularity "weekly"');
  });
});
