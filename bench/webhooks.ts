/**
 * WhatsApp status webhooks under load, on PostgreSQL, the service in its own process (compiled,
 * as deployed): how many status events a second it takes (autocannon, one signed notification
 * per request, every message id new), its acknowledgement latency at 1,000 a second, its RSS;
 * then exactly-once under the three failures Meta's retries must survive — every notification
 * delivered twice, one of two replicas SIGKILLed mid-load, the database refusing connections for
 * 30 s — counting what the store holds against what was sent.
 * Run: npm run bench:webhooks   (PostgreSQL at TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { Agent, request } from 'undici';
import { signBody } from '../src/whatsapp/signature.js';
import { startTcpProxy } from '../test/helpers/tcpProxy.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ACCOUNT = '104729384756102';
const SECRET = 'bench-app-secret-0a1b2c3d4e5f6789';
const PHONE = '16315551000';

interface Service {
  url: string;
  child: ChildProcess;
  stats(): Promise<{ rss: number; counted: number; duplicates: number; batches: number }>;
  stop(): Promise<void>;
}

async function startServiceProcess(databaseUrl: string): Promise<Service> {
  const script = fileURLToPath(new URL('./webhookService.js', import.meta.url));
  const child = fork(script, [JSON.stringify({ databaseUrl, accountId: ACCOUNT, appSecret: SECRET })], {
    execArgv: script.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  return {
    url,
    child,
    stats: () =>
      new Promise((resolve) => {
        child.once('message', (m: { rss: number; counted: number; duplicates: number; batches: number }) => resolve(m));
        child.send({ type: 'rss' });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let sequence = 0;
/** A notification with one status (`sent`, or one time in thirty `failed`) of a message never seen before. */
function notification(tag: string): string {
  const id = `wamid.${tag}.${++sequence}`;
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: ACCOUNT,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: PHONE, phone_number_id: '1' },
              // One in thirty a failure decided before sending (failed alone, counted unsent too), as in real traffic.
              statuses: [
                sequence % 30 === 0
                  ? { id, status: 'failed', timestamp: String(now), recipient_id: '919812345678', errors: [{ code: 131026, title: 'x' }] }
                  : { id, status: 'sent', timestamp: String(now), recipient_id: '919812345678', pricing: { category: 'utility' } },
              ],
            },
          },
        ],
      },
    ],
  });
}
const sign = (body: string) => signBody(body, SECRET);

/** Statuses counted (the `unsent` rows derive from failures: not statuses received). */
async function counted(db: pg.Client, schema: string): Promise<number> {
  const { rows } = await db.query<{ n: string | null }>(
    `select sum(count) as n from ${schema}.status_counts where account_id = $1 and status <> 'unsent'`,
    [ACCOUNT],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Failures, and failures counted as unsent: every failure here was never sent, so the two must agree. */
async function unsentCheck(db: pg.Client, schema: string): Promise<string> {
  const { rows } = await db.query<{ status: string; n: string }>(
    `select status, sum(count) as n from ${schema}.status_counts where status in ('failed', 'unsent') group by status`,
  );
  const of = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return `${of('unsent')} unsent of ${of('failed')} failed`;
}

async function freshSchema(db: pg.Client, name: string): Promise<{ schema: string; url: string }> {
  const schema = `wp_webhooks_${name}_${process.pid}`;
  await db.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { schema, url: url.toString() };
}

function load(url: string, options: { connections: number; duration: number; overallRate?: number }): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections: options.connections,
        duration: options.duration,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        requests: [
          {
            setupRequest: (req) => {
              const body = notification('load');
              return { ...req, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) } };
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/**
 * Meta's side: every notification POSTed until it is answered 200, backing off on anything else
 * (a 503, a connection refused), to the targets in turn. `twice` sends each one again after its 200.
 */
async function sendAll(
  bodies: string[],
  targets: () => string[],
  options: { concurrency: number; twice?: boolean; onProgress?: (done: number) => void },
) {
  const agent = new Agent({ connections: options.concurrency, keepAliveTimeout: 5_000 });
  let next = 0;
  let done = 0;
  let retries = 0;
  const deliver = async (body: string, salt: number) => {
    let wait = 100;
    for (let attempt = 0; ; attempt++) {
      const all = targets();
      const url = all[(salt + attempt) % all.length]!;
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) },
          body,
        });
        await res.body.text();
        if (res.statusCode === 200) return;
      } catch {
        // refused or cut: retried like a 503
      }
      retries++;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(2_000, wait * 2);
    }
  };
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        await deliver(bodies[i]!, i);
        if (options.twice) await deliver(bodies[i]!, i + 1);
        options.onProgress?.(++done);
      }
    }),
  );
  await agent.close();
  return { retries };
}

async function main(): Promise<void> {
  const db = new pg.Client({ connectionString: POSTGRES_URL });
  await db.connect();
  const MB = 1024 * 1024;
  console.log(`waba-pulse status webhooks: PostgreSQL, service in its own process (compiled), node ${process.version}\n`);
  try {
    // Throughput and latency.
    const { schema, url } = await freshSchema(db, 'load');
    const service = await startServiceProcess(url);
    await load(service.url, { connections: 20, duration: 2 }); // warm-up
    const before = await counted(db, schema);
    const max = await load(service.url, { connections: 64, duration: 10 });
    const afterMax = await counted(db, schema);
    const steady = await load(service.url, { connections: 32, duration: 10, overallRate: 1000 });
    const stats = await service.stats();
    await service.stop();
    const perSecond = (afterMax - before) / 10;
    console.log(
      `sustained (64 connections, 10 s)   ${perSecond.toFixed(0).padStart(6)} events/s counted   ${max.non2xx} non-2xx   p99 ${max.latency.p99} ms   (target ≥ 3,000/s)`,
    );
    console.log(
      `at 1,000 events/s (10 s)           p50 ${steady.latency.p50} ms  p99 ${steady.latency.p99} ms  max ${steady.latency.max} ms   ${steady.non2xx} non-2xx   (target p99 < 50 ms)`,
    );
    console.log(
      `service RSS peak                   ${(stats.rss / MB).toFixed(0)} MiB (${(stats.rss / 1e6).toFixed(0)} MB; target < 300 MB)   ${stats.batches} transactions for ${stats.counted} events`,
    );

    const marks = await db.query<{ n: string; bytes: string }>(
      `select count(*) as n, pg_total_relation_size('${schema}.seen_keys') as bytes from ${schema}.seen_keys`,
    );
    const perMark = Number(marks.rows[0]!.bytes) / Number(marks.rows[0]!.n);
    console.log(
      `dedupe marks                       ${perMark.toFixed(0)} bytes per status (table and index; kept 7 days: ${((perMark * 3e6 * 7) / 1e9).toFixed(1)} GB for 1M messages a day at ~3 statuses each)`,
    );

    // Exactly once: (a) every notification twice.
    const N = 5_000;
    {
      const { schema: s, url: u } = await freshSchema(db, 'twice');
      const svc = await startServiceProcess(u);
      const bodies = Array.from({ length: N }, () => notification('twice'));
      await sendAll(bodies, () => [svc.url], { concurrency: 32, twice: true });
      const n = await counted(db, s);
      await svc.stop();
      console.log(
        `\n(a) every notification delivered twice: ${N} sent ×2 → ${n} counted (lost ${Math.max(0, N - n)}, twice ${Math.max(0, n - N)}; ${await unsentCheck(db, s)})`,
      );
    }
    // (b) two replicas, one killed with SIGKILL mid-load.
    {
      const { schema: s, url: u } = await freshSchema(db, 'kill');
      const [a, b] = [await startServiceProcess(u), await startServiceProcess(u)];
      let alive = [a.url, b.url];
      const bodies = Array.from({ length: N }, () => notification('kill'));
      let killed = false;
      const { retries } = await sendAll(bodies, () => alive, {
        concurrency: 32,
        onProgress: (done) => {
          if (!killed && done >= N / 2) {
            killed = true;
            a.child.kill('SIGKILL');
            alive = [b.url];
          }
        },
      });
      const n = await counted(db, s);
      await b.stop();
      console.log(
        `(b) one of two replicas SIGKILLed at half way: ${N} sent → ${n} counted (lost ${Math.max(0, N - n)}, twice ${Math.max(0, n - N)}; ${retries} retries; ${await unsentCheck(db, s)})`,
      );
    }
    // (c) the database refuses connections for 30 s while the sender retries on 503.
    {
      const { schema: s, url: u } = await freshSchema(db, 'outage');
      const target = new URL(POSTGRES_URL);
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const via = new URL(u);
      via.hostname = '127.0.0.1';
      via.port = String(proxy.port);
      const svc = await startServiceProcess(via.toString());
      const bodies = Array.from({ length: N }, () => notification('outage'));
      let outage: Promise<void> | undefined;
      const started = Date.now();
      const { retries } = await sendAll(bodies, () => [svc.url], {
        concurrency: 32,
        onProgress: (done) => {
          if (!outage && done >= N / 4) {
            outage = (async () => {
              await proxy.down();
              await new Promise((r) => setTimeout(r, 30_000));
              await proxy.up();
            })();
          }
        },
      });
      await outage;
      const n = await counted(db, s);
      await svc.stop();
      await proxy.close();
      console.log(
        `(c) database refusing connections for 30 s: ${N} sent → ${n} counted (lost ${Math.max(0, N - n)}, twice ${Math.max(0, n - N)}; ${retries} answers of 503 or refused, retried; ${((Date.now() - started) / 1000).toFixed(0)} s; ${await unsentCheck(db, s)})`,
      );
    }
  } finally {
    const { rows } = await db.query<{ nspname: string }>(
      `select nspname from pg_namespace where nspname like 'wp_webhooks_%_${process.pid}'`,
    );
    for (const r of rows) await db.query(`drop schema if exists ${r.nspname} cascade`);
    await db.end();
  }
}

await main();
