/**
 * Online: each generated account replayed through `waba-pulse backtest`'s code — the alert rule
 * checked every 30 minutes on a simulated clock with drill-downs by number and country, young
 * buckets showing only the deliveries the settle curve says had arrived (varying by bucket
 * within its spread) — and the episodes it raised turned into alarms for scoring.
 */
import { DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import { runBacktest } from '../../src/jobs/backtest.js';
import type { EvalAccount } from './generate.js';
import { generatedGraph } from './graphSource.js';
import { evalConfig, scopeIndex } from './offline.js';
import type { Alarm } from './score.js';

const HALF_HOUR = 1800;

export async function online(
  accounts: readonly EvalAccount[],
  start: number,
  fromDay: number,
  toDay: number,
  sensitivity = 'normal',
): Promise<{ alarms: Map<number, Alarm[]>; checks: number }> {
  const alarms = new Map<number, Alarm[]>();
  let checks = 0;
  for (const account of accounts) {
    const config = evalConfig(account, [
      {
        name: 'eval',
        account: `eval-${account.index}`,
        drillDown: ['phone', 'country'],
        sensitivity,
        targets: [{ slack: { channel: 'C0EVAL' } }],
      },
    ]);
    const result = await runBacktest(generatedGraph(account, start), {
      config,
      account: config.accounts[0]!,
      token: 'eval-token',
      rule: config.alerts[0]!,
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
  }
  return { alarms, checks };
}
