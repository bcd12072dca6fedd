import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingDelivery } from '../../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker } from '../../src/alerts/checker.js';
import { CachedAnalytics } from '../../src/cache/bucketCache.js';
import { chartRenderer } from '../../src/charts/render.js';
import type { CommandContext, CommandResult } from '../../src/chat/context.js';
import { graphAccountsFrom } from '../../src/compose/graphAccount.js';
import { buildConfig } from '../../src/configure.js';
import { GraphClient } from '../../src/graph/client.js';
import { Scheduler } from '../../src/jobs/scheduler.js';
import { silentLogger } from '../../src/log.js';
import { sampleAccounts } from '../../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import type { SqlStore } from '../../src/store/sql.js';
import type { ChatTarget } from '../../src/store/types.js';
import { startFakeSlack } from '../fakes/slack.js';
import { spawnCli } from '../helpers/cliProcess.js';
import { freshPostgresSchema, postgresTarget, proxiedPostgres, storeBackends } from '../helpers/stores.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';

/**
 * The service against a real PostgreSQL that drops its connections and goes away: terminated
 * backends (a restart, a failover, a proxy closing idle connections), and a database that
 * refuses connections for a while. Nothing may end the process, /healthz says what is wrong,
 * and scheduled work that failed on the store is done once it is back — exactly once.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const GRAPH_TOKEN = 'EAAG-fault-token-5150';
const SIGNING_SECRET = 'fault-signing-secret-77';
const accounts = sampleAccounts(Date.now()).slice(0, 1);

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts, token: GRAPH_TOKEN, callsPerHour: 1_000_000, now: Date.now });
});
afterAll(() => sandbox.close());

describe.skipIf(!hasPostgres)('serve on PostgreSQL, as a process', () => {
  it('survives terminated connections and an outage: 503 while the database is away, 200 once it is back', async () => {
    const proxy = await startTcpProxy(postgresTarget());
    const db = await freshPostgresSchema({ host: '127.0.0.1', port: proxy.port });
    const slack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-fault-'));
    const config = join(dir, 'waba-pulse.yaml');
    writeFileSync(config, `accounts:\n  - id: "${accounts[0]!.id}"\n    name: ${accounts[0]!.name}\n    token: \${GRAPH_TOKEN}\n`);
    const serve = spawnCli(['serve'], {
      WABA_PULSE_CONFIG: config,
      DATABASE_URL: db.url,
      PORT: '0',
      GRAPH_API_URL: sandbox.url,
      GRAPH_TOKEN,
      SLACK_BOT_TOKEN: 'xoxb-fault-bot-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOG_LEVEL: 'warn',
    });
    try {
      const port = (await serve.waitForOut(/serving on port (\d+)/))[1];
      const health = async () => {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect((await health()).status).toBe(200);

      // What a PostgreSQL restart does to the service's idle connections.
      const terminated = await db.admin<{ pg_terminate_backend: boolean }>(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [db.applicationName],
      );
      expect(terminated.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1500));
      expect(serve.alive()).toBe(true);
      expect(serve.err()).toMatch(/database connection lost; reconnecting/);
      expect((await health()).status).toBe(200);

      // The database goes away: unhealthy, still running.
      await proxy.down();
      const down = await health();
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'degraded', store: 'unreachable' });
      expect(serve.alive()).toBe(true);

      // And comes back: healthy again without a restart.
      await proxy.up();
      const back = await health();
      expect(back.status).toBe(200);
      expect(serve.alive()).toBe(true);
      expect(serve.err()).not.toContain(GRAPH_TOKEN);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
      await slack.close();
      await proxy.close();
      await db.cleanup();
    }
  }, 60_000);
});

describe.skipIf(!hasPostgres)('scheduled work when the store fails', () => {
  const NINE = Date.parse('2026-11-02T09:00:30Z');
  let database: Awaited<ReturnType<typeof proxiedPostgres>>;
  let proxy: typeof database.proxy;
  let store: SqlStore;
  let graph: GraphClient;
  let clock = NINE;
  const posts: Array<{ target: ChatTarget; kind: string }> = [];
  let afterPost: (() => Promise<void>) | undefined;

  const config = buildConfig(
    {
      accounts: accounts.map((a) => ({ id: a.id, name: a.name, token: '${T}', timezone: 'UTC' })),
      alerts: [
        { name: 'drops', account: accounts[0]!.name, checkEvery: '30m', drillDown: [], targets: [{ slack: { channel: 'C0ALERT' } }] },
      ],
    },
    { GRAPH_API_URL: 'http://127.0.0.1:9' },
  );

  beforeAll(async () => {
    database = await proxiedPostgres();
    ({ proxy, store } = database);
    graph = new GraphClient({ ...config.graph, apiUrl: sandbox.url, now: () => clock });
  });
  afterAll(async () => {
    await graph.close();
    await database.close();
  });

  function scheduler() {
    const ctx: CommandContext = {
      config,
      accounts: graphAccountsFrom({ T: GRAPH_TOKEN }),
      store,
      graph: new CachedAnalytics(graph, store, () => clock),
      charts: chartRenderer('local'),
      now: () => clock,
      prefix: '/waba',
    };
    const alerts = new AlertChecker({
      store,
      ctx,
      owner: 'replica-f',
      logger: silentLogger,
      delivery: new RecordingDelivery(),
    });
    return new Scheduler({
      store,
      ctx,
      owner: 'replica-f',
      logger: silentLogger,
      retryBaseMs: 1,
      alerts,
      post: async (target: ChatTarget, _result: CommandResult & { type: 'report' }) => {
        posts.push({ target, kind: 'digest' });
        await afterPost?.();
        return true;
      },
    });
  }

  it('runs a digest the store could not claim once the store is back, and once only', async () => {
    await store.preferences.addSubscription(
      {
        platform: 'slack',
        conversation: 'C0DIGEST',
        accountId: accounts[0]!.id,
        every: 'daily',
        at: '09:00',
        timezone: 'UTC',
        createdBy: 'U1',
      },
      Date.parse('2026-11-01T00:00:00Z'),
    );
    const s = scheduler();
    await proxy.down();
    clock = NINE;
    await s.tick(clock); // nothing can be claimed: nothing posted, nothing thrown
    expect(posts.filter((p) => p.kind === 'digest')).toHaveLength(0);
    await proxy.up();
    clock = NINE + 60_000;
    await s.tick(clock);
    clock = NINE + 120_000;
    await s.tick(clock);
    expect(posts.filter((p) => p.kind === 'digest' && p.target.conversation === 'C0DIGEST')).toHaveLength(1);
    const sub = (await store.preferences.listSubscriptions()).find((x) => x.conversation === 'C0DIGEST')!;
    expect((await store.runs.listRuns({ job: `digest:${sub.id}` })).map((r) => [r.period, r.status])).toEqual([['2026-11-02', 'posted']]);
  }, 60_000);

  it('records a post made just before the store went away, and does not post it again', async () => {
    await store.preferences.addSubscription(
      {
        platform: 'slack',
        conversation: 'C0LATE',
        accountId: accounts[0]!.id,
        every: 'daily',
        at: '10:00',
        timezone: 'UTC',
        createdBy: 'U1',
      },
      Date.parse('2026-11-01T00:00:00Z'),
    );
    const s = scheduler();
    const ten = Date.parse('2026-11-02T10:00:30Z');
    afterPost = () => proxy.down(); // the database goes away between the post and its record
    clock = ten;
    await s.tick(clock);
    afterPost = undefined;
    expect(posts.filter((p) => p.target.conversation === 'C0LATE')).toHaveLength(1);
    expect(s.state().unrecorded).toBe(1);
    await proxy.up();
    // Long after the claim's lease: a claim left "claimed" would be taken over and posted again.
    clock = ten + 20 * 60_000;
    await s.tick(clock);
    expect(s.state().unrecorded).toBe(0);
    clock = ten + 40 * 60_000;
    await s.tick(clock);
    expect(posts.filter((p) => p.target.conversation === 'C0LATE')).toHaveLength(1);
    const sub = (await store.preferences.listSubscriptions()).find((x) => x.conversation === 'C0LATE')!;
    expect((await store.runs.listRuns({ job: `digest:${sub.id}` })).filter((r) => r.period === '2026-11-02').map((r) => r.status)).toEqual([
      'posted',
    ]);
  }, 60_000);

  it('gives an alert check that failed on the store back, so the next minute runs it', async () => {
    const s = scheduler();
    const check = Date.parse('2026-11-02T11:00:10Z');
    await proxy.down();
    clock = check;
    await s.tick(clock);
    await proxy.up();
    clock = check + 60_000;
    await s.tick(clock);
    const runs = await store.runs.listRuns({ job: `alert-check:${accounts[0]!.name}:drops` });
    expect(runs.find((r) => r.period === String(Math.floor(check / (30 * 60_000))))).toMatchObject({ status: 'posted' });
  }, 60_000);
});
