import { runBacktest, runWebhookBacktest } from '../../src/alerts/backtest/run.js';
import type { Anomaly } from '../../src/analytics/anomalies.js';
import { DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import { chartSpec } from '../../src/charts/spec.js';
import { backtestChartSpec, planBacktest } from '../../src/cli/backtest.js';
import { composeReport } from '../../src/compose/composeReport.js';
import { GraphClient } from '../../src/graph/client.js';
import { resolveRange } from '../../src/query/range.js';
import { buildReport } from '../../src/report/build.js';
import type { Report } from '../../src/report/model.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../../src/sandbox/accounts.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { openStore } from '../../src/store/sql.js';
import type { ChartUnderTest } from './legibility.js';
import { SAMPLE_NOW, type SampleMessage, sampleConfig, takeStatuses } from './messages.js';

/**
 * Every kind of chart waba-pulse draws, made by the product's own code, for the legibility
 * check: the messages' charts (report, digest, alerts, why messages failed), the other sample
 * accounts' daily reports (a number that stopped sending, a burst), a month with many bands,
 * and backtests of a Graph rule and of a status-webhook rule.
 */

export function reportChart(name: string, report: Report): ChartUnderTest {
  return {
    name,
    spec: chartSpec(report),
    buckets: { starts: report.series.map((p) => p.start), timezone: report.bucketTimezone },
    shows: report.anomalies,
  };
}

/** The charts the sample messages carry. */
export function messageCharts(messages: readonly SampleMessage[]): ChartUnderTest[] {
  return messages.flatMap((m) => {
    const out: ChartUnderTest[] = [];
    const points = m.alertContent?.chart?.points;
    if (m.spec)
      out.push({
        name: m.name,
        spec: m.spec,
        buckets: m.report
          ? { starts: m.report.series.map((p) => p.start), timezone: m.report.bucketTimezone }
          : points && { starts: points.map((p) => p.start), timezone: m.alertContent!.timezone },
        // An alert's chart is of its main scope: the figure the alert gives for it.
        shows:
          m.report?.anomalies ??
          m.alertContent?.anomalies.flatMap((l) =>
            l.kind && l.scope && l.observed !== undefined && l.scope.label.toLowerCase() === m.alertContent!.chart?.label.toLowerCase()
              ? [{ kind: l.kind, scope: { ...l.scope }, observed: l.observed }]
              : [],
          ),
      });
    if (m.failureSpec) out.push({ name: `${m.name} (why messages failed)`, spec: m.failureSpec });
    return out;
  });
}

const DAY = 86_400;

/** Thirty days by day with a band every few days, and two days by half hour with bands close together. */
export function manyBandCharts(): ChartUnderTest[] {
  const tz = 'Europe/Berlin';
  const start = Date.UTC(2026, 9, 31, 23) / 1000; // Sun 1 Nov 00:00 in Berlin
  const build = (days: number, step: number) => {
    const points = [];
    for (let t = start - 14 * DAY; t < start + days * DAY; t += step) points.push({ start: t, end: t + step, sent: 900, delivered: 870 });
    return buildReport({
      account: { id: '1', name: 'busy', displayName: 'Busy Shop' },
      range: { start, end: start + days * DAY },
      timezone: tz,
      granularity: step === DAY ? 'day' : 'half_hour',
      nowMs: (start + 60 * DAY) * 1000,
      settleMs: 0,
      points,
    });
  };
  const anomaly = (from: number, to: number, i: number): Anomaly => {
    const scopes: Anomaly['scope'][] = [
      { kind: 'phone', key: '4930555101', label: '+49 30 555101' },
      { kind: 'country', key: 'DE', label: 'DE (Germany)' },
      { kind: 'account', key: null, label: 'all traffic' },
      { kind: 'phone', key: '4930555102', label: '+49 30 555102' },
    ];
    return {
      kind: i % 5 === 4 ? 'volume_drop' : 'delivery_drop',
      scope: scopes[i % scopes.length]!,
      start: from,
      end: to,
      detectedAt: to,
      observed: i % 5 === 4 ? 40 : 0.8 - i / 100,
      expected: 0.96,
      expectedLow: 0.93,
      expectedHigh: 0.99,
      severity: i % 2 ? 'warning' : 'critical',
      sent: 900,
      delivered: 700,
      explanation: `anomaly ${i}`,
    };
  };
  const month = build(30, DAY);
  month.anomalies = Array.from({ length: 12 }, (_, i) =>
    anomaly(start + (i * 5 + (i % 2)) * DAY * 0.5, start + (i * 5 + (i % 2) + 2) * DAY * 0.5, i),
  );
  const twoDays = build(2, 1800);
  // Bands an hour or two apart, two of them at the same time.
  twoDays.anomalies = [3, 5, 5, 9, 20, 22, 30, 40].map((h, i) => anomaly(start + h * 3600, start + (h + 1) * 3600, i));
  return [reportChart('thirty days, twelve bands', month), reportChart('two days by half hour, eight bands', twoDays)];
}

const RULES = [
  { name: 'acme delivery', account: 'acme-retail', drillDown: ['phone', 'country'], targets: [{ slack: { channel: 'C0OPS' } }] },
  {
    name: 'acme failures',
    account: 'acme-retail',
    source: 'webhooks',
    drillDown: ['phone', 'country'],
    targets: [{ slack: { channel: 'C0OPS' } }],
  },
];

/**
 * The other sample accounts' daily reports, and backtest charts over the sandbox at the samples'
 * moment: the Graph rule over last week and over the last 48 hours (ending on buckets still
 * settling), and the webhook rule over a week of which the store holds two days of statuses.
 */
export async function sandboxCharts(): Promise<ChartUnderTest[]> {
  const now = SAMPLE_NOW;
  const sandbox = await startSandbox({ accounts: sampleAccounts(now), now: () => now, callsPerHour: 1_000_000 });
  const config = sampleConfig(sandbox.url, RULES);
  const graph = new GraphClient({ ...config.graph, now: () => now });
  const store = await openStore('sqlite::memory:');
  const out: ChartUnderTest[] = [];
  try {
    for (const account of config.accounts.slice(1)) {
      const { range, granularity } = resolveRange({ preset: 'yesterday' }, account.timezone, now);
      const report = await composeReport({ graph, now: () => now }, { account, token: SANDBOX_TOKEN, range, granularity, by: 'phone' });
      out.push(reportChart(`${account.name} daily`, report));
    }
    const backtest = async (name: string, rule: string, last: string) => {
      const plan = planBacktest(config, { account: 'acme-retail', rule, last }, now);
      const result =
        plan.rule.source === 'webhooks'
          ? await runWebhookBacktest(store, { config, account: plan.account, rule: plan.rule, range: plan.range })
          : await runBacktest(graph, {
              config,
              account: plan.account,
              token: SANDBOX_TOKEN,
              rule: plan.rule,
              range: plan.range,
              curve: DEFAULT_SETTLE_CURVE,
              maxCalls: 1000,
            });
      const spec = await backtestChartSpec(result, now, plan.rule.source === 'webhooks' ? 0 : plan.account.settleMs);
      out.push({
        name,
        spec,
        buckets: { starts: result.series.map((p) => p.start), timezone: plan.account.timezone },
        shows: result.episodes,
      });
      return result;
    };
    await backtest('backtest of a Graph rule, last 7 days', 'acme delivery', '7d');
    await backtest('backtest of a Graph rule, last 48 hours (ending on settling buckets)', 'acme delivery', '48h');
    // Two days of statuses, signed and taken in as serve takes them.
    await takeStatuses(store, now, now / 1000 - 2 * DAY, now / 1000);
    await backtest('backtest of a status-webhook rule, a week with two days of statuses', 'acme failures', '7d');
    return out;
  } finally {
    await store.close();
    await graph.close();
    await sandbox.close();
  }
}
