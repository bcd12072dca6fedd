import type { SandboxAccount } from '../../src/sandbox/accountModel.js';

/** 24 Nov 2026 at `hhmm` UTC, in ms: the day the alert tests' incidents happen. */
export const D = (hhmm: string) => Date.parse(`2026-11-24T${hhmm}:00Z`);

/**
 * An account of the alert tests: two numbers of equal share (15550001000 and 15550001001),
 * recipients in the US on UTC, 4,000 messages a half hour, and its delivery drops —
 * [number, or null for both, from, to, factor] on 24 Nov.
 */
export function twoNumberAccount(n: number, name: string, drops: Array<[string | null, string, string, number]>): SandboxAccount {
  return {
    id: `14000000000000${n}`,
    name,
    displayName: `${name[0]!.toUpperCase()}${name.slice(1)} Co`,
    timezone: 'UTC',
    phones: [
      { number: '15550001000', weight: 0.5 },
      { number: '15550001001', weight: 0.5 },
    ],
    countries: [{ code: 'US', weight: 1, tz: 'UTC', rate: 0.98 }],
    volume: 4000,
    incidents: drops.map(([phone, from, to, factor]) => ({
      kind: 'delivery_drop' as const,
      ...(phone ? { phone } : {}),
      start: D(from) / 1000,
      end: D(to) / 1000,
      factor,
    })),
  };
}
