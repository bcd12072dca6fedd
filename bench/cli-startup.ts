/**
 * How fast the installed CLI starts, against what no CLI can beat:
 *   `waba-pulse --help`                      vs a bare `node -e 0`            (target ≤ 3×)
 *   a report that makes N Graph requests     vs bare start + N round trips    (target ≤ 1.5×)
 * The sandbox Graph (its own process) answers in 100 ms; one round trip is timed from here with
 * the same request. Runs the built CLI (dist/cli.js), as `npm install -g` users run it.
 * Run: npm run bench:startup
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_TOKEN, sampleAccounts } from '../src/sandbox/accounts.js';
import { forkSandbox } from './sandboxProcess.js';
import { percentile } from './stats.js';

const RUNS = 15;
const LATENCY_MS = 100;
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function timed(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: performance.now() - started, code, out }));
  });
}

async function median(args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  await timed(args, env); // warm the file cache
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await timed(args, env);
    if (run.code !== 0) throw new Error(`${args.join(' ')} exited ${run.code}: ${run.out.slice(0, 300)}`);
    times.push(run.ms);
  }
  return percentile(times, 50);
}

async function main(): Promise<void> {
  const now = Date.now();
  const sandbox = await forkSandbox({ extraAccounts: 0, latencyMs: LATENCY_MS, now });
  const [acme] = sampleAccounts(now);
  const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-startup-'));
  const config = join(dir, 'waba-pulse.yaml');
  // An account on US Pacific time, Graph's own day: a daily report is one DAY request.
  writeFileSync(config, `accounts:\n  - id: "${acme!.id}"\n    name: acme\n    token: \${T}\n    timezone: America/Los_Angeles\n`);
  const env = { WABA_PULSE_CONFIG: config, T: SANDBOX_TOKEN, GRAPH_API_URL: sandbox.url };
  const report = [cli, 'report', '--account', 'acme', '--last', '7d', '--format', 'json'];
  try {
    const before = await sandbox.requests();
    await timed(report, env);
    const requests = (await sandbox.requests()) - before;

    // One Graph round trip, as the CLI makes it (same URL shape, a fresh connection each time).
    const nowS = Math.floor(now / 1000);
    const url = `${sandbox.url}/v23.0/${acme!.id}?fields=analytics.start(${nowS - 40 * 86_400}).end(${nowS}).granularity(DAY)`;
    const trips: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await (await fetch(url, { headers: { authorization: `Bearer ${SANDBOX_TOKEN}`, connection: 'close' } })).text();
      trips.push(performance.now() - started);
    }
    const roundTrip = percentile(trips, 50);

    const bare = await median(['-e', '0']);
    const help = await median([cli, '--help']);
    const reportMs = await median(report, env);
    const floor = bare + requests * roundTrip;
    console.log(`waba-pulse CLI start-up (median of ${RUNS} runs, node ${process.version}; sandbox Graph ${LATENCY_MS} ms per request)\n`);
    console.log(`bare node -e 0                          ${bare.toFixed(0).padStart(6)} ms`);
    console.log(
      `waba-pulse --help                       ${help.toFixed(0).padStart(6)} ms   ${(help / bare).toFixed(2)}× bare node   (target ≤ 3×)`,
    );
    console.log(`Graph round trip                        ${roundTrip.toFixed(0).padStart(6)} ms`);
    console.log(
      `report --last 7d (${requests} Graph request${requests === 1 ? '' : 's'})      ${reportMs.toFixed(0).padStart(6)} ms   ${(reportMs / floor).toFixed(2)}× its floor of ${floor.toFixed(0)} ms (bare node + ${requests} round trip${requests === 1 ? '' : 's'})   (target ≤ 1.5×)`,
    );
  } finally {
    await sandbox.close();
  }
}

await main();
