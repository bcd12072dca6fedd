import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/log.js';
import { sampleAccounts } from '../../src/sandbox/accounts.js';
import { StatusWebhookEmitter, signBody, statusNotification } from '../../src/sandbox/statusWebhooks.js';
import { type RunningService, startService } from '../../src/serve/service.js';
import { openStore, type SqlStore } from '../../src/store/sql.js';
import { spawnCli } from '../helpers/cliProcess.js';
import { freshPostgresSchema, postgresTarget, storeBackends } from '../helpers/stores.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';

/**
 * Status webhooks counted exactly once when things go wrong, on a real PostgreSQL: the same
 * notifications at two replicas, the database refusing connections while Meta (the sandbox's
 * sender) retries on 503, and a replica killed with SIGKILL in the middle of a stream.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const APP_SECRET = 'fault-app-secret-4b1e-8d3f6a2c0e9';
const NOW = Date.UTC(2026, 10, 25, 6, 0);
const accounts = sampleAccounts(NOW).slice(0, 1);
const ACME = accounts[0]!.id;

async function countedIn(store: SqlStore, from: number, to: number) {
  // Statuses as received: `unsent` rows are derived from failures, not received.
  return (await store.statuses.statusCounts(ACME, from, to)).filter((r) => r.status !== 'unsent').reduce((n, r) => n + r.count, 0);
}

describe.skipIf(!hasPostgres)('status webhooks on PostgreSQL, two replicas and an outage', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let db: Awaited<ReturnType<typeof freshPostgresSchema>>;
  const stores: SqlStore[] = [];
  const replicas: RunningService[] = [];

  beforeAll(async () => {
    proxy = await startTcpProxy(postgresTarget());
    db = await freshPostgresSchema({ host: '127.0.0.1', port: proxy.port });
    const config = buildConfig(
      { accounts: accounts.map((a) => ({ id: a.id, name: a.name, token: '${T}', timezone: a.timezone })) },
      { GRAPH_API_URL: 'http://127.0.0.1:9', WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: 'v' },
    );
    for (let i = 0; i < 2; i++) {
      const store = await openStore(db.url, { logger: silentLogger });
      stores.push(store);
      replicas.push(
        await startService({
          config,
          env: { T: 'x' },
          logger: silentLogger,
          now: () => NOW,
          port: 0,
          host: '127.0.0.1',
          store,
          schedule: false,
        }),
      );
    }
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const s of stores) await s.close();
    await proxy.close();
    await db.cleanup();
  });

  const emitter = (url: string) => new StatusWebhookEmitter({ accounts, url, appSecret: APP_SECRET, batch: 5, concurrency: 8 });

  it('counts the same notifications once when each replica receives them', async () => {
    const from = NOW / 1000 - 7200;
    const [a, b] = [emitter(`${replicas[0]!.url}/whatsapp/webhook`), emitter(`${replicas[1]!.url}/whatsapp/webhook`)];
    // Both at once, as Meta's redeliveries land on whichever replica the load balancer picks.
    const [sentA, sentB] = await Promise.all([a.emit(from, from + 1800), b.emit(from, from + 1800)]);
    await Promise.all([a.stop(), b.stop()]);
    expect(sentA.statuses).toBe(sentB.statuses);
    expect(await countedIn(stores[0]!, from, from + 1800 + 120)).toBe(sentA.statuses);
    const totals = replicas.map((r) => r.ingest!.totals);
    expect(totals[0]!.counted + totals[1]!.counted).toBe(sentA.statuses);
    expect(totals[0]!.duplicates + totals[1]!.duplicates).toBe(sentA.statuses);
  }, 60_000);

  it('answers 503 while the database refuses connections, and counts what Meta retries once it is back', async () => {
    const url = `${replicas[0]!.url}/whatsapp/webhook`;
    const from = NOW / 1000 - 3600; // clear of the first test's window and its late reads
    await proxy.down();
    const body = JSON.stringify(
      statusNotification(ACME, '16315551000', [
        { id: 'wamid.outage.1', status: 'sent', timestamp: from + 5, recipient: '919812345678', category: 'utility' },
      ]),
    );
    const refused = await fetch(url, { method: 'POST', headers: { 'x-hub-signature-256': signBody(body, APP_SECRET) }, body });
    expect(refused.status).toBe(503);
    // The sender keeps retrying on 503 while the database is away for 2 s.
    const sender = emitter(url);
    const sending = sender.emit(from, from + 1800);
    await new Promise((r) => setTimeout(r, 2_000));
    await proxy.up();
    const sent = await sending;
    await sender.stop();
    expect(sent.retries).toBeGreaterThan(0);
    // (The notification answered 503 is not among them: the sender that got 503 would send it again.)
    expect(await countedIn(stores[0]!, from, from + 1800 + 120)).toBe(sent.statuses);
  }, 60_000);
});

describe.skipIf(!hasPostgres)('status webhooks: a replica killed with SIGKILL mid-stream', () => {
  it('loses nothing and counts nothing twice: the sender retries what was not answered 200 at the other replica', async () => {
    const db = await freshPostgresSchema();
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-webhook-kill-'));
    const config = join(dir, 'waba-pulse.yaml');
    writeFileSync(config, `accounts:\n  - id: "${ACME}"\n    name: acme-retail\n    token: \${GRAPH_TOKEN}\n`);
    const env = {
      WABA_PULSE_CONFIG: config,
      DATABASE_URL: db.url,
      PORT: '0',
      GRAPH_TOKEN: 'x',
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'v',
      LOG_LEVEL: 'warn',
    };
    const [a, b] = [spawnCli(['serve'], env), spawnCli(['serve'], env)];
    const store = await openStore(db.url, { logger: silentLogger });
    try {
      const urls = [
        `http://127.0.0.1:${(await a.waitForOut(/serving on port (\d+)/))[1]}/whatsapp/webhook`,
        `http://127.0.0.1:${(await b.waitForOut(/serving on port (\d+)/))[1]}/whatsapp/webhook`,
      ];
      const now = Math.floor(Date.now() / 1000);
      const N = 1_500;
      const bodies = Array.from({ length: N }, (_, i) =>
        JSON.stringify(
          statusNotification(ACME, '16315551000', [
            { id: `wamid.kill.${i}`, status: 'sent', timestamp: now - 60, recipient: '919812345678', category: 'utility' },
          ]),
        ),
      );
      let alive = urls;
      let done = 0;
      let next = 0;
      const deliver = async (body: string, i: number) => {
        for (let attempt = 0; ; attempt++) {
          const url = alive[(i + attempt) % alive.length]!;
          try {
            const res = await fetch(url, { method: 'POST', headers: { 'x-hub-signature-256': signBody(body, APP_SECRET) }, body });
            await res.text();
            if (res.status === 200) return;
          } catch {
            // the killed replica: connection refused or reset
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < N) {
            const i = next++;
            await deliver(bodies[i]!, i);
            if (++done === N / 2) {
              a.child.kill('SIGKILL');
              alive = [urls[1]!];
            }
          }
        }),
      );
      expect((await a.exited).signal).toBe('SIGKILL');
      expect(await countedIn(store, now - 120, now + 60)).toBe(N);
      expect(a.err() + b.err()).not.toContain(APP_SECRET);
    } finally {
      await store.close();
      for (const p of [a, b]) if (p.alive()) p.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
      await db.cleanup();
    }
  }, 90_000);
});
