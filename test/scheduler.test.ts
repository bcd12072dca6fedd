import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartRenderer } from '../src/charts/render.js';
import type { CommandContext, CommandResult } from '../src/chat/context.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { Scheduler } from '../src/jobs/scheduler.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import type { SqlStore } from '../src/store/sql.js';
import type { ChatTarget } from '../src/store/types.js';
import { storeBackends } from './helpers/stores.js';

const GRAPH_TOKEN = 'EAAG-scheduler-token-99';
// Sunday 25 Oct 2026: Berlin goes back to CET that night.
const at = (iso: string, zone = 'Europe/Berlin') => DateTime.fromISO(iso, { zone }).toMillis();
const START = at('2026-10-24T08:00');
let sandbox: RunningSandbox;
let clock = START;

beforeAll(async () => {
  sandbox = await startSandbox({
    accounts: sampleAccounts(at('2026-10-20T00:00')),
    now: () => clock,
    token: GRAPH_TOKEN,
    callsPerHour: 1_000_000,
  });
});
afterAll(() => sandbox.close());

const backends = await storeBackends();

describe.each(backends)('digests on $name', (backend) => {
  const stores: SqlStore[] = [];
  const graphs: GraphClient[] = [];
  const open = async () => {
    const store = await backend.open();
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const g of graphs) await g.close();
    await backend.cleanup();
  });

  const config = (digests: unknown[] = []) =>
    buildConfig(
      {
        accounts: sampleAccounts(START)
          .slice(0, 2)
          .map((a) => ({ id: a.id, name: a.name, displayName: a.displayName, token: '${GRAPH_TOKEN}', timezone: a.timezone })),
        digests,
      },
      { GRAPH_API_URL: sandbox.url },
    );

  type Post = { target: ChatTarget; title: string; by: string; dimension?: string | undefined; days?: number };
  function scheduler(
    store: SqlStore,
    posts: Post[],
    options: { owner?: string; fail?: Record<string, number>; config?: ReturnType<typeof config> } = {},
  ) {
    const cfg = options.config ?? config();
    const graph = new GraphClient({ ...cfg.graph, now: () => clock });
    graphs.push(graph);
    const ctx: CommandContext = {
      config: cfg,
      accounts: graphAccountsFrom({ GRAPH_TOKEN }),
      store,
      graph,
      charts: chartRenderer('local'),
      now: () => clock,
      prefix: '/waba',
    };
    const failures = { ...options.fail };
    return new Scheduler({
      store,
      ctx,
      logger: silentLogger,
      retryBaseMs: 5,
      ...(options.owner ? { owner: options.owner } : {}),
      post: async (target, result: CommandResult & { type: 'report' }) => {
        if ((failures[target.conversation] ?? 0) > 0) {
          failures[target.conversation]!--;
          throw new Error('Slack answered 500');
        }
        const { range, breakdown } = result.report;
        posts.push({
          target,
          title: `${result.report.account.name} ${DateTime.fromSeconds(range.start, { zone: range.timezone }).toISODate()}`,
          by: options.owner ?? '',
          dimension: breakdown?.by,
          days: Math.round((range.end - range.start) / 86_400),
        });
        return true;
      },
    });
  }

  async function subscribe(store: SqlStore, conversation: string, timezone: string, accountId = '104729384756102') {
    return store.preferences.addSubscription(
      { platform: 'slack', conversation, accountId, every: 'daily', at: '09:00', timezone, createdBy: 'U1' },
      at('2026-10-20T00:00'),
    );
  }

  it('posts a 09:00 digest once, at 09:00 local time in two zones, across the DST change', async () => {
    const store = await open();
    await subscribe(store, 'C0BERLIN', 'Europe/Berlin');
    await subscribe(store, 'C0NEWYORK', 'America/New_York');
    const posts: Post[] = [];
    const s = scheduler(store, posts);
    clock = at('2026-10-25T08:59'); // Berlin, the morning after clocks went back
    await s.tick(clock); // the days before are past the grace window: recorded as skipped
    expect(posts).toEqual([]);
    clock = at('2026-10-25T09:00:30');
    await s.tick(clock);
    expect(posts.map((p) => [p.target.conversation, p.title])).toEqual([['C0BERLIN', 'acme-retail 2026-10-24']]);
    clock = at('2026-10-25T09:05');
    await s.tick(clock);
    expect(posts).toHaveLength(1);
    clock = at('2026-10-25T09:00:30', 'America/New_York');
    await s.tick(clock);
    expect(posts.map((p) => p.target.conversation)).toEqual(['C0BERLIN', 'C0NEWYORK']);
    const runs = await store.runs.listRuns();
    expect(runs.filter((r) => r.status === 'posted').length).toBeGreaterThanOrEqual(2);
  });

  it('posts each digest exactly once with two and with three replicas on one database', async () => {
    const store = await open();
    await subscribe(store, 'C0REPLICAS', 'Asia/Kolkata');
    for (const replicas of [2, 3]) {
      const posts: Post[] = [];
      const day = replicas === 2 ? '2026-10-26' : '2026-10-27';
      clock = at(`${day}T09:00:20`, 'Asia/Kolkata');
      const schedulers = await Promise.all(
        Array.from({ length: replicas }, async (_, i) => scheduler(await open(), posts, { owner: `replica-${i}` })),
      );
      // Every replica starts with a week of catch-up, then they all tick at the same moment.
      await Promise.all(schedulers.map((s) => s.tick(clock)));
      await Promise.all(schedulers.map((s) => s.tick(clock + 1_000)));
      const forToday = posts.filter(
        (p) => p.target.conversation === 'C0REPLICAS' && p.title.endsWith(DateTime.fromISO(day).minus({ days: 1 }).toISODate()!),
      );
      expect(forToday).toHaveLength(1);
      expect(new Set(posts.map((p) => p.title)).size).toBe(posts.length);
    }
  });

  it('after a crash mid-run, a restarted replica takes the stale claim over and posts once', async () => {
    const store = await open();
    const sub = await subscribe(store, 'C0CRASH', 'Europe/Berlin', '109876543210987');
    clock = at('2026-10-28T09:00:05');
    // The crashed process claimed the run and died before posting.
    expect(await store.runs.claimRun(`digest:${sub.id}`, '2026-10-28', 'crashed-replica', clock, 10 * 60_000)).toBe(true);
    const posts: Post[] = [];
    const restarted = scheduler(await open(), posts, { owner: 'restarted' });
    clock = at('2026-10-28T09:05');
    await restarted.tick(clock); // the lease (10 min) has not run out: not yet
    expect(posts.filter((p) => p.target.conversation === 'C0CRASH' && p.title.endsWith('2026-10-27'))).toHaveLength(0);
    clock = at('2026-10-28T09:20');
    await restarted.tick(clock);
    await restarted.tick(clock + 60_000);
    expect(posts.filter((p) => p.target.conversation === 'C0CRASH' && p.title.endsWith('2026-10-27'))).toHaveLength(1);
    const run = (await store.runs.listRuns({ job: `digest:${sub.id}` })).find((r) => r.period === '2026-10-28')!;
    expect(run).toMatchObject({ status: 'posted', claimedBy: 'restarted' });
  });

  it('sends digests missed within the grace window late, records older ones as skipped', async () => {
    const store = await open();
    const sub = await subscribe(store, 'C0LATE', 'Europe/Berlin', '109876543210987');
    const posts: Post[] = [];
    clock = at('2026-10-30T12:00'); // started 3 hours after the 30 Oct digest, days after the others
    await scheduler(store, posts).tick(clock);
    const runs = await store.runs.listRuns({ job: `digest:${sub.id}` });
    expect(runs.find((r) => r.period === '2026-10-30')).toMatchObject({ status: 'posted' });
    expect(runs.find((r) => r.period === '2026-10-29')).toMatchObject({
      status: 'skipped',
      detail: expect.stringMatching(/^missed by 27h \(grace 6h\)$/),
    });
    expect(posts.filter((p) => p.target.conversation === 'C0LATE')).toHaveLength(1);
  });

  it('retries a failed post, then records the failure', async () => {
    const store = await open();
    const flaky = await subscribe(store, 'C0FLAKY', 'Europe/Berlin', '109876543210987');
    clock = at('2026-10-31T09:00:10');
    const posts: Post[] = [];
    await scheduler(store, posts, { fail: { C0FLAKY: 2 } }).tick(clock);
    expect((await store.runs.listRuns({ job: `digest:${flaky.id}` })).find((r) => r.period === '2026-10-31')).toMatchObject({
      status: 'posted',
      attempts: 3,
    });

    const broken = await subscribe(store, 'C0BROKEN', 'Europe/Berlin', '104729384756102');
    clock = at('2026-11-01T09:00:10');
    await scheduler(store, posts, { fail: { C0BROKEN: 99 } }).tick(clock);
    expect((await store.runs.listRuns({ job: `digest:${broken.id}` })).find((r) => r.period === '2026-11-01')).toMatchObject({
      status: 'failed',
      attempts: 3,
      detail: 'Slack answered 500',
    });
  });
});

// A database of their own: the subscriptions above must not run here.
describe.each(await storeBackends())('digests from the config file on $name', (backend) => {
  const stores: SqlStore[] = [];
  const graphs: GraphClient[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const g of graphs) await g.close();
    await backend.cleanup();
  });
  const [acme, globex] = sampleAccounts(START);
  const document = {
    accounts: [acme!, globex!].map((a) => ({
      id: a.id,
      name: a.name,
      displayName: a.displayName,
      token: '${GRAPH_TOKEN}',
      timezone: a.timezone,
    })),
    digests: [
      // acme's zone is Asia/Kolkata; this digest runs on Berlin time, to two platforms.
      {
        account: 'acme-retail',
        every: 'daily',
        at: '07:30',
        timezone: 'Europe/Berlin',
        by: 'country',
        targets: [{ slack: { channel: 'C0CFGDAILY' } }, { teams: { conversation: '19:cfgdaily@thread.tacv2' } }],
      },
      { account: globex!.name, every: 'weekly', day: 'wed', at: '08:15', by: 'phone', targets: [{ slack: { channel: 'C0CFGWEEKLY' } }] },
    ],
  };
  const cfg = () => buildConfig(document, { GRAPH_API_URL: sandbox.url });
  type Post = { target: string; account: string; day: string; days: number; dimension: string | undefined; owner: string };

  async function replica(owner: string, posts: Post[]) {
    const store = await backend.open();
    stores.push(store);
    const config = cfg();
    const graph = new GraphClient({ ...config.graph, now: () => clock });
    graphs.push(graph);
    const ctx: CommandContext = {
      config,
      accounts: graphAccountsFrom({ GRAPH_TOKEN }),
      store,
      graph,
      charts: chartRenderer('local'),
      now: () => clock,
      prefix: '/waba',
    };
    const scheduler = new Scheduler({
      store,
      ctx,
      logger: silentLogger,
      retryBaseMs: 5,
      owner,
      post: async (target, result: CommandResult & { type: 'report' }) => {
        const { range, breakdown, account } = result.report;
        posts.push({
          target: `${target.platform}:${target.conversation}`,
          account: account.name,
          day: DateTime.fromSeconds(range.start, { zone: range.timezone }).toISODate()!,
          days: Math.round((range.end - range.start) / 86_400),
          dimension: breakdown?.by,
          owner,
        });
        return true;
      },
    });
    return { store, scheduler };
  }

  it('posts each configured target once across two replicas, at its own day, time and zone, with its breakdown', async () => {
    const posts: Post[] = [];
    const replicas = [await replica('cfg-a', posts), await replica('cfg-b', posts)];
    const tickAll = async (iso: string, zone: string) => {
      clock = at(iso, zone);
      await Promise.all(replicas.map((r) => r.scheduler.tick(clock)));
    };
    // Tuesday 3 Nov 2026, 07:29 Berlin: nothing due yet (older days are past the grace window).
    await tickAll('2026-11-03T07:29', 'Europe/Berlin');
    expect(posts).toEqual([]);
    await tickAll('2026-11-03T07:30:20', 'Europe/Berlin');
    expect(posts.map((p) => [p.target, p.account, p.day, p.days, p.dimension]).sort()).toEqual([
      ['slack:C0CFGDAILY', 'acme-retail', '2026-11-02', 1, 'country'],
      ['teams:19:cfgdaily@thread.tacv2', 'acme-retail', '2026-11-02', 1, 'country'],
    ]);
    // Later ticks the same day post nothing more.
    await tickAll('2026-11-03T12:00', 'Europe/Berlin');
    expect(posts).toHaveLength(2);
    // The weekly one goes out on Wednesday 08:15 in the account's own zone, covering seven days.
    const weeklyZone = globex!.timezone;
    await tickAll('2026-11-04T08:14', weeklyZone);
    expect(posts.filter((p) => p.target === 'slack:C0CFGWEEKLY')).toEqual([]);
    await tickAll('2026-11-04T08:15:30', weeklyZone);
    const weekly = posts.filter((p) => p.target === 'slack:C0CFGWEEKLY');
    expect(weekly.map((p) => [p.account, p.day, p.days, p.dimension])).toEqual([[globex!.name, '2026-10-28', 7, 'phone']]);
    // What `runs` lists: one posted run per target and period, claimed by one replica or the other.
    const runs = await replicas[0]!.store.runs.listRuns({ limit: 100 });
    const configRuns = runs.filter((r) => r.job.startsWith('digest:config:') && r.status === 'posted');
    expect(
      configRuns
        .filter((r) => r.period === '2026-11-03' || r.period === '2026-W45')
        .map((r) => r.period)
        .sort(),
    ).toEqual(['2026-11-03', '2026-11-03', '2026-W45']);
    expect(new Set(configRuns.map((r) => `${r.job} ${r.period}`)).size).toBe(configRuns.length);
    expect(new Set(posts.map((p) => `${p.target} ${p.day}`)).size).toBe(posts.length);
  });

  it('does not double-post when a chat subscription and the config cover the same channel and account', async () => {
    const posts: Post[] = [];
    const { store, scheduler } = await replica('cfg-overlap', posts);
    // The same channel and account as the config's daily digest; and another channel, which still runs.
    for (const conversation of ['C0CFGDAILY', 'C0CHATONLY']) {
      const subscription = { platform: 'slack' as const, conversation, accountId: acme!.id, every: 'daily' as const, at: '09:00' };
      await store.preferences.addSubscription({ ...subscription, timezone: 'Europe/Berlin', createdBy: 'U1' }, at('2026-11-01T00:00'));
    }
    clock = at('2026-11-05T07:00', 'Europe/Berlin');
    await scheduler.tick(clock);
    clock = at('2026-11-05T09:00:30', 'Europe/Berlin');
    await scheduler.tick(clock);
    expect(
      posts
        .filter((p) => p.day === '2026-11-04')
        .map((p) => p.target)
        .sort(),
    ).toEqual(['slack:C0CFGDAILY', 'slack:C0CHATONLY', 'teams:19:cfgdaily@thread.tacv2']);
  });
});

describe('replicas as separate processes on PostgreSQL', async () => {
  const { fork } = await import('node:child_process');
  const { mkdtempSync, readFileSync, existsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const pgBackend = backends.find((b) => b.name === 'PostgreSQL');
  const script = fileURLToPath(new URL('./fixtures/schedulerProcess.ts', import.meta.url));
  const accounts = sampleAccounts(START)
    .slice(0, 1)
    .map((a) => ({ id: a.id, name: a.name, token: '${T}', timezone: 'UTC' }));

  it.skipIf(!pgBackend)(
    'posts each digest once with three processes, and once after a process is killed mid-post',
    async () => {
      const backend = pgBackend!;
      const store = await backend.open();
      const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-replicas-'));
      const postsFile = join(dir, 'posts.jsonl');
      const posts = () =>
        existsSync(postsFile)
          ? readFileSync(postsFile, 'utf8')
              .trim()
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as { conversation: string; owner: string })
          : [];
      const searchPath = backend.searchPath;
      const run = (owner: string, clockAt: number, hang = false) => {
        const child = fork(
          script,
          [
            JSON.stringify({
              databaseUrl: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
              searchPath,
              graphUrl: sandbox.url,
              clock: clockAt,
              owner,
              postsFile,
              hang,
              accounts,
              token: GRAPH_TOKEN,
            }),
          ],
          {
            execArgv: ['--import', 'tsx'],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          },
        );
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        return { child, exited };
      };
      clock = at('2026-11-03T00:00', 'UTC'); // the sandbox serves data up to here
      try {
        const created = at('2026-11-01T00:00', 'UTC');
        await store.preferences.addSubscription(
          {
            platform: 'slack',
            conversation: 'C0PROCS',
            accountId: accounts[0]!.id,
            every: 'daily',
            at: '09:00',
            timezone: 'UTC',
            createdBy: 'U1',
          },
          created,
        );
        const nine = at('2026-11-02T09:00:20', 'UTC');
        const three = ['p1', 'p2', 'p3'].map((owner) => run(owner, nine));
        expect(await Promise.all(three.map((r) => r.exited))).toEqual([0, 0, 0]);
        expect(posts().filter((p) => p.conversation === 'C0PROCS')).toHaveLength(1);
        expect((await store.runs.listRuns({ limit: 100 })).filter((r) => r.period === '2026-11-02' && r.status === 'posted')).toHaveLength(
          1,
        );

        await store.preferences.addSubscription(
          {
            platform: 'slack',
            conversation: 'C0KILLED',
            accountId: accounts[0]!.id,
            every: 'daily',
            at: '10:00',
            timezone: 'UTC',
            createdBy: 'U1',
          },
          created,
        );
        const ten = at('2026-11-02T10:00:20', 'UTC');
        const doomed = run('doomed', ten, true);
        await new Promise<void>((resolve) => doomed.child.on('message', () => resolve()));
        doomed.child.kill('SIGKILL');
        await doomed.exited;
        // Restarted within the lease: the claim is still the dead one's.
        expect(await run('early', ten + 5 * 60_000).exited).toBe(0);
        expect(posts().filter((p) => p.conversation === 'C0KILLED')).toHaveLength(0);
        // After the lease: taken over, posted once.
        expect(await run('restarted', ten + 15 * 60_000).exited).toBe(0);
        expect(await run('another', ten + 16 * 60_000).exited).toBe(0);
        expect(
          posts()
            .filter((p) => p.conversation === 'C0KILLED')
            .map((p) => p.owner),
        ).toEqual(['restarted']);
      } finally {
        await store.close();
        await backend.cleanup();
      }
    },
    120_000,
  );
});
