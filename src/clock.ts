import { UsageError } from './errors.js';

/** Milliseconds since the epoch, as the process sees them. Every component takes one; none reads the wall clock itself. */
export type Clock = () => number;

export const CLOCK_ENV = 'WABA_PULSE_CLOCK';

/**
 * The process's clock, chosen once at the edge (cli.ts). Normally the wall clock; with
 * `WABA_PULSE_CLOCK=2026-11-25T10:15:00Z` it starts at that instant and runs on from there, so a
 * report, a sandbox or a whole `serve` can be run "as of" a moment — how tests give processes they
 * spawn the fixture's clock, and how a past incident is reproduced.
 */
export function processClock(env: NodeJS.ProcessEnv, wall: Clock = Date.now): Clock {
  const raw = env[CLOCK_ENV]?.trim();
  if (!raw) return wall;
  const start = /^\d+$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
  if (!Number.isFinite(start))
    throw new UsageError(
      `${CLOCK_ENV}="${raw}" is not a time`,
      'give an ISO time such as 2026-11-25T10:15:00Z or UNIX seconds, or unset it to use the real clock',
    );
  const offset = start - wall();
  return () => wall() + offset;
}
