import { describe, expect, it } from 'vitest';
import { judgeStatuses, type StatusWindow, statusWindowOf } from '../../src/alerts/judge/webhooks.js';
import type { StatusCount } from '../../src/vocabulary/statuses.js';

/**
 * The status-webhook judge (src/alerts/judge/webhooks.ts) on hand-built minutes: a day of
 * baseline and the last hour, per number and country, in, a judgement out. No store, no clock.
 */
const NOW_MS = Date.UTC(2026, 10, 24, 10, 0);
const NOW = NOW_MS / 1000;
const ACME = '104729384756102';
const A = '16315551000';
const B = '16315551001';

function row(minute: number, phone: string, country: string, status: StatusCount['status'], count: number, code = 0): StatusCount {
  return { accountId: ACME, minute, phone, country, status, code, category: 'marketing', count };
}

/** Every minute from `from` to `to` (UNIX seconds): `sent` attempts on each number, `failed` failures of `code` on `failing`. */
function minutes(from: number, to: number, sent: number, failing?: { phone: string; failed: number; code: number }): StatusCount[] {
  const rows: StatusCount[] = [];
  for (let m = from; m < to; m += 60)
    for (const phone of [A, B]) {
      rows.push(row(m, phone, 'IN', 'sent', sent));
      rows.push(row(m, phone, 'IN', 'failed', 1, 131026)); // a trickle of the usual failures
      if (failing?.phone === phone) rows.push(row(m, phone, 'IN', 'failed', failing.failed, failing.code));
    }
  return rows;
}

const day = (failing?: Parameters<typeof minutes>[3], since = NOW - 600) => [
  ...minutes(NOW - 25 * 3600, since, 40),
  ...minutes(since, NOW, 40, failing),
];
const rule = { drillDown: ['phone', 'country'] as const, sensitivity: 'normal' as const };

describe('judging status webhooks', () => {
  const cases: Array<{ name: string; rows: StatusCount[]; bursts: Array<{ scope: string; code: number }> }> = [
    { name: 'a quiet hour: nothing', rows: day(), bursts: [] },
    {
      name: 'one number failing 131049 for ten minutes: that number, the account and the country, led by 131049',
      rows: day({ phone: B, failed: 12, code: 131049 }),
      bursts: [
        { scope: 'account', code: 131049 },
        { scope: `phone:${B}`, code: 131049 },
        { scope: 'country:IN', code: 131049 },
      ],
    },
    {
      name: 'a burst that ended twenty minutes ago: nothing now',
      rows: [
        ...minutes(NOW - 25 * 3600, NOW - 1800, 40),
        ...minutes(NOW - 1800, NOW - 1200, 40, { phone: B, failed: 12, code: 131049 }),
        ...minutes(NOW - 1200, NOW, 40),
      ],
      bursts: [],
    },
    {
      name: 'a handful of failures on little traffic: under the minimum, nothing',
      rows: [...minutes(NOW - 25 * 3600, NOW - 600, 2), ...minutes(NOW - 600, NOW, 2, { phone: B, failed: 1, code: 131049 })],
      bursts: [],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const judged = judgeStatuses(statusWindowOf(c.rows, NOW_MS), NOW_MS, rule);
      const found = judged.ongoing.map((a) => ({ scope: a.scope.key ? `${a.scope.kind}:${a.scope.key}` : a.scope.kind, code: a.code }));
      expect(found.sort((x, y) => x.scope.localeCompare(y.scope))).toEqual(c.bursts.sort((x, y) => x.scope.localeCompare(y.scope)));
    });

  it('dates a burst from its first raised minute, and says what the code means', () => {
    const judged = judgeStatuses(statusWindowOf(day({ phone: B, failed: 12, code: 131049 }, NOW - 240), NOW_MS), NOW_MS, rule);
    const burst = judged.ongoing.find((a) => a.scope.kind === 'phone')!;
    expect(burst.start).toBe(NOW - 240);
    expect(burst.end).toBe(NOW);
    expect(burst.explanation).toMatch(/led by 131049/);
    expect(judged.now.find((s) => s.scope.kind === 'phone' && s.scope.key === B)?.trail?.length).toBeGreaterThan(0);
  });

  it('reads only the scope the rule covers', () => {
    const window: StatusWindow = statusWindowOf(day({ phone: B, failed: 12, code: 131049 }), NOW_MS);
    const judged = judgeStatuses(window, NOW_MS, { ...rule, statusScope: { phoneNumbers: [A], countries: [] } });
    expect(judged.ongoing).toEqual([]);
  });
});
