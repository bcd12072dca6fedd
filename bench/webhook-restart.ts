/**
 * What a sender sees while `serve` restarts: a steady stream of signed status notifications (8
 * senders, one new status each) against a real `serve` process on PostgreSQL, restarted three
 * times (SIGTERM, then started again on the same port at once). The sender takes any 4xx as final
 * — as Meta does behind the README's forwarder, which passes on only 503 — and retries 5xx and
 * refused connections. Counted per answer: 200, 503 (with Retry-After or not), 404 and lost
 * statuses, against the ideal of none lost; then what the store holds against what was delivered.
 * Two start-ups: status webhooks alone, and with Slack, whose auth.test answers in 250 ms.
 *
 * Run: node --import tsx bench/webhook-restart.ts [--baseline DIR]
 * DIR: another checkout (e.g. `git archive a76fe31 | tar -x -C DIR`, node_modules linked) to
 * measure the same way in the same run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startFakeSlack } from '../test/fakes/slack.js';
import { freePort, type StreamTally, startWebhookStream } from '../test/helpers/webhookStream.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ACCOUNT = '104729384756102';
const SECRET = 'bench-restart-secret';
const NOW = Date.UTC(2026, 10, 25, 6, 0);
const MINUTE = Math.floor(NOW / 60_000) * 60 - 300;
const NOTIFICATIONS = 3_000;
const RESTARTS = 3;
const TSX = import.meta.resolve('tsx');

const args = process.argv.slice(2);
const baselineAt = args.indexOf('--baseline');
const roots: Array<{ label: string; dir: string }> = [{ label: 'this checkout', dir: fileURLToPath(new URL('..', import.meta.url)) }];
if (baselineAt >= 0) roots.push({ label: `baseline (${args[baselineAt + 1]})`, dir: resolve(args[baselineAt + 1]!) });

async function admin<T>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

function serve(root: string, env: NodeJS.ProcessEnv): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', TSX, join(root, 'src/cli.ts'), 'serve'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const ready = new Promise<void>((done) =>
    child.stdout!.on('data', (c) => {
      out += c;
      if (/serving on port/.test(out)) done();
    }),
  );
  return { child, ready, exited: new Promise((done) => child.on('exit', (code) => done(code))) };
}

async function run(
  root: string,
  slackLatencyMs: number | undefined,
): Promise<StreamTally & { stored: number; stopMs: number[]; startMs: number[] }> {
  const schema = `wp_bench_restart_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await admin(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const slack = slackLatencyMs === undefined ? undefined : await startFakeSlack({ latencyMs: slackLatencyMs });
  const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-bench-restart-'));
  writeFileSync(join(dir, 'waba-pulse.yaml'), `accounts:\n  - id: "${ACCOUNT}"\n    name: acme-retail\n    token: \${GRAPH_TOKEN}\n`);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    WABA_PULSE_CONFIG: join(dir, 'waba-pulse.yaml'),
    WABA_PULSE_CLOCK: new Date(NOW).toISOString(),
    DATABASE_URL: url.toString(),
    PORT: String(port),
    GRAPH_API_URL: 'http://127.0.0.1:9',
    GRAPH_TOKEN: 'x',
    WHATSAPP_APP_SECRET: SECRET,
    WHATSAPP_VERIFY_TOKEN: 'v',
    LOG_LEVEL: 'error',
    ...(slack ? { SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: 'bench-signing', SLACK_API_URL: slack.apiUrl } : {}),
  };
  let service = serve(root, env);
  await service.ready;
  const stream = startWebhookStream({
    url: () => `http://127.0.0.1:${port}/whatsapp/webhook`,
    accountId: ACCOUNT,
    appSecret: SECRET,
    notifications: NOTIFICATIONS,
    timestamp: MINUTE + 10,
    tag: schema,
  });
  const stopMs: number[] = [];
  const startMs: number[] = [];
  for (let r = 1; r <= RESTARTS; r++) {
    await stream.reached((NOTIFICATIONS * r) / (RESTARTS + 1));
    const asked = performance.now();
    service.child.kill('SIGTERM');
    await service.exited;
    const stopped = performance.now();
    service = serve(root, env);
    await service.ready;
    stopMs.push(stopped - asked);
    startMs.push(performance.now() - stopped);
  }
  const tally = await stream.done;
  service.child.kill('SIGTERM');
  await service.exited;
  const [row] = await admin<{ n: string }>(`select coalesce(sum(count), 0) as n from ${schema}.status_counts where status = 'sent'`);
  await admin(`drop schema ${schema} cascade`);
  await slack?.close();
  return { ...tally, stored: Number(row?.n ?? 0), stopMs, startMs };
}

const rows: string[] = [];
for (const { label, dir } of roots) {
  for (const [startup, latency] of [
    ['status webhooks only', undefined],
    ['with Slack (auth.test 250 ms)', 250],
  ] as const) {
    const t = await run(dir, latency);
    const other4xx = Object.entries(t.answers)
      .filter(([s]) => Number(s) >= 400 && Number(s) < 500 && s !== '404')
      .reduce((n, [, c]) => n + c, 0);
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length).toLocaleString('en');
    rows.push(
      `| ${label} | ${startup} | ${mean(t.stopMs)} ms | ${mean(t.startMs)} ms | ${(t.answers[200] ?? 0).toLocaleString('en')} | ${t.answers[503] ?? 0} (${t.withRetryAfter} with Retry-After) | ${t.answers[404] ?? 0} | ${other4xx} | ${t.noConnection} | **${t.lost}** (ideal 0) | ${t.stored.toLocaleString('en')} of ${t.delivered.toLocaleString('en')} |`,
    );
    console.log(rows.at(-1));
  }
}
console.log(
  `\n${NOTIFICATIONS.toLocaleString('en')} notifications, ${RESTARTS} restarts each (SIGTERM, started again on the same port):\n`,
);
console.log(
  '| code | start-up | SIGTERM → exit | start → serving | 200 | 503 | 404 | other 4xx | no connection | statuses lost | in the store |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
