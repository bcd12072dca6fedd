import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAnalytics } from '../../src/cache/bucketCache.js';
import { SettleLearner } from '../../src/cache/settleLearning.js';
import { composeReport } from '../../src/compose/composeReport.js';
import { buildConfig } from '../../src/configure.js';
import { GraphClient } from '../../src/graph/client.js';
import type { Logger } from '../../src/log.js';
import { reportJson } from '../../src/report/json.js';
import { sampleAccounts } from '../../src/sandbox/accounts.js';
import { SANDBOX_TOKEN_ENV, sandboxConfigDocument } from '../../src/sandbox/config.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { type RunningService, startService } from '../../src/serve/service.js';
import { openStore } from '../../src/store/sql.js';
import { startFakeSlack } from '../fakes/slack.js';
import { slashCommands } from '../helpers/slashCommands.js';
import { freshPostgresSchema, postgresUrl, storeBackends } from '../helpers/stores.js';

/**
 * People asking at the same moment: 50 `/waba report …` slash commands at once, on a cold bucket
 * cache, split between two replicas of the service (on PostgreSQL two stores, two connection
 * pools) on one database — the same account, range and granularity asked several times over,
 * mixed with other ranges, granularities and breakdowns. Every one is answered with its report,
 * and asked again, the warm cache gives the same answers. A cache the database refuses to keep
 * or to read, or keeps locked, costs nothing but the saving; read-then-write state (settle
 * curves, alert actions) written from two replicas at once loses nothing.
 */
const NOW = Date.UTC(2026, 10, 25, 10, 15);
const SIGNING_SECRET = 'concurrency-signing-secret-4d1c';
const GRAPH_TOKEN = 'EAAG-concurrency-graph-token-8812';
const accounts = sampleAccounts(NOW).slice(0, 2);

/** Ten asks, five times each: the same ask at the same moment is the commonest collision. */
const ASKS = [
  'report acme-retail 7d',
  'report acme-retail 7d by phone',
  'report acme-retail 30d by country',
  'report acme-retail yesterday hourly',
  'report acme-retail 24h',
  'report acme-retail 2026-08-01..2026-11-20 monthly',
  'report globex-support 7d',
  'report globex-support 7d daily by phone',
  'report globex-support 30d',
  'report globex-support yesterday hourly by country',
];
const STORM = Array.from({ length: 50 }, (_, i) => ASKS[i % ASKS.length]!);

type LogLine = { level: string; msg: string; err: string };

/** What the service logged at warn and above, to see what went wrong behind the answers. */
function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') return void lines.push({ level, msg: obj, err: '' });
      const err = (obj as { err?: unknown }).err;
      lines.push({ level, msg: msg ?? '', err: err instanceof Error ? err.message : String(err ?? '') });
    };
  const logger: Logger = { debug: () => {}, info: () => {}, warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

let sandbox: RunningSandbox;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let commands: ReturnType<typeof slashCommands>;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts, now: () => NOW, token: GRAPH_TOKEN, callsPerHour: 10_000_000 });
  slack = await startFakeSlack();
  commands = slashCommands(slack, SIGNING_SECRET);
});
afterAll(async () => {
  await slack.close();
  await sandbox.close();
});

const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');

/**
 * A database of each kind, a way in for the test itself (to sabotage it), and the stores of two
 * replicas: two pools on PostgreSQL; on SQLite, one process's database, both share the one
 * connection (a second connection in the same process would wait for the first synchronously,
 * blocking the very event loop the first needs to finish).
 */
const databases = [
  {
    name: 'SQLite',
    async open() {
      const path = join(mkdtempSync(join(tmpdir(), 'waba-pulse-concurrent-')), 'store.db');
      return {
        url: `sqlite:${path}`,
        async replicas() {
          const store = await openStore(`sqlite:${path}`);
          return { stores: [store, store], close: () => store.close() };
        },
        table: (name: string) => name,
        async admin(text: string) {
          const db = new Database(path);
          db.exec(text);
          db.close();
        },
        /** Another connection holding the database's write lock until released. */
        async lockCache() {
          const db = new Database(path);
          db.exec('begin immediate');
          return async () => {
            db.exec('rollback');
            db.close();
          };
        },
        cleanup: async () => {},
      };
    },
  },
  ...(hasPostgres
    ? [
        {
          name: 'PostgreSQL',
          async open() {
            const db = await freshPostgresSchema();
            return {
              ...db,
              async replicas() {
                const stores = [await openStore(db.url), await openStore(db.url)];
                return { stores, close: async () => void (await Promise.all(stores.map((store) => store.close()))) };
              },
              table: (name: string) => `${db.schema}.${name}`,
              admin: (text: string) => db.admin(text),
              /** Another session holding the cache's table against writers until released (as a migration or a failover would). */
              async lockCache() {
                const client = new pg.Client({ connectionString: postgresUrl() });
                await client.connect();
                await client.query(`begin; lock table ${db.schema}.bucket_cache in exclusive mode`);
                return async () => {
                  await client.query('rollback');
                  await client.end();
                };
              },
            };
          },
        },
      ]
    : []),
];

function configFor(databaseUrl: string) {
  return buildConfig(
    {
      ...sandboxConfigDocument(accounts, sandbox.url),
      access: [{ slack: { channel: 'C0OPS' }, accounts: '*' }],
      graph: { apiUrl: sandbox.url, maxAttempts: 1, timeout: '30s', callsPerReport: 100, callsPerHour: 1_000_000 },
    },
    {
      [SANDBOX_TOKEN_ENV]: GRAPH_TOKEN,
      DATABASE_URL: databaseUrl,
      SLACK_BOT_TOKEN: 'xoxb-concurrency-bot',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
    },
  );
}

describe.each(databases)('reports at once on $name', (database) => {
  it('answers 50 at once on a cold cache, on two replicas, every one with its report; the warm cache answers the same', async () => {
    const db = await database.open();
    const logs: LogLine[] = [];
    const config = configFor(db.url);
    const { stores, close } = await db.replicas();
    const replicas: RunningService[] = [];
    try {
      for (const store of stores)
        replicas.push(
          await startService({
            config,
            env: { [SANDBOX_TOKEN_ENV]: GRAPH_TOKEN },
            logger: recordingLogger(logs),
            now: () => NOW,
            port: 0,
            host: '127.0.0.1',
            store,
            schedule: false,
          }),
        );
      const storm = async () => {
        const ids = await Promise.all(STORM.map((text, i) => commands.ask(replicas[i % 2]!, text)));
        return Promise.all(ids.map((id) => commands.answer(id)));
      };
      const coldCalls = sandbox.stats.requests;
      const started = performance.now();
      const cold = await storm();
      const coldMs = performance.now() - started;
      const failed = cold.filter((a) => !a.inChannel);
      // What went wrong behind the answers, by log line: none of it may reach a person.
      const logged = new Map<string, number>();
      for (const l of logs) logged.set(`${l.msg}: ${l.err}`, (logged.get(`${l.msg}: ${l.err}`) ?? 0) + 1);
      console.log(
        `50 concurrent cold reports on ${database.name}, two replicas: ${failed.length} failed in ${Math.round(coldMs)} ms`,
        Object.fromEntries(logged),
      );
      expect(failed.map((a) => a.text)).toEqual([]);
      // Nothing went wrong behind them either: every cache write was kept.
      expect(logs).toEqual([]);
      // The same ask answers the same, whichever replica and however crowded.
      for (let i = 0; i < STORM.length; i++) expect(cold[i]!.blocks, STORM[i]).toEqual(cold[i % ASKS.length]!.blocks);

      // Warm: the cache that 50 writers filled at once answers as Graph did, for fewer calls.
      const warmCalls = sandbox.stats.requests;
      const warm = await storm();
      for (let i = 0; i < STORM.length; i++) expect(warm[i]!.blocks, STORM[i]).toEqual(cold[i]!.blocks);
      expect(sandbox.stats.requests - warmCalls).toBeLessThan((warmCalls - coldCalls) / 2);
    } finally {
      for (const replica of replicas) await replica.close();
      await close();
      await db.cleanup();
    }
  }, 180_000);

  /** A store on a fresh database of this kind, a Graph client, and reports of 3 days (by phone, if asked) through a cache whose logs are kept. */
  async function cacheAlone() {
    const db = await database.open();
    // A writer gives up after a second here (15 s on PostgreSQL, 5 s on SQLite by default).
    const store = await openStore(db.url, { writerWaitMs: 1_000 });
    const config = configFor(db.url);
    const graph = new GraphClient({ ...config.graph, now: () => NOW });
    const logs: LogLine[] = [];
    const report = (source: 'cache' | 'graph', by?: 'phone') =>
      composeReport(
        { graph: source === 'cache' ? new CachedAnalytics(graph, store, () => NOW, recordingLogger(logs)) : graph, now: () => NOW },
        {
          account: config.accounts[0]!,
          token: GRAPH_TOKEN,
          range: { start: Math.floor(NOW / 1000) - 3 * 86_400, end: Math.floor(NOW / 1000) },
          granularity: 'half_hour',
          by,
        },
      );
    const close = async () => {
      await graph.close();
      await store.close();
      await db.cleanup();
    };
    return { db, store, config, logs, report, close };
  }

  it("answers when the database refuses the cache's writes, or cannot read it: logged, and the report as Graph's", async () => {
    const { db, store, config, logs, report, close } = await cacheAlone();
    try {
      const direct = reportJson(await report('graph', 'phone'));
      // A rule of the database's own (a trigger, as a constraint or a full quota would) refuses every bucket.
      await db.admin(
        database.name === 'SQLite'
          ? `create trigger refuse_buckets before insert on bucket_cache begin select raise(abort, 'refused by the test'); end;`
          : `create function ${db.table('refuse_buckets')}() returns trigger language plpgsql as $$ begin raise exception 'refused by the test' using errcode = '23514'; end $$;
             create trigger refuse_buckets before insert on ${db.table('bucket_cache')} for each row execute function ${db.table('refuse_buckets')}();`,
      );
      expect(reportJson(await report('cache', 'phone'))).toEqual(direct);
      expect(logs.map((l) => [l.msg, l.err])).toContainEqual(['bucket cache not saved', expect.stringContaining('refused by the test')]);
      expect(await store.buckets.bucketCoverage(JSON.stringify([config.accounts[0]!.id, 'HALF_HOUR', [], [], []]))).toBeUndefined();

      // A table gone (a botched migration): unreadable, so Graph answers it all.
      logs.length = 0;
      await db.admin(`drop table ${db.table('bucket_coverage')}`);
      expect(reportJson(await report('cache', 'phone'))).toEqual(direct);
      expect(logs.map((l) => l.msg)).toContain('bucket cache unreadable; asking Graph for everything');
    } finally {
      await close();
    }
  });

  it('answers while another session holds the cache locked: the write gives up after a while, logged', async () => {
    const { db, logs, report, close } = await cacheAlone();
    const release = await db.lockCache();
    try {
      // Released only once the report is in: a write waiting for the lock without bound never lets it finish.
      // (One scope: on SQLite each write waits out busy_timeout synchronously, one after the other.)
      expect((await report('cache')).totals.sent).toBeGreaterThan(0);
      expect(logs.map((l) => l.msg)).toContain('bucket cache not saved: database unavailable');
    } finally {
      await release();
      await close();
    }
  }, 30_000);

  it('keeps everything two replicas learn of settling at the same moment', async () => {
    const db = await database.open();
    const { stores: replicas, close } = await db.replicas();
    try {
      // Ten checks, five on each replica, each seeing a half hour of one account young and then settled.
      const bucket = { start: Math.floor(NOW / 1000) - 1800, end: Math.floor(NOW / 1000) };
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const learner = new SettleLearner(replicas[i % 2]!, () => NOW);
          learner.observe('a1', `key${i}`, [{ ...bucket, sent: 100, delivered: 60 }]);
          await learner.settle('a1', `key${i}`, [{ ...bucket, sent: 100, delivered: 98 }]);
        }),
      );
      const stats = (await replicas[0]!.buckets.settleStats('a1'))!;
      expect(stats.count.reduce((a, b) => a + b, 0)).toBe(10);
    } finally {
      await close();
      await db.cleanup();
    }
  });

  it('records every press when twenty people acknowledge one alert at once, on two replicas', async () => {
    const db = await database.open();
    const { stores: replicas, close } = await db.replicas();
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          replicas[i % 2]!.alerts.recordAlertAction('alert-1', { status: 'acknowledged', by: `U${i}`, at: NOW + i }),
        ),
      );
      const history = await replicas[0]!.alerts.alertHistory('alert-1');
      expect(history.map((a) => a.by).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `U${i}`).sort());
    } finally {
      await close();
      await db.cleanup();
    }
  });
});
