import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_DOWN_NOTE, CachedAnalytics } from '../src/cache/bucketCache.js';
import { chartRenderer } from '../src/charts/render.js';
import type { CommandContext } from '../src/chat/context.js';
import { composeReport } from '../src/compose/composeReport.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { chartedReport } from '../src/compose/request.js';
import { buildConfig } from '../src/configure.js';
import { StoreUnavailableError } from '../src/errors.js';
import { GraphClient } from '../src/graph/client.js';
import { reportJson } from '../src/report/json.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { storeBackends } from './helpers/stores.js';

const START = Date.UTC(2026, 10, 25, 10, 0);
let clock = START;
let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(START), now: () => clock, callsPerHour: 1_000_000 });
});
afterAll(() => sandbox.close());

const backends = await storeBackends();

/** Acme (Kolkata) against the sandbox, straight and through a bucket cache on a fresh store of `backend`. */
async function acmeThroughCache(backend: (typeof backends)[number]) {
  const store = await backend.open();
  const config = buildConfig(
    { accounts: [{ id: '104729384756102', name: 'acme', token: '${T}', timezone: 'Asia/Kolkata' }] },
    { GRAPH_API_URL: sandbox.url },
  );
  const graph = new GraphClient({ ...config.graph, now: () => clock });
  return { store, graph, cached: new CachedAnalytics(graph, store, () => clock), account: config.accounts[0]! };
}

describe.each(backends)('the bucket cache on $name', (backend) => {
  it('answers repeated checks from settled buckets, asking Graph only for the recent window', async () => {
    clock = START;
    const { store, graph, cached, account } = await acmeThroughCache(backend);
    const check = async (source: typeof graph | typeof cached) => {
      const before = sandbox.stats.requests;
      const report = await composeReport(
        { graph: source, now: () => clock },
        {
          account,
          token: 'sandbox-token',
          range: { start: Math.floor(clock / 1000) - 86_400, end: Math.floor(clock / 1000) },
          granularity: 'half_hour',
          by: 'phone',
        },
      );
      return { report, requests: sandbox.stats.requests - before };
    };
    try {
      const cold = await check(cached);
      expect(cold.requests).toBe(8); // 8 days of half hours in 7-day chunks, for the account and 3 numbers
      for (let i = 1; i <= 4; i++) {
        clock = START + i * 30 * 60_000;
        const warm = await check(cached);
        const direct = await check(graph);
        expect(warm.requests).toBe(4); // one small request per scope: the window that may still change
        expect(reportJson(warm.report)).toEqual(reportJson(direct.report));
      }
      expect(cached.hits / (cached.hits + cached.misses)).toBe(16 / 20);
      // Breakdown keys come back from the cache too.
      expect((await check(cached)).report.breakdown?.items.map((i) => i.key)).toEqual(cold.report.breakdown?.items.map((i) => i.key));
    } finally {
      await graph.close();
      await store.close();
    }
  });

  it("keeps counts past 2^31 - 1 (a big WABA's month) exactly", async () => {
    const store = await backend.open();
    try {
      const big = 3_000_000_000;
      await store.buckets.writeBuckets('big', { start: 0, end: 3600 }, [{ start: 0, end: 1800, sent: big, delivered: big - 7 }], {
        phoneNumbers: [],
        countryCodes: [],
      });
      expect(await store.buckets.readBuckets('big', 0, 3600)).toEqual([{ start: 0, end: 1800, sent: big, delivered: big - 7 }]);
    } finally {
      await store.close();
    }
  });

  it("keeps a monthly report's days when a 30-day report moves the same key on: asked again, it comes from the cache", async () => {
    clock = START;
    const { store, graph, cached, account } = await acmeThroughCache(backend);
    const report = async (range: { start: number; end: number }, granularity: 'day' | 'month') => {
      const before = sandbox.stats.requests;
      const built = await composeReport({ graph: cached, now: () => clock }, { account, token: 'sandbox-token', range, granularity });
      return { built, requests: sandbox.stats.requests - before };
    };
    const monthly = { start: Date.UTC(2026, 6, 31, 18, 30) / 1000, end: Date.UTC(2026, 10, 19, 18, 30) / 1000 }; // 1 Aug – 20 Nov, Kolkata
    try {
      const cold = await report(monthly, 'month');
      expect(cold.requests).toBeGreaterThan(1);
      clock = START + 86_400_000;
      const now = Math.floor(clock / 1000);
      await report({ start: now - 30 * 86_400, end: now }, 'day'); // extends the day key past 45 days of it
      const again = await report(monthly, 'month');
      expect(again.requests).toBe(0);
      expect(reportJson(again.built).totals).toEqual(reportJson(cold.built).totals);
    } finally {
      await graph.close();
      await store.close();
    }
  });

  it('serves "report … 24h" (times in whole seconds) through the cache', async () => {
    clock = START + 17_321; // not on a whole second boundary of anything
    const store = await backend.open();
    const config = buildConfig(
      { accounts: [{ id: '104729384756102', name: 'acme', token: '${T}', timezone: 'Asia/Kolkata' }] },
      { GRAPH_API_URL: sandbox.url },
    );
    const graph = new GraphClient({ ...config.graph, now: () => clock });
    const ctx: CommandContext = {
      config,
      accounts: graphAccountsFrom({ T: 'sandbox-token' }),
      store,
      graph: new CachedAnalytics(graph, store, () => clock + 0.5),
      charts: chartRenderer('local'),
      now: () => clock + 0.5,
      prefix: '/waba',
    };
    try {
      for (const range of ['24h', '48h']) {
        const result = await chartedReport(ctx, config.accounts[0]!, { range: { last: range } });
        expect(Number.isInteger(result.report.range.start)).toBe(true);
        expect(result.report.totals.sent).toBeGreaterThan(0);
      }
    } finally {
      await graph.close();
      await store.close();
    }
  });

  it('still answers when the database is down: everything from Graph, and a note saying so', async () => {
    clock = START;
    const store = await backend.open();
    const config = buildConfig(
      { accounts: [{ id: '104729384756102', name: 'acme', token: '${T}', timezone: 'Asia/Kolkata' }] },
      { GRAPH_API_URL: sandbox.url },
    );
    const graph = new GraphClient({ ...config.graph, now: () => clock });
    const down = new Proxy(store.buckets, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async () => {
          throw new StoreUnavailableError('the database is unreachable (ECONNREFUSED)');
        };
      },
    });
    try {
      const report = await composeReport(
        { graph: new CachedAnalytics(graph, { buckets: down }, () => clock), now: () => clock },
        {
          account: config.accounts[0]!,
          token: 'sandbox-token',
          range: { start: Math.floor(clock / 1000) - 86_400, end: Math.floor(clock / 1000) },
          granularity: 'half_hour',
        },
      );
      expect(report.totals.sent).toBeGreaterThan(0);
      expect(report.notes).toContain(CACHE_DOWN_NOTE);
    } finally {
      await graph.close();
      await store.close();
      await backend.cleanup();
    }
  });
});
