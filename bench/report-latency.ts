/**
 * How long reports for 50 accounts take against a Graph that answers in 100 ms, compared with
 * the ideal for the number of Graph requests made and the concurrency allowed:
 *   ideal = latency × requests ÷ concurrency.
 * Run: npm run bench
 */

import { composeReport } from '../src/compose/composeReport.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { type RangeSpec, resolveRange } from '../src/query/range.js';
import { SANDBOX_TOKEN, sampleAccounts, syntheticAccounts } from '../src/sandbox/accounts.js';
import { SANDBOX_TOKEN_ENV, sandboxConfigDocument } from '../src/sandbox/config.js';
import { forkSandbox } from './sandboxProcess.js';

const ACCOUNTS = 50;
const LATENCY_MS = 100;

interface Scenario {
  label: string;
  spec: RangeSpec;
  by?: 'phone' | 'country';
  concurrency: number;
}

const scenarios: Scenario[] = [
  { label: 'last 7 days, daily', spec: { last: '7d' }, concurrency: 4 },
  { label: 'last 7 days, daily', spec: { last: '7d' }, concurrency: 16 },
  { label: 'yesterday, half-hourly, by phone', spec: { preset: 'yesterday' }, by: 'phone', concurrency: 4 },
  { label: 'yesterday, half-hourly, by phone', spec: { preset: 'yesterday' }, by: 'phone', concurrency: 16 },
];

async function main(): Promise<void> {
  const now = Date.now();
  const accounts = [...sampleAccounts(now), ...syntheticAccounts(ACCOUNTS - 3)];
  const sandbox = await forkSandbox({ extraAccounts: ACCOUNTS - 3, latencyMs: LATENCY_MS, now });
  const env = { [SANDBOX_TOKEN_ENV]: SANDBOX_TOKEN };
  const config = buildConfig(sandboxConfigDocument(accounts, sandbox.url), env);
  console.log(
    `waba-pulse bench: reports for ${ACCOUNTS} accounts, sandbox Graph with ${LATENCY_MS} ms latency per request (sandbox in its own process; node ${process.version})\n`,
  );
  // Warm-up (untimed): the sandbox caches the synthetic traffic it generates, so every timed
  // scenario sees a Graph whose answer time is the injected latency, as the ideal assumes.
  for (const spec of [{ last: '7d' }, { preset: 'yesterday' }] as RangeSpec[]) {
    const graph = new GraphClient({ ...config.graph, concurrency: 16, callsPerHour: 100_000, now: Date.now });
    await Promise.all(
      config.accounts.map((account) => {
        const { range, granularity } = resolveRange(spec, account.timezone, now);
        return composeReport({ graph, now: () => now }, { account, token: SANDBOX_TOKEN, range, granularity, by: 'phone' });
      }),
    );
    await graph.close();
  }
  console.log('scenario                                  conc  requests   wall ms   ideal ms  wall/ideal  ms/account');
  let peakRss = process.memoryUsage().rss;
  for (const s of scenarios) {
    const graph = new GraphClient({ ...config.graph, concurrency: s.concurrency, callsPerHour: 100_000, now: Date.now });
    const before = await sandbox.requests();
    const started = performance.now();
    await Promise.all(
      config.accounts.map((account) => {
        const { range, granularity } = resolveRange(s.spec, account.timezone, now);
        return composeReport({ graph, now: () => now }, { account, token: SANDBOX_TOKEN, range, granularity, by: s.by });
      }),
    );
    const wall = performance.now() - started;
    await graph.close();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const requests = (await sandbox.requests()) - before;
    const ideal = (LATENCY_MS * requests) / s.concurrency;
    console.log(
      `${s.label.padEnd(40)} ${String(s.concurrency).padStart(5)} ${String(requests).padStart(9)} ${wall.toFixed(0).padStart(9)} ${ideal.toFixed(0).padStart(10)} ${(wall / ideal).toFixed(2).padStart(11)} ${(wall / ACCOUNTS).toFixed(1).padStart(11)}`,
    );
  }
  console.log(`\npeak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
  await sandbox.close();
}

await main();
