/**
 * What health, cost and templates add to a daily digest: Graph calls and wall time of one
 * sample account's health + cost (yesterday) + templates (last 7 days), against the sandbox in
 * its own process answering in 100 ms, on a cold cache and again on a warm one — beside the
 * daily delivery digest itself (yesterday, half-hourly, by phone number), measured in the same
 * run. The ideal is the latency times the round trips that must follow one another.
 * Run: npm run bench:views
 */

import { CachedAnalytics } from '../src/cache/bucketCache.js';
import { chartRenderer } from '../src/charts/render.js';
import { composeAccountViews, planCost, planTemplates, ViewCache } from '../src/compose/accountViews.js';
import { composeReport } from '../src/compose/composeReport.js';
import { chartedDigest } from '../src/compose/digestViews.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { planReportRequest } from '../src/compose/reportPlan.js';
import { chartedReport, type ReportDeps } from '../src/compose/request.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../src/sandbox/accounts.js';
import { SANDBOX_TOKEN_ENV, sandboxConfigDocument } from '../src/sandbox/config.js';
import { openStore } from '../src/store/sql.js';
import { forkSandbox } from './sandboxProcess.js';

const LATENCY_MS = 100;
const RUNS = 5;

async function main(): Promise<void> {
  const now = Date.now();
  const accounts = sampleAccounts(now);
  const sandbox = await forkSandbox({ extraAccounts: 0, latencyMs: LATENCY_MS, now });
  const config = buildConfig(sandboxConfigDocument(accounts, sandbox.url), { [SANDBOX_TOKEN_ENV]: SANDBOX_TOKEN });
  const account = config.accounts[0]!; // Acme Retail: 3 numbers, 7 templates, insights on
  console.log(
    `waba-pulse bench: health + cost + templates of ${account.displayName} beside its daily digest, sandbox Graph at ${LATENCY_MS} ms per request in its own process (node ${process.version}); median of ${RUNS} runs\n`,
  );

  const digest = async (analytics: CachedAnalytics) => {
    const plan = planReportRequest(account, { range: { preset: 'yesterday' }, by: 'phone' }, now, config.graph);
    await composeReport(
      { graph: analytics, now: () => now },
      { account, token: SANDBOX_TOKEN, range: plan.range, granularity: plan.granularity, by: plan.by },
    );
  };
  // What Graph sent back, in bytes: the warm cache asks for fewer days, not fewer requests.
  let answered = 0;
  const counted = (graph: GraphClient) => ({
    settings: graph.settings,
    requestJson: async (...args: Parameters<GraphClient['requestJson']>) => {
      const body = await graph.requestJson(...args);
      answered += JSON.stringify(body).length;
      return body;
    },
  });
  const views = (graph: GraphClient, cache: ViewCache) =>
    composeAccountViews(
      { graph: counted(graph), now: () => now, cache },
      {
        account,
        token: SANDBOX_TOKEN,
        health: { since: Math.floor(now / 1000) - 7 * 86_400 },
        cost: planCost(account, { preset: 'yesterday' }, now),
        templates: planTemplates(account, { last: '7d' }, now),
      },
    );

  // Untimed: the sandbox generates and keeps the synthetic traffic of the window once.
  {
    const store = await openStore('sqlite::memory:');
    const graph = new GraphClient({ ...config.graph, callsPerHour: 100_000, now: () => now });
    await digest(new CachedAnalytics(graph, store, () => now));
    await views(graph, new ViewCache());
    await graph.close();
    await store.close();
  }

  const rows: Array<{ label: string; calls: number; ms: number; trips: number; kb: number | null }> = [];
  const measure = async (label: string, trips: number, work: () => Promise<unknown>) => {
    const times: number[] = [];
    let calls = 0;
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      answered = 0;
      const before = await sandbox.requests();
      const started = performance.now();
      await work();
      times.push(performance.now() - started);
      calls = (await sandbox.requests()) - before;
      bytes = answered;
    }
    times.sort((a, b) => a - b);
    rows.push({ label, calls, ms: times[RUNS >> 1]!, trips, kb: bytes ? bytes / 1024 : null });
  };

  // Each run a process as serve is one: a store for the bucket cache, a ViewCache, one client.
  const fresh = async () => {
    const store = await openStore('sqlite::memory:');
    const graph = new GraphClient({ ...config.graph, callsPerHour: 100_000, now: () => now });
    return { store, graph, analytics: new CachedAnalytics(graph, store, () => now), cache: new ViewCache() };
  };
  await measure('daily digest (yesterday, half-hourly, by phone): today', 2, async () => {
    const p = await fresh();
    await digest(p.analytics);
    await p.graph.close();
    await p.store.close();
  });
  await measure('health + cost + templates, cold cache', 2, async () => {
    const p = await fresh();
    await views(p.graph, p.cache);
    await p.graph.close();
    await p.store.close();
  });
  const warm = await fresh();
  await views(warm.graph, warm.cache);
  await measure('health + cost + templates, warm cache', 2, () => views(warm.graph, warm.cache));
  const [health, cost, templates] = [
    { health: { since: Math.floor(now / 1000) - 7 * 86_400 } },
    { cost: planCost(account, { preset: 'yesterday' }, now) },
    { templates: planTemplates(account, { last: '7d' }, now) },
  ];
  for (const [label, req, trips] of [
    ['health alone (waba-pulse health)', health, 1],
    ['cost alone (report --view cost), cold', cost, 1],
    ['templates alone (report --view templates), cold', templates, 2],
  ] as const)
    await measure(label, trips, async () => {
      const p = await fresh();
      await composeAccountViews({ graph: counted(p.graph), now: () => now, cache: p.cache }, { account, token: SANDBOX_TOKEN, ...req });
      await p.graph.close();
      await p.store.close();
    });
  await warm.graph.close();
  await warm.store.close();

  // The daily digest as the scheduler builds it — the report with its chart, and now the health,
  // cost and templates sections beside it — against today's (report and chart only), in a
  // process as serve is one; warm: the same process's next digest of the account.
  const deps = (p: Awaited<ReturnType<typeof fresh>>): ReportDeps => ({
    config,
    accounts: graphAccountsFrom({ [SANDBOX_TOKEN_ENV]: SANDBOX_TOKEN }),
    graph: p.analytics,
    store: p.store,
    charts: chartRenderer('local'),
    now: () => now,
    views: { graph: p.graph, cache: p.cache },
  });
  const spec = { range: { preset: 'yesterday' as const }, by: 'phone' as const };
  const due = now;
  const digestRows: Array<{ label: string; cold: (typeof rows)[number]; warm: (typeof rows)[number] }> = [];
  for (const [label, build] of [
    ['daily digest, today (report + chart)', (d: ReportDeps) => chartedReport(d, account, spec)],
    ['daily digest + health, cost, top templates', (d: ReportDeps) => chartedDigest(d, account, spec, { every: 'daily', dueAtMs: due })],
  ] as const) {
    await measure(`${label}, cold`, 2, async () => {
      const p = await fresh();
      await build(deps(p));
      await p.graph.close();
      await p.store.close();
    });
    const cold = rows.at(-1)!;
    const p = await fresh();
    await build(deps(p));
    await measure(`${label}, warm`, 1, () => build(deps(p)));
    await p.graph.close();
    await p.store.close();
    digestRows.push({ label, cold, warm: rows.at(-1)! });
  }

  console.log('fetch                                                      Graph calls  answers KB   wall ms   ideal ms  wall/ideal');
  for (const r of rows) {
    const ideal = r.trips * LATENCY_MS;
    console.log(
      `${r.label.padEnd(58)} ${String(r.calls).padStart(11)} ${(r.kb === null ? '—' : r.kb.toFixed(0)).padStart(11)} ${r.ms.toFixed(0).padStart(9)} ${String(ideal).padStart(10)} ${(r.ms / ideal).toFixed(2).padStart(11)}`,
    );
  }
  console.log(
    `\nideal: ${LATENCY_MS} ms × the round trips that must follow one another (the WABA's state, numbers, templates, pricing and delivered count in one request; then the template funnels, 10 templates a call).`,
  );
  const [before, after] = digestRows;
  if (before && after) {
    console.log('\nthe daily digest, sections against today:');
    for (const kind of ['cold', 'warm'] as const)
      console.log(
        `  ${kind}: ${after[kind].ms.toFixed(0)} ms vs ${before[kind].ms.toFixed(0)} ms (×${(after[kind].ms / before[kind].ms).toFixed(2)}), Graph calls ${after[kind].calls} vs ${before[kind].calls} (+${after[kind].calls - before[kind].calls}; target ≤ ${kind === 'cold' ? 6 : 2} more, under 1.5 s)`,
      );
  }
  console.log(`peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  await sandbox.close();
}

await main();
