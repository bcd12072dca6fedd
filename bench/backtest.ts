/**
 * `waba-pulse backtest` as a user runs it: the built binary, 30 days of one account with
 * drill-down by number and country (Acme Retail: 3 numbers, 4 countries), against the sandbox
 * in its own process answering every Graph call in 100 ms. Targets: ≤ 3 s and ≤ 60 Graph calls.
 * Run: npm run bench:backtest (builds first)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { forkSandbox } from './sandboxProcess.js';

const run = promisify(execFile);
const LATENCY_MS = 100;
const RUNS = 3;

async function main(): Promise<void> {
  const now = Date.now();
  const sandbox = await forkSandbox({ extraAccounts: 0, latencyMs: LATENCY_MS, now });
  const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  const config = fileURLToPath(new URL('../waba-pulse.example.yaml', import.meta.url));
  const env = { ...process.env, GRAPH_API_URL: sandbox.url, WABA_PULSE_SANDBOX_TOKEN: 'sandbox-token', DATABASE_URL: 'sqlite::memory:' };
  const bare: number[] = [];
  const walls: number[] = [];
  let last: { checks: number; graphCalls: number; totals: { episodes: number; medianMinutesToAlert: number | null } } | undefined;
  try {
    for (let i = 0; i < RUNS; i++) {
      let started = performance.now();
      await run(process.execPath, ['-e', '0']);
      bare.push(performance.now() - started);
      started = performance.now();
      const { stdout } = await run(
        process.execPath,
        [bin, 'backtest', '--config', config, '--account', 'acme-retail', '--last', '30d', '--format', 'json'],
        { env },
      );
      walls.push(performance.now() - started);
      last = JSON.parse(stdout);
    }
  } finally {
    await sandbox.close();
  }
  const best = Math.min(...walls);
  console.log(
    `waba-pulse backtest bench (node ${process.version}; sandbox in its own process, ${LATENCY_MS} ms per Graph call; best of ${RUNS})`,
  );
  console.log(
    `30 days of acme-retail, drill-down by phone and country: ${best.toFixed(0)} ms wall (runs: ${walls.map((w) => w.toFixed(0)).join(', ')} ms; bare node start ${Math.min(...bare).toFixed(0)} ms)`,
  );
  console.log(
    `  ${last!.checks} checks, ${last!.graphCalls} Graph calls, ${last!.totals.episodes} episode(s), median ${last!.totals.medianMinutesToAlert ?? '-'} min to alert`,
  );
  console.log(`  [${best <= 3000 ? 'PASS' : 'FAIL'}] <= 3 s: ${best.toFixed(0)} ms`);
  console.log(`  [${last!.graphCalls <= 60 ? 'PASS' : 'FAIL'}] <= 60 Graph calls: ${last!.graphCalls}`);
}

await main();
