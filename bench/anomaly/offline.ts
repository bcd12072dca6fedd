/**
 * Offline: each generated account judged as `waba-pulse report --granularity half_hour` judges it
 * — the one planner, `composeReport` against the account's generated Graph with the report call
 * budget (graph.callsPerReport), over the judged days — once for the account, once `--by phone`
 * and once `--by country` where it has several. Whatever the budget left unjudged is kept, so a
 * miss it caused says so.
 */
import type { Anomaly } from '../../src/analytics/anomalies.js';
import type { DetectionSettings } from '../../src/analytics/detectionSettings.js';
import { composeReport } from '../../src/compose/composeReport.js';
import { planReportRequest } from '../../src/compose/reportPlan.js';
import { buildConfig } from '../../src/configure.js';
import { GRAPH_DEFAULTS } from '../../src/graph/defaults.js';
import type { EvalAccount } from './generate.js';
import { generatedGraph, phoneId } from './graphSource.js';
import type { Alarm } from './score.js';

const HALF_HOUR = 1800;
const DAY_S = 86_400;

export interface Unjudged {
  scope: { kind: 'phone' | 'country'; index: number };
  /** What the report (or the check) said of it. */
  reason: string;
  /** Online: when checks left it out (minutes since the grid's start); offline it is out for the whole report. */
  atMinutes?: number[];
}

export interface OfflineRun {
  alarms: Map<number, Alarm[]>;
  unjudged: Map<number, Unjudged[]>;
  /** Graph calls of the largest report, and of all of them. */
  maxCalls: number;
  calls: number;
  reports: number;
}

export function evalConfig(account: EvalAccount, alerts: unknown[] = []) {
  return buildConfig(
    {
      accounts: [{ id: String(300000000000000 + account.index), name: `eval-${account.index}`, token: '${T}', timezone: account.tz }],
      alerts,
    },
    { GRAPH_API_URL: 'http://127.0.0.1:9' },
  );
}

export function scopeIndex(account: EvalAccount, scope: Anomaly['scope']): Alarm['scope'] {
  if (scope.kind === 'phone') return { kind: 'phone', phone: account.phones.findIndex((_, p) => phoneId(p) === scope.key) };
  if (scope.kind === 'country') return { kind: 'country', country: account.countries.findIndex((c) => c.code === scope.key) };
  return { kind: 'account' };
}

export async function offlineReports(
  accounts: readonly EvalAccount[],
  start: number,
  warmupDays: number,
  judgedDays: number,
  detection?: Partial<DetectionSettings>,
): Promise<OfflineRun> {
  const run: OfflineRun = { alarms: new Map(), unjudged: new Map(), maxCalls: 0, calls: 0, reports: 0 };
  const from = start + warmupDays * DAY_S;
  const to = from + judgedDays * DAY_S;
  const nowMs = (to + DAY_S) * 1000;
  for (const account of accounts) {
    const config = evalConfig(account);
    const configured = config.accounts[0]!;
    const graph = generatedGraph(account, start);
    const list: Alarm[] = [];
    const seen = new Set<string>();
    const unjudged: Unjudged[] = [];
    const dimensions = [
      undefined,
      ...(account.phones.length > 1 ? ['phone' as const] : []),
      ...(account.countries.length > 1 ? ['country' as const] : []),
    ];
    for (const by of dimensions) {
      const plan = planReportRequest(configured, { range: { from: String(from), to: String(to) }, granularity: 'half_hour', by }, nowMs);
      const before = graph.calls;
      const report = await composeReport(
        { graph, now: () => nowMs },
        {
          account: configured,
          token: 'eval-token',
          range: plan.range,
          granularity: plan.granularity,
          by: plan.by,
          maxCalls: GRAPH_DEFAULTS.callsPerReport,
          limits: GRAPH_DEFAULTS,
          notes: plan.notes,
          detection,
        },
      );
      run.reports++;
      run.calls += graph.calls - before;
      run.maxCalls = Math.max(run.maxCalls, graph.calls - before);
      for (const a of report.anomalies) {
        const key = `${a.kind}|${a.scope.kind}|${a.scope.key}|${a.start}`;
        if (seen.has(key)) continue;
        seen.add(key);
        list.push({
          kind: a.kind,
          scope: scopeIndex(account, a.scope),
          startIndex: Math.round((a.start - start) / HALF_HOUR),
          endIndex: Math.round((a.end - start) / HALF_HOUR),
          raisedAtMinute: (a.detectedAt - start) / 60,
        });
      }
      if (by && report.breakdown) {
        // A row judged by day only, or not at all, says why; a key with no row at all was left out.
        const keys = by === 'phone' ? graph.phones : graph.codes;
        const rows = new Set(report.breakdown.items.map((i) => i.key));
        const said = new Map(report.breakdown.unjudged.map((u) => [u.key, u.reason]));
        for (const key of keys) {
          if (rows.has(key) && !said.has(key)) continue;
          const scope = scopeIndex(account, { kind: by, key, label: key });
          unjudged.push({
            scope: scope.kind === 'phone' ? { kind: 'phone', index: scope.phone! } : { kind: 'country', index: scope.country! },
            reason: said.get(key) ?? 'left out of the breakdown',
          });
        }
      }
    }
    run.alarms.set(account.index, list);
    run.unjudged.set(account.index, unjudged);
  }
  return run;
}
