/**
 * One incident traced check by check: what each alert check from its first half hour to three
 * hours after its end judged going on, still settling and recent — the backtest's judgements
 * (`judgeChecks`, the scheduler's own judge), with the scope's half hours as generated beside
 * them. For finding why an online miss was missed, or why it alerted late.
 */

import { judgeChecks } from '../../src/alerts/backtest/judge.js';
import { prefetch } from '../../src/alerts/backtest/run.js';
import type { DropRule } from '../../src/alerts/checker.js';
import type { Anomaly } from '../../src/analytics/anomalies.js';
import { DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import { type EvalAccount, HALF_HOUR, type Incident } from './generate.js';
import { generatedGraph } from './graphSource.js';
import { describeIncident, incidentScope } from './misses.js';
import { onlineConfig } from './online.js';
import { incidentVolume } from './score.js';

/** Half hours shown before the incident and checks traced after its end. */
const BEFORE = 4;
const AFTER = 6;

export async function traceIncident(account: EvalAccount, inc: Incident, start: number): Promise<void> {
  const scope = incidentScope(account, inc, start);
  const volume = Math.round(incidentVolume(account, inc));
  console.log(`\nTRACE ${describeIncident(account, inc, volume)} (half hours ${inc.start}–${inc.end})`);
  for (let b = Math.max(0, inc.start - BEFORE); b < Math.min(scope.points.length, inc.end + BEFORE); b++) {
    const p = scope.points[b]!;
    const rate = p.sent ? `${((p.delivered / p.sent) * 100).toFixed(1)}%` : '-';
    console.log(
      `  ${b} ${new Date(p.start * 1000).toISOString().slice(5, 16)} sent ${p.sent} delivered ${rate}${b >= inc.start && b < inc.end ? '  <' : ''}`,
    );
  }
  const config = onlineConfig(account);
  const acct = config.accounts[0]!;
  const checkTimes: number[] = [];
  for (let b = inc.start + 1; b <= inc.end + AFTER; b++) checkTimes.push((start + b * HALF_HOUR) * 1000);
  // Every scope the rule reads, over the first check's window, as the backtest fetches it.
  const rule = config.alerts[0] as DropRule;
  const { data } = await prefetch(generatedGraph(account, start), {
    config,
    account: acct,
    token: 'eval-token',
    rule,
    range: { start: checkTimes[0]! / 1000, end: checkTimes.at(-1)! / 1000 },
    curve: DEFAULT_SETTLE_CURVE,
    maxCalls: 1_000_000,
  });
  const judged = await judgeChecks({
    data: [...data],
    curve: DEFAULT_SETTLE_CURVE,
    account: acct,
    rule,
    token: 'eval-token',
    drillDown: true,
    checkTimes,
    arrivalSpread: true,
  });
  const at = (seconds: number) => Math.round((seconds - start) / HALF_HOUR);
  const list = (anomalies: readonly Anomaly[] | undefined) =>
    (anomalies ?? [])
      .filter((a) => a.kind !== 'volume_spike')
      .map((a) => `${a.scope.label} ${a.kind === 'delivery_drop' ? 'drop' : 'stop'} ${at(a.start)}–${at(a.end)}`)
      .join(', ') || '-';
  for (const [now, j] of judged) {
    console.log(`  check at ${at(now / 1000)}: going on ${list(j.ongoing)} | settling ${list(j.settling)} | recent ${list(j.recent)}`);
  }
}
