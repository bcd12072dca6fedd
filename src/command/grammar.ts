import { didYouMean } from '../didYouMean.js';
import { MUTE_BOUNDS, parseDuration } from '../duration.js';
import { CommandError } from '../errors.js';
import { CHAT_RANGE_NAMES, type RangeSpec } from '../query/range.js';
import { quoted } from '../text.js';
import type { Granularity } from '../vocabulary/series.js';

/**
 * The chat command grammar, shared by Slack (`/waba ...`) and Teams (`@waba-pulse ...`). Pure:
 * text in, a command out, or a CommandError whose message is shown to the user as it is.
 */
export type Command =
  | { kind: 'report'; account: string; range: RangeSpec; by?: 'phone' | 'country'; granularity?: Granularity }
  | { kind: 'cost'; account: string; range: RangeSpec; by: 'category' | 'country' }
  | { kind: 'templates'; account: string; range: RangeSpec }
  | { kind: 'accounts' }
  | { kind: 'subscribe'; account: string; every: 'daily' | 'weekly'; at: string; timezone?: string }
  | { kind: 'unsubscribe'; account: string }
  | { kind: 'subscriptions' }
  | { kind: 'alerts'; account: string; enabled: boolean }
  | { kind: 'mute'; account: string; durationMs: number }
  | { kind: 'unmute'; account: string }
  | { kind: 'help' };

export const COMMAND_NAMES = [
  'report',
  'cost',
  'templates',
  'accounts',
  'subscribe',
  'unsubscribe',
  'subscriptions',
  'alerts',
  'mute',
  'unmute',
  'help',
] as const;

const GRANULARITY_WORDS: Record<string, Granularity> = { hourly: 'half_hour', 'half-hourly': 'half_hour', daily: 'day', monthly: 'month' };

export const USAGE: Record<(typeof COMMAND_NAMES)[number], string> = {
  report: 'report <account> [today|yesterday|7d|30d|<from>..<to>] [by phone|by country] [half-hourly|daily|monthly]',
  cost: 'cost <account> [today|yesterday|7d|30d|<from>..<to>] [by category|by country]',
  templates: 'templates <account> [yesterday|7d|30d|<from>..<to>]',
  accounts: 'accounts',
  subscribe: 'subscribe <account> daily|weekly [at HH:MM] [time zone]',
  unsubscribe: 'unsubscribe <account>',
  subscriptions: 'subscriptions',
  alerts: 'alerts <account> on|off',
  mute: 'mute <account> <duration, e.g. 1h or 24h>',
  unmute: 'unmute <account>',
  help: 'help',
};

/** What each command is for, and one example ("{account}" stands for an account the asker may see). */
export const HELP: Record<(typeof COMMAND_NAMES)[number], { description: string; example: string }> = {
  report: { description: 'Delivery for a period, with a chart', example: 'report {account} yesterday by country' },
  cost: { description: 'What messages cost, by category or country', example: 'cost {account} 7d by country' },
  templates: { description: 'Which templates worked: sent, delivered, read, clicked', example: 'templates {account} 7d' },
  accounts: { description: "The accounts here, with yesterday's delivery and each number's health", example: 'accounts' },
  subscribe: { description: 'A digest here every morning or Monday', example: 'subscribe {account} daily at 09:00' },
  unsubscribe: { description: 'Stop the digests here', example: 'unsubscribe {account}' },
  subscriptions: { description: 'The digests posted here', example: 'subscriptions' },
  alerts: { description: 'Delivery alerts here on or off', example: 'alerts {account} off' },
  mute: { description: 'Silence alerts here for a while', example: 'mute {account} 2h' },
  unmute: { description: 'End a mute early', example: 'unmute {account}' },
  help: { description: 'This list', example: 'help' },
};

function need(value: string | undefined, command: keyof typeof USAGE, what: string): string {
  if (!value) throw new CommandError(`\`${command}\` needs ${what}. Usage: \`${USAGE[command]}\``);
  return value;
}

/** `7d`, `24h`, `today`, `2026-11-01..2026-11-07` -> a range spec; undefined if not a range word. */
function rangeOf(word: string): RangeSpec | undefined {
  const lower = word.toLowerCase();
  if (lower === 'today' || lower === 'yesterday') return { preset: lower };
  // Errors in a range name its parts as typed here, not by the CLI's flags.
  if (/^\d{1,4}[hdwm]$/.test(lower)) return { last: lower, names: CHAT_RANGE_NAMES };
  const span = /^(.+?)\.\.(.+)$/.exec(word);
  if (span) return { from: span[1], to: span[2], names: CHAT_RANGE_NAMES };
  return undefined;
}

export function parseCommand(text: string): Command {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const name = (words.shift() ?? 'help').toLowerCase();
  switch (name) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'accounts':
      return { kind: 'accounts' };
    case 'subscriptions':
      return { kind: 'subscriptions' };
    case 'report': {
      const account = need(words.shift(), 'report', 'an account');
      const command: Command & { kind: 'report' } = { kind: 'report', account, range: { preset: 'yesterday' } };
      for (let i = 0; i < words.length; i++) {
        const word = words[i]!;
        const lower = word.toLowerCase();
        const range = rangeOf(word);
        if (range) command.range = range;
        else if (lower === 'by') {
          const dimension = (words[++i] ?? '').toLowerCase();
          if (dimension === 'phone' || dimension === 'number') command.by = 'phone';
          else if (dimension === 'country') command.by = 'country';
          else throw new CommandError(`${quoted(`by ${words[i] ?? ''}`)} is not a breakdown — use \`by phone\` or \`by country\``);
        } else if (GRANULARITY_WORDS[lower]) command.granularity = GRANULARITY_WORDS[lower];
        else throw new CommandError(`I don't understand ${quoted(word)} in a report. Usage: \`${USAGE.report}\``);
      }
      return command;
    }
    case 'cost': {
      const account = need(words.shift(), 'cost', 'an account');
      const command: Command & { kind: 'cost' } = { kind: 'cost', account, range: { preset: 'yesterday' }, by: 'category' };
      for (let i = 0; i < words.length; i++) {
        const word = words[i]!;
        const range = rangeOf(word);
        if (range) command.range = range;
        else if (word.toLowerCase() === 'by') {
          const dimension = (words[++i] ?? '').toLowerCase();
          if (dimension === 'category' || dimension === 'country') command.by = dimension;
          else throw new CommandError(`${quoted(`by ${words[i] ?? ''}`)} is not a cost breakdown — use \`by category\` or \`by country\``);
        } else throw new CommandError(`I don't understand ${quoted(word)} in a cost. Usage: \`${USAGE.cost}\``);
      }
      return command;
    }
    case 'templates': {
      const account = need(words.shift(), 'templates', 'an account');
      // Reads and clicks keep coming for 7 days after a send: a week says more than a day.
      const command: Command & { kind: 'templates' } = { kind: 'templates', account, range: { last: '7d', names: CHAT_RANGE_NAMES } };
      for (const word of words) {
        const range = rangeOf(word);
        if (!range) throw new CommandError(`I don't understand ${quoted(word)} in templates. Usage: \`${USAGE.templates}\``);
        command.range = range;
      }
      return command;
    }
    case 'subscribe': {
      const account = need(words.shift(), 'subscribe', 'an account');
      const every = (words.shift() ?? 'daily').toLowerCase();
      if (every !== 'daily' && every !== 'weekly') throw new CommandError(`${quoted(every)} is not a digest period — use daily or weekly`);
      let at = '09:00';
      let timezone: string | undefined;
      while (words.length) {
        const word = words.shift()!;
        if (word.toLowerCase() === 'at') {
          at = need(words.shift(), 'subscribe', 'a time after `at`');
          if (!/^([01]?\d|2[0-3]):[0-5]\d$/.test(at))
            throw new CommandError(`${quoted(at)} is not a time of day — write HH:MM, e.g. 09:00`);
          at = at.padStart(5, '0');
        } else timezone = word;
      }
      return { kind: 'subscribe', account, every, at, ...(timezone ? { timezone } : {}) };
    }
    case 'unsubscribe':
      return { kind: 'unsubscribe', account: need(words.shift(), 'unsubscribe', 'an account') };
    case 'alerts': {
      const account = need(words.shift(), 'alerts', 'an account');
      const state = (words.shift() ?? '').toLowerCase();
      if (state !== 'on' && state !== 'off') throw new CommandError(`\`alerts\` takes on or off. Usage: \`${USAGE.alerts}\``);
      return { kind: 'alerts', account, enabled: state === 'on' };
    }
    case 'mute': {
      const account = need(words.shift(), 'mute', 'an account');
      const text = need(words.shift(), 'mute', 'a duration');
      const parsed = parseDuration(text, MUTE_BOUNDS);
      if (!parsed.ok) throw new CommandError(`Mute: ${parsed.message}.`);
      return { kind: 'mute', account, durationMs: parsed.ms };
    }
    case 'unmute':
      return { kind: 'unmute', account: need(words.shift(), 'unmute', 'an account') };
    default: {
      const near = didYouMean(name, COMMAND_NAMES);
      throw new CommandError(`I don't know ${quoted(name)}.${near ? ` Did you mean "${near}"?` : ''} Try \`help\` for what I can do.`);
    }
  }
}
