/**
 * The Graph call budget, measured against the sandbox over HTTP with the product's own client,
 * bucket cache (SQLite in memory) and alert checker:
 *   - alert checks every 30 minutes of a ten-number, four-country account with drill-down by
 *     number and country, for two days from a cold cache: Graph calls per WABA-hour (target ≤ 40),
 *     and how many of its 14 drill-downs each check judged;
 *   - a 28-day half-hourly `report --by phone` of the same account: calls (budget 60) and numbers
 *     judged half hour by half hour, by day only, or not at all; then the same report again
 *     through the cache.
 */

import { RecordingDelivery } from '../../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker, type CheckOutcome } from '../../src/alerts/checker.js';
import { CachedAnalytics } from '../../src/cache/bucketCache.js';
import { composeReport } from '../../src/compose/composeReport.js';
import { graphAccountsFrom } from '../../src/compose/graphAccount.js';
import { planReportRequest } from '../../src/compose/reportPlan.js';
import { buildConfig } from '../../src/configure.js';
import { GraphClient } from '../../src/graph/client.js';
import { silentLogger } from '../../src/log.js';
import type { SandboxAccount } from '../../src/sandbox/accountModel.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { openStore } from '../../src/store/sql.js';

const TOKEN = 'bench-budget-token';

const account: SandboxAccount = {
  id: '170000000000010',
  name: 'ten-four',
  displayName: 'Ten numbers, four countries',
  timezone: 'Europe/Berlin',
  phones: Array.from({ length: 10 }, (_, k) => ({ number: `4930555${String(k).padStart(4, '0')}`, weight: k < 3 ? 0.2 : 0.4 / 7 })),
  countries: [
    { code: 'DE', weight: 0.5, tz: 'Europe/Berlin', rate: 0.982 },
    { code: 'AT', weight: 0.2, tz: 'Europe/Vienna', rate: 0.984 },
    { code: 'TR', weight: 0.2, tz: 'Europe/Istanbul', rate: 0.955 },
    { code: 'US', weight: 0.1, tz: 'America/New_York', rate: 0.985 },
  ],
  volume: 12_000,
  incidents: [],
};

export interface BudgetFigures {
  perHour: number[];
  judgedPerCheck: number[];
  report: { calls: number; judged: number; byDay: number; none: number };
  repeat: { calls: number; judged: number };
}

export async function measureBudget(start: number): Promise<BudgetFigures> {
  let clock = start;
  const sandbox = await startSandbox({ accounts: [account], now: () => clock, token: TOKEN, callsPerHour: 100_000 });
  const config = buildConfig(
    {
      accounts: [{ id: account.id, name: account.name, token: '${T}', timezone: account.timezone }],
      alerts: [{ name: 'drops', account: account.name, drillDown: ['phone', 'country'], targets: [{ slack: { channel: 'C0BUDGET' } }] }],
    },
    { GRAPH_API_URL: sandbox.url },
  );
  const store = await openStore('sqlite::memory:');
  const graph = new GraphClient({ ...config.graph, now: () => clock });
  const cache = new CachedAnalytics(graph, store, () => clock);
  const judged: number[] = [];
  const checker = new AlertChecker({
    store,
    ctx: { config, accounts: graphAccountsFrom({ T: TOKEN }), graph: cache, now: () => clock },
    delivery: new RecordingDelivery(),
    logger: silentLogger,
    owner: 'bench',
    settleCurves: cache.settleCurves,
    budget: { callsInLastHour: (id) => graph.usage.callsInLastHour(id), callsPerHour: config.graph.callsPerHour },
    onCheck: (_rule: string, outcome: CheckOutcome) => judged.push((outcome.judgement?.now.length ?? 1) - 1),
  });
  const perHour: number[] = [];
  try {
    for (let hour = 0; hour < 48; hour++) {
      const before = sandbox.stats.requests;
      for (let check = 0; check < 2; check++) {
        await checker.tick(clock);
        clock += 30 * 60_000;
      }
      perHour.push(sandbox.stats.requests - before);
    }
    // The report a person asks for afterwards: 28 days, half-hourly, by phone.
    const reportOnce = async (source: typeof graph | typeof cache) => {
      const configured = config.accounts[0]!;
      const plan = planReportRequest(configured, { range: { last: '28d' }, granularity: 'half_hour', by: 'phone' }, clock);
      const before = sandbox.stats.requests;
      const report = await composeReport(
        { graph: source, now: () => clock },
        {
          account: configured,
          token: TOKEN,
          range: plan.range,
          granularity: plan.granularity,
          by: plan.by,
          maxCalls: config.graph.callsPerReport,
          limits: config.graph,
        },
      );
      const unjudged = report.breakdown?.unjudged ?? [];
      return {
        calls: sandbox.stats.requests - before,
        judged: (report.breakdown?.items.length ?? 0) - unjudged.filter((u) => u.judgedBy === 'day').length,
        byDay: unjudged.filter((u) => u.judgedBy === 'day').length,
        none: unjudged.filter((u) => u.judgedBy === null).length,
      };
    };
    const report = await reportOnce(graph);
    // Through the cache: the first fills it; the next also fetches the rows' previous days once
    // (now affordable), kept settled; from then on a repeat is what has not settled.
    await reportOnce(cache);
    await reportOnce(cache);
    const repeat = await reportOnce(cache);
    return { perHour, judgedPerCheck: judged, report, repeat: { calls: repeat.calls, judged: repeat.judged } };
  } finally {
    await graph.close();
    await store.close();
    await sandbox.close();
  }
}
