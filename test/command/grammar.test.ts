import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/command/grammar.js';
import { CommandError } from '../../src/errors.js';
import { CHAT_RANGE_NAMES } from '../../src/query/range.js';
import { thrown } from '../helpers/thrown.js';

const error = (text: string) => thrown(() => parseCommand(text), CommandError).message;

describe('the chat command grammar', () => {
  it('reads reports with ranges, breakdowns and granularities in any order', () => {
    expect(parseCommand('report acme')).toEqual({ kind: 'report', account: 'acme', range: { preset: 'yesterday' } });
    expect(parseCommand('report acme 7d by country daily')).toEqual({
      kind: 'report',
      account: 'acme',
      range: { last: '7d', names: CHAT_RANGE_NAMES },
      by: 'country',
      granularity: 'day',
    });
    expect(parseCommand('  REPORT acme hourly by phone today ')).toEqual({
      kind: 'report',
      account: 'acme',
      range: { preset: 'today' },
      by: 'phone',
      granularity: 'half_hour',
    });
    expect(parseCommand('report 104729384756102 2026-11-01..2026-11-07 monthly')).toEqual({
      kind: 'report',
      account: '104729384756102',
      range: { from: '2026-11-01', to: '2026-11-07', names: CHAT_RANGE_NAMES },
      granularity: 'month',
    });
  });

  it('reads the other commands', () => {
    expect(parseCommand('')).toEqual({ kind: 'help' });
    expect(parseCommand('help')).toEqual({ kind: 'help' });
    expect(parseCommand('accounts')).toEqual({ kind: 'accounts' });
    expect(parseCommand('subscriptions')).toEqual({ kind: 'subscriptions' });
    expect(parseCommand('unmute acme')).toEqual({ kind: 'unmute', account: 'acme' });
    expect(parseCommand('subscribe acme weekly at 8:30 Europe/Berlin')).toEqual({
      kind: 'subscribe',
      account: 'acme',
      every: 'weekly',
      at: '08:30',
      timezone: 'Europe/Berlin',
    });
    expect(parseCommand('subscribe acme')).toEqual({ kind: 'subscribe', account: 'acme', every: 'daily', at: '09:00' });
    expect(parseCommand('unsubscribe acme')).toEqual({ kind: 'unsubscribe', account: 'acme' });
    expect(parseCommand('alerts acme off')).toEqual({ kind: 'alerts', account: 'acme', enabled: false });
    expect(parseCommand('mute acme 24h')).toEqual({ kind: 'mute', account: 'acme', durationMs: 86_400_000 });
  });

  it('explains what is wrong, with a suggestion where it can', () => {
    expect(error('reprot acme')).toBe('I don\'t know "reprot". Did you mean "report"? Try `help` for what I can do.');
    expect(error('dance')).toBe('I don\'t know "dance". Try `help` for what I can do.');
    expect(error('report')).toBe(
      '`report` needs an account. Usage: `report <account> [today|yesterday|7d|30d|<from>..<to>] [by phone|by country] [half-hourly|daily|monthly]`',
    );
    expect(error('report acme by region')).toBe('"by region" is not a breakdown — use `by phone` or `by country`');
    expect(error('report acme fortnight')).toMatch(/^I don't understand "fortnight" in a report/);
    expect(error('subscribe acme hourly')).toBe('"hourly" is not a digest period — use daily or weekly');
    expect(error('subscribe acme daily at 25:00')).toBe('"25:00" is not a time of day — write HH:MM, e.g. 09:00');
    expect(error('alerts acme maybe')).toMatch(/^`alerts` takes on or off/);
    expect(error('mute acme forever')).toBe('Mute: "forever" is not a duration — write e.g. 30m, 2h or 1d, from 1m to 90d.');
  });
});
