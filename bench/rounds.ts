/**
 * One alert-check round and one digest round (with charts) for 500 accounts against a sandbox
 * Graph answering in 100 ms (in its own process), posting to a fake Slack: wall time, Graph
 * requests per round, peak RSS; then the digest round again with two replicas sharing one
 * PostgreSQL (each digest must be posted once).
 * Run: npm run bench:rounds   (PostgreSQL at TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
 * It runs compiled JavaScript (tsconfig.bench.json), as `serve` does: under tsx the loader
 * alone adds about 60 MiB to the process.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AlertChecker } from '../src/alerts/checker.js';
import { CachedAnalytics } from '../src/cache/bucketCache.js';
import { chartRenderer } from '../src/charts/render.js';
import type { CommandContext } from '../src/chat/context.js';
import { createSlackSurface } from '../src/chat/slack/app.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { Scheduler } from '../src/jobs/scheduler.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts, syntheticAccounts } from '../src/sandbox/accounts.js';
import { openStore, type SqlStore } from '../src/store/sql.js';
import { startFakeSlack } from '../test/fakes/slack.js';
import { forkSandbox } from './sandboxProcess.js';

const ACCOUNTS = 500;
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function main(): Promise<void> {
  const now = Date.now();
  let clock = now;
  const sandbox = await forkSandbox({ extraAccounts: ACCOUNTS - 3, latencyMs: 100, now });
  const slack = await startFakeSlack();
  const accounts = [...sampleAccounts(now), ...syntheticAccounts(ACCOUNTS - 3)];
  const config = buildConfig(
    {
      accounts: accounts.map((a) => ({ id: a.id, name: a.name, token: '${T}', timezone: a.timezone })),
      graph: { concurrency: 16, callsPerHour: 1_000_000 },
      alerts: accounts.map((a) => ({ name: 'delivery', account: a.name, drillDown: [], targets: [{ slack: { channel: 'C0ALERTS' } }] })),
    },
    { GRAPH_API_URL: sandbox.url, SLACK_API_URL: slack.apiUrl },
  );
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

  async function replica(store: SqlStore, owner: string) {
    const graph = new GraphClient({ ...config.graph, now: () => now });
    const ctx: CommandContext = {
      config,
      accounts: graphAccountsFrom({ T: 'sandbox-token' }),
      store,
      graph: new CachedAnalytics(graph, store, () => clock),
      charts: chartRenderer('local'),
      now: () => clock,
      prefix: '/waba',
    };
    const surface = createSlackSurface(
      { botToken: 'xoxb-bench', signingSecret: 'bench', apiUrl: slack.apiUrl, command: '/waba' },
      ctx,
      silentLogger,
    );
    await surface.start();
    const alerts = new AlertChecker({
      store,
      ctx,
      owner,
      logger: silentLogger,
      delivery: {
        post: (t, alert) => surface.postAlert(t.conversation, alert),
        update: (t, ref, alert) => surface.updateAlert(t.conversation, ref, alert),
        reply: (t, ref, alert, kind) => surface.replyToAlert(t.conversation, ref, alert, kind),
      },
    });
    const scheduler = new Scheduler({
      store,
      ctx,
      owner,
      logger: silentLogger,
      post: async (t, result) => (await surface.postReport(t.conversation, result)).delivered,
    });
    return { graph, alerts, scheduler };
  }

  async function subscribeAll(store: SqlStore) {
    // Every account's digest is due one minute before `now`, each in its own channel.
    const due = new Date(now - 60_000);
    for (const a of accounts) {
      await store.preferences.addSubscription(
        {
          platform: 'slack',
          conversation: `C0${a.id}`,
          accountId: a.id,
          every: 'daily',
          at: `${String(due.getUTCHours()).padStart(2, '0')}:${String(due.getUTCMinutes()).padStart(2, '0')}`,
          timezone: 'UTC',
          createdBy: 'bench',
        },
        now - 86_400_000,
      );
    }
  }

  const CONCURRENCY = 16;
  const LATENCY_MS = 100;
  const measure = async (label: string, work: () => Promise<unknown>, options: { ideal?: boolean } = {}) => {
    const before = await sandbox.requests();
    const posts = slack.calls.filter((c) => c.method === 'chat.postMessage').length;
    const started = performance.now();
    await work();
    const ms = performance.now() - started;
    const requests = (await sandbox.requests()) - before;
    const posted = slack.calls.filter((c) => c.method === 'chat.postMessage').length - posts;
    // The floor: every request waited on at full concurrency, nothing else.
    const ideal = (requests * LATENCY_MS) / CONCURRENCY;
    const ratio = options.ideal && requests ? `  ${(ms / ideal).toFixed(2)}× the ideal ${(ideal / 1000).toFixed(2)} s` : '';
    console.log(
      `${label.padEnd(48)} ${(ms / 1000).toFixed(1).padStart(7)} s ${String(requests).padStart(7)} Graph requests ${String(posted).padStart(5)} posts${ratio}`,
    );
    return { posted, requests, ms, ideal };
  };

  console.log(
    `waba-pulse rounds: ${ACCOUNTS} accounts, sandbox Graph 100 ms per request (own process), Graph concurrency 16, node ${process.version}\n`,
  );
  // A database file, as `serve` keeps by default (./data), not an in-memory one.
  const sqlite = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), 'waba-pulse-rounds-')), 'store.db')}`);
  await subscribeAll(sqlite);
  const one = await replica(sqlite, 'replica-1');
  const cold = await measure('alert-check round (account level), cold cache', () => one.alerts.tick(clock), { ideal: true });
  await measure('alert-check round, same period again (claimed)', () => one.alerts.tick(clock));
  // The next check, 30 minutes on (the sandbox's clock too): settled buckets come from the cache.
  clock = now + 30 * 60_000;
  await sandbox.setClock(clock);
  await measure('alert-check round, next period, warm cache', () => one.alerts.tick(clock), { ideal: true });
  clock = now;
  await sandbox.setClock(clock);
  await measure('digest round with charts (SQLite)', () => one.scheduler.tick(now), { ideal: true });
  await one.graph.close();
  await sqlite.close();

  // Two replicas on one PostgreSQL, both ticking at once.
  const schema = `wp_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  try {
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    const [storeA, storeB] = [await openStore(POSTGRES_URL, { searchPath: schema }), await openStore(POSTGRES_URL, { searchPath: schema })];
    await subscribeAll(storeA);
    const [a, b] = [await replica(storeA, 'replica-a'), await replica(storeB, 'replica-b')];
    const first = slack.calls.length;
    const { posted } = await measure('digest round, two replicas on PostgreSQL', () =>
      Promise.all([a.scheduler.tick(now), b.scheduler.tick(now)]),
    );
    const channels = slack.calls
      .slice(first)
      .filter((c) => c.method === 'chat.postMessage')
      .map((c) => c.args.channel);
    console.log(`  ${posted} digests posted for ${ACCOUNTS} subscriptions, ${channels.length - new Set(channels).size} duplicates`);
    const runs = await storeA.runs.listRuns({ limit: 10_000 });
    console.log(
      `  runs by replica: ${['replica-a', 'replica-b'].map((o) => `${o} ${runs.filter((r) => r.claimedBy === o && r.status === 'posted').length}`).join(', ')}`,
    );
    await a.graph.close();
    await b.graph.close();
    await storeA.close();
    await storeB.close();
    await admin.query(`drop schema if exists ${schema} cascade`);
  } catch (err) {
    console.log(`(two-replica round skipped: PostgreSQL not reachable: ${(err as Error).message})`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  clearInterval(sample);
  console.log(`\ncold alert-check round: ${(cold.ms / cold.ideal).toFixed(2)}× its ideal (target ≤ 1.5×)`);
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB, ${(peakRss / 1e6 / 400).toFixed(2)} of the 400 MB target`);
  await slack.close();
  await sandbox.close();
}

await main();
