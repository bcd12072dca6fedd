import { quoted } from './text.js';

/**
 * Durations as people write them (`30s`, `30m`, `2h`, `1d`, `1w`), shared by the config file and
 * the chat commands. Bounded: a duration is whole milliseconds between `min` and `max`, so a
 * 400-digit number or `0.0005s` never reaches a database column.
 */
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^\s*(\d{1,9}(?:\.\d{1,3})?)\s*(s|m|min|h|d|w)\s*$/i;

export interface DurationBounds {
  min: number;
  max: number;
  /** A narrower bound some uses have, said beside the range (`5m or more for a graph rule`). */
  note?: string;
}

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

/** "1h 30m" style, for bounds in messages. */
export function describeDuration(ms: number): string {
  for (const [unit, size] of [
    ['w', 604_800_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

export function parseDuration(value: string, bounds: DurationBounds): DurationResult {
  const match = PATTERN.exec(value);
  const hint = `write e.g. 30m, 2h or 1d, from ${describeDuration(bounds.min)} to ${describeDuration(bounds.max)}${bounds.note ? ` (${bounds.note})` : ''}`;
  if (!match) return { ok: false, message: `${quoted(value)} is not a duration — ${hint}` };
  const ms = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  if (!Number.isInteger(ms) || ms < bounds.min || ms > bounds.max)
    return { ok: false, message: `${quoted(value)} is out of range — ${hint}` };
  return { ok: true, ms };
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** How long a channel may mute an account's alerts. */
export const MUTE_BOUNDS: DurationBounds = { min: MINUTE, max: 90 * DAY };
