import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/log.js';
import { signBody, statusNotification } from '../../src/sandbox/statusWebhooks.js';
import { type RunningService, startService } from '../../src/serve/service.js';
import { openStore, type SqlStore } from '../../src/store/sql.js';
import { freshPostgresSchema, postgresUrl, storeBackends } from '../helpers/stores.js';

/**
 * A stalled store — a table lock held as a failover would hold it — under a stream of status
 * webhooks: each request is answered 503 with Retry-After within the ingest's timeout instead of
 * hanging, the queue of events waiting stays within its bound, /healthz says the ingest is
 * stalled, and once the lock is gone what the sender retries is counted exactly once.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const APP_SECRET = 'stall-fault-secret-2d7a-4c9e1b3f';
const NOW = Date.UTC(2026, 10, 25, 6, 0);
const ACME = '104729384756102';
const minute = Math.floor(NOW / 60_000) * 60 - 600;
const MAX_WAITING = 200;

describe.skipIf(!hasPostgres)('status webhooks while the store is stalled by a table lock (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let store: SqlStore;
  let service: RunningService;
  const url = () => `${service.url}/whatsapp/webhook`;

  beforeAll(async () => {
    db = await freshPostgresSchema();
    store = await openStore(db.url, { logger: silentLogger });
    service = await startService({
      config: buildConfig(
        { accounts: [{ id: ACME, name: 'acme-retail', token: '${T}', timezone: 'Asia/Kolkata' }] },
        { GRAPH_API_URL: 'http://127.0.0.1:9', WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: 'v' },
      ),
      env: { T: 'x' },
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
      store,
      schedule: false,
      ingest: { timeoutMs: 2_000, statementTimeoutMs: 1_000, maxWaitingEvents: MAX_WAITING },
    });
  });
  afterAll(async () => {
    await service?.close();
    await store?.close();
    await db?.cleanup();
  });

  const post = async (body: string) => {
    const res = await fetch(url(), { method: 'POST', headers: { 'x-hub-signature-256': signBody(body, APP_SECRET) }, body });
    await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };
  const counted = async () =>
    (await store.statuses.statusCounts(ACME, minute - 60, minute + 120))
      .filter((r) => r.status !== 'unsent')
      .reduce((n, r) => n + r.count, 0);

  it('answers 503 with Retry-After during the lock, bounds the queue, reports the stall, then counts every retried status once', async () => {
    // Something committed first, so the store is known to work.
    const first = JSON.stringify(
      statusNotification(ACME, '16315551000', [
        { id: 'wamid.stall.warm', status: 'sent', timestamp: minute + 1, recipient: '919812345678', category: 'utility' },
      ]),
    );
    expect((await post(first)).status).toBe(200);

    const N = 150;
    const PER = 5;
    const bodies = Array.from({ length: N }, (_, i) =>
      JSON.stringify(
        statusNotification(
          ACME,
          '16315551000',
          Array.from({ length: PER }, (_, k) => ({
            id: `wamid.stall.${i}.${k}`,
            status: 'sent' as const,
            timestamp: minute + 5,
            recipient: '919812345678',
            category: 'utility' as const,
          })),
        ),
      ),
    );

    // The lock, from a client of its own: held until every request has been answered (or, if
    // they hang, for at most 8 s — the test then fails on what was answered while it was held).
    const locker = new pg.Client({ connectionString: postgresUrl() });
    await locker.connect();
    await locker.query('begin');
    await locker.query(`lock table ${db.schema}.status_counts in access exclusive mode`);
    let locked = true;
    let answeredWhileLocked = 0;
    let maxWaiting = 0;
    let healthDuringStall: { status: number; body: Record<string, unknown> } | undefined;

    const firstRound = bodies.map(async (body) => {
      const answer = await post(body);
      if (locked) answeredWhileLocked++;
      return answer;
    });
    const watcher = (async () => {
      const until = Date.now() + 8_000;
      while (locked && Date.now() < until) {
        maxWaiting = Math.max(maxWaiting, service.ingest!.lag().waitingEvents);
        if (!healthDuringStall && service.ingest!.lag().failuresSinceCommit > 0) {
          const res = await fetch(`${service.url}/healthz`);
          healthDuringStall = { status: res.status, body: (await res.json()) as Record<string, unknown> };
        }
        if (answeredWhileLocked === N) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await watcher;
    locked = false;
    await locker.query('rollback');
    await locker.end();
    const answers = await Promise.all(firstRound);

    const refused = answers.filter((a) => a.status === 503);
    console.log(
      `stall: ${answeredWhileLocked} of ${N} answered while locked, ${refused.length} 503s, most events waiting ${maxWaiting}, /healthz ${healthDuringStall?.status}`,
    );
    expect(answeredWhileLocked).toBe(N);
    expect(refused.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    expect(refused.every((a) => a.retryAfter !== null && Number(a.retryAfter) > 0)).toBe(true);
    expect(maxWaiting).toBeLessThanOrEqual(MAX_WAITING);
    expect(healthDuringStall?.status).toBe(503);
    expect(healthDuringStall?.body).toMatchObject({ status: 'degraded', whatsapp: 'stalled' });

    // The sender retries whatever was not answered 200; the store is back.
    for (const [i, a] of answers.entries()) {
      let status = a.status;
      while (status !== 200) status = (await post(bodies[i]!)).status;
    }
    expect(await counted()).toBe(1 + N * PER);
    const health = await fetch(`${service.url}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { ingest?: { waitingEvents: number } }).ingest).toMatchObject({ waitingEvents: 0 });
  }, 60_000);
});
