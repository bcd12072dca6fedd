/**
 * 50 reports asked at the same moment — ten asks five times each, mixed ranges, granularities and
 * breakdowns, as people ask in chat — through the bucket cache of two replicas on one database
 * (two pools on PostgreSQL; one shared connection on SQLite), against a sandbox Graph answering in
 * 100 ms in its own process. Baseline measured in the same run: the same 50 straight from Graph,
 * no cache. Prints failures, cache writes lost, Graph requests and wall time.
 * Run: npm run bench:concurrent (PostgreSQL from TEST_DATABASE_URL, default the test database).
 */
import pg from 'pg';
import { CachedAnalytics } from '../src/cache/bucketCache.js';
import { composeReport } from '../src/compose/composeReport.js';
import { planReportRequest, type ReportSpec } from '../src/compose/reportPlan.js';
import { buildConfig } from '../src/configure.js';
import type { AnalyticsSource } from '../src/graph/client.js';
import { GraphClient } from '../src/graph/client.js';
import type { Logger } from '../src/log.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../src/sandbox/accounts.js';
import { SANDBOX_TOKEN_ENV, sandboxConfigDocument } from '../src/sandbox/config.js';
import { openStore, type SqlStore } from '../src/store/sql.js';
import { forkSandbox } from './sandboxProcess.js';

const LATENCY_MS = 100;
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ASKS: Array<[string, ReportSpec]> = [
  ['acme-retail', { range: { last: '7d' } }],
  ['acme-retail', { range: { last: '7d' }, by: 'phone' }],
  ['acme-retail', { range: { last: '30d' }, by: 'country' }],
  ['acme-retail', { range: { preset: 'yesterday' }, granularity: 'half_hour' }],
  ['acme-retail', { range: { last: '24h' } }],
  ['acme-retail', { range: { last: '120d' }, granularity: 'month' }],
  ['globex-support', { range: { last: '7d' } }],
  ['globex-support', { range: { last: '7d' }, granularity: 'day', by: 'phone' }],
  ['globex-support', { range: { last: '30d' } }],
  ['globex-support', { range: { preset: 'yesterday' }, granularity: 'half_hour', by: 'country' }],
];
const STORM = Array.from({ length: 50 }, (_, i) => ASKS[i % ASKS.length]!);

/** Counts what the cache logs at warn: a cache write lost, a read skipped. */
function countingLogger(counter: { warnings: number }): Logger {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => void counter.warnings++,
    error: () => void counter.warnings++,
    child: () => logger,
  };
  return logger;
}

async function main(): Promise<void> {
  const now = Date.now();
  const accounts = sampleAccounts(now);
  const sandbox = await forkSandbox({ extraAccounts: 0, latencyMs: LATENCY_MS, now });
  const config = buildConfig(sandboxConfigDocument(accounts, sandbox.url), { [SANDBOX_TOKEN_ENV]: SANDBOX_TOKEN });
  const graphs = [0, 1].map(() => new GraphClient({ ...config.graph, concurrency: 16, callsPerHour: 1_000_000, now: () => now }));
  console.log(
    `waba-pulse bench: 50 reports at once (10 asks × 5), two replicas, sandbox Graph at ${LATENCY_MS} ms in its own process (node ${process.version})\n`,
  );

  /** 50 reports at once, alternately on each replica's source; how many failed, and how long. */
  const storm = async (sources: AnalyticsSource[]) => {
    const before = await sandbox.requests();
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      STORM.map(([name, spec], i) => {
        const account = config.accounts.find((a) => a.name === name)!;
        const plan = planReportRequest(account, spec, now, config.graph);
        return composeReport(
          { graph: sources[i % 2]!, now: () => now },
          { account, token: SANDBOX_TOKEN, range: plan.range, granularity: plan.granularity, by: plan.by },
        );
      }),
    );
    const failed = outcomes.filter((o) => o.status === 'rejected');
    return {
      failed: failed.length,
      reasons: [...new Set(failed.map((o) => String((o as PromiseRejectedResult).reason?.message).slice(0, 80)))],
      requests: (await sandbox.requests()) - before,
      ms: performance.now() - started,
    };
  };

  // Untimed: the sandbox generates and keeps the synthetic traffic on first asking.
  await storm(graphs);
  const baseline = await storm(graphs);
  const rows: string[][] = [['straight from Graph (baseline)', '0', '—', String(baseline.requests), ms(baseline.ms), '1.00×']];

  const backends: Array<{ name: string; open: () => Promise<{ stores: SqlStore[]; close: () => Promise<void> }> }> = [
    {
      name: 'PostgreSQL, two pools',
      async open() {
        const schema = `wp_bench_${process.pid}`;
        const admin = async (text: string) => {
          const client = new pg.Client({ connectionString: POSTGRES_URL });
          await client.connect();
          await client.query(text);
          await client.end();
        };
        await admin(`drop schema if exists ${schema} cascade; create schema ${schema}`);
        const stores = [await openStore(POSTGRES_URL, { searchPath: schema }), await openStore(POSTGRES_URL, { searchPath: schema })];
        return {
          stores,
          close: async () => {
            for (const store of stores) await store.close();
            await admin(`drop schema ${schema} cascade`);
          },
        };
      },
    },
    {
      name: 'SQLite, one connection',
      async open() {
        const store = await openStore('sqlite::memory:');
        return { stores: [store, store], close: () => store.close() };
      },
    },
  ];
  for (const backend of backends) {
    const { stores, close } = await backend.open();
    const counter = { warnings: 0 };
    const caches = stores.map((store, i) => new CachedAnalytics(graphs[i]!, store, () => now, countingLogger(counter)));
    for (const [label, run] of [
      ['cold cache', await storm(caches)],
      ['warm cache', await storm(caches)],
    ] as const) {
      rows.push([
        `${backend.name}, ${label}`,
        `${run.failed}${run.reasons.length ? ` (${run.reasons.join('; ')})` : ''}`,
        String(counter.warnings),
        String(run.requests),
        ms(run.ms),
        `${(run.ms / baseline.ms).toFixed(2)}×`,
      ]);
      counter.warnings = 0;
    }
    await close();
  }
  const header = ['50 reports at once', 'failed', 'cache warnings', 'Graph requests', 'wall', 'vs baseline'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  console.log(`\npeak RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
  for (const graph of graphs) await graph.close();
  await sandbox.close();
}

const ms = (value: number) => `${Math.round(value).toLocaleString('en')} ms`;

await main();
