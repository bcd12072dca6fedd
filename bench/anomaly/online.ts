/**
 * Online: each generated account replayed through `waba-pulse backtest`'s code — the alert rule
 * checked every 30 minutes on a simulated clock with drill-downs by number and country, young
 * buckets showing only the deliveries the settle curve says had arrived (varying by bucket
 * within its spread) — and the episodes it raised turned into alarms for scoring.
 */

import { runBacktest } from '../../src/alerts/backtest/run.js';
import type { DropRule } from '../../src/alerts/checker.js';
import { DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import type { EvalAccount } from './generate.js';
import { generatedGraph } from './graphSource.js';
import { evalConfig, scopeIndex, type Unjudged } from './offline.js';
import type { Alarm } from './score.js';

const HALF_HOUR = 1800;

/** The account's config with the rule every online check runs: the default rule with drill-down by number and country. */
export function onlineConfig(account: EvalAccount, sensitivity = 'normal') {
  return evalConfig(account, [
    {
      name: 'eval',
      account: `eval-${account.index}`,
      drillDown: ['phone', 'country'],
      sensitivity,
      targets: [{ slack: { channel: 'C0EVAL' } }],
    },
  ]);
}

export async function online(
  accounts: readonly EvalAccount[],
  start: number,
  fromDay: number,
  toDay: number,
  sensitivity = 'normal',
): Promise<{ alarms: Map<number, Alarm[]>; checks: number; unjudged: Map<number, Unjudged[]> }> {
  const alarms = new Map<number, Alarm[]>();
  const unjudged = new Map<number, Unjudged[]>();
  let checks = 0;
  for (const account of accounts) {
    const config = onlineConfig(account, sensitivity);
    const result = await runBacktest(generatedGraph(account, start), {
      config,
      account: config.accounts[0]!,
      token: 'eval-token',
      rule: config.alerts[0] as DropRule,
      range: { start: start + fromDay * 86_400, end: start + toDay * 86_400 },
      curve: DEFAULT_SETTLE_CURVE,
      maxCalls: 1_000_000,
      arrivalSpread: true,
    });
    checks += result.checks;
    const list: Alarm[] = [];
    result.episodes.forEach((e, episode) => {
      for (const f of e.found) {
        list.push({
          kind: f.kind,
          scope: scopeIndex(account, f.scope),
          startIndex: Math.round((f.start - start) / HALF_HOUR),
          endIndex: Math.round((f.end - start) / HALF_HOUR),
          raisedAtMinute: (f.seenAt / 1000 - start) / 60,
          episode,
        });
      }
    });
    alarms.set(account.index, list);
    // Drill-downs checks left for a later check: with when, so a miss during them says so.
    unjudged.set(
      account.index,
      (result.unjudged ?? []).map(({ key, at }) => {
        const [kind, code] = key.split('|') as ['phone' | 'country', string];
        const scope = scopeIndex(account, { kind, key: code, label: code });
        return {
          scope: { kind, index: (kind === 'phone' ? scope.phone : scope.country)! },
          reason: `left for the next check in ${at.length} checks (the rule's share of Graph calls)`,
          atMinutes: at.map((ms) => (ms / 1000 - start) / 60),
        };
      }),
    );
  }
  return { alarms, checks, unjudged };
}
