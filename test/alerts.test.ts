import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartRenderer } from '../src/charts/render.js';
import type { CommandContext } from '../src/chat/commands.js';
import type { AlertContent } from '../src/chat/surface.js';
import { buildConfig } from '../src/config/load.js';
import { GraphClient } from '../src/graph/client.js';
import { AlertChecker } from '../src/jobs/alerts.js';
import { silentLogger } from '../src/log.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/server.js';
import type { SandboxAccount } from '../src/sandbox/traffic.js';
import type { SqlStore } from '../src/store/sql.js';
import type { ChatTarget } from '../src/store/types.js';
import { storeBackends } from './helpers/stores.js';

const GRAPH_TOKEN = 'EAAG-alerts-token-31';
const D = (hhmm: string) => Date.parse(`2026-11-24T${hhmm}:00Z`);

// One account, two numbers, recipients on UTC: number A's delivery drops 10:00–14:00, and a
// second account drops 10:00–11:00 and again 13:00–14:00 (a flapping incident).
const steady: SandboxAccount = {
  id: '140000000000001',
  name: 'steady',
  displayName: 'Steady Co',
  timezone: 'UTC',
  phones: [
    { number: '15550001000', weight: 0.5 },
    { number: '15550001001', weight: 0.5 },
  ],
  countries: [{ code: 'US', weight: 1, tz: 'UTC', rate: 0.98 }],
  volume: 4000,
  incidents: [{ kind: 'delivery_drop', phone: '15550001000', start: D('10:00') / 1000, end: D('14:00') / 1000, factor: 0.7 }],
};
const flappy: SandboxAccount = {
  ...steady,
  id: '140000000000002',
  name: 'flappy',
  displayName: 'Flappy Co',
  incidents: [
    { kind: 'delivery_drop', start: D('10:00') / 1000, end: D('11:00') / 1000, factor: 0.75 },
    { kind: 'delivery_drop', start: D('13:00') / 1000, end: D('14:00') / 1000, factor: 0.75 },
  ],
};

let sandbox: RunningSandbox;
let clock = D('09:00');
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: [steady, flappy], now: () => clock, token: GRAPH_TOKEN, callsPerHour: 1_000_000 });
});
afterAll(() => sandbox.close());

const backends = await storeBackends();

describe.each(backends)('alert lifecycle on $name', (backend) => {
  const stores: SqlStore[] = [];
  const graphs: GraphClient[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const g of graphs) await g.close();
    await backend.cleanup();
  });

  const config = (rules: Array<Record<string, unknown>>) =>
    buildConfig(
      {
        accounts: [steady, flappy].map((a) => ({ id: a.id, name: a.name, displayName: a.displayName, token: '${GRAPH_TOKEN}', timezone: 'UTC' })),
        alerts: rules,
      },
      { GRAPH_API_URL: sandbox.url },
    );

  type Post = { target: ChatTarget; kind: string; alert: AlertContent };
  async function checker(rules: Array<Record<string, unknown>>, posts: Post[], owner = 'replica-1') {
    const store = await backend.open();
    stores.push(store);
    const c = config(rules);
    const graph = new GraphClient({ ...c.graph, now: () => clock });
    graphs.push(graph);
    const ctx: CommandContext = { config: c, env: { GRAPH_TOKEN }, store, graph, charts: chartRenderer('local'), now: () => clock, prefix: '/waba' };
    return {
      store,
      checker: new AlertChecker({
        store,
        ctx,
        owner,
        logger: silentLogger,
        post: async (target, alert, kind) => {
          posts.push({ target, kind, alert });
          return { delivered: true, ref: `ref-${posts.length}` };
        },
      }),
    };
  }

  const rule = (name: string, account: string, extra: Record<string, unknown> = {}) => ({
    name,
    account,
    checkEvery: '30m',
    remindEvery: '4h',
    drillDown: ['phone'],
    targets: [{ slack: { channel: `C0${name.toUpperCase()}` } }, { teams: { conversation: `19:${name}@thread.tacv2` } }],
    ...extra,
  });

  it('opens once, reminds while nobody answers, and resolves after two clean checks', async () => {
    const posts: Post[] = [];
    const { checker: c, store } = await checker([rule('life', 'steady')], posts);
    const run = async (hhmm: string) => {
      clock = D(hhmm);
      await c.tick(clock);
    };
    await run('09:30');
    expect(posts).toEqual([]);
    await run('12:30'); // deliveries settle for 2 hours: 10:00–10:30 is judged now
    expect(posts.map((p) => [p.kind, p.target.platform])).toEqual([
      ['open', 'slack'],
      ['open', 'teams'],
    ]);
    expect(posts[0]!.alert.anomalies.some((a) => /on \+1 555 000 1000/.test(a.explanation))).toBe(true);
    await run('13:00');
    await run('16:00');
    expect(posts).toHaveLength(2); // still open, not yet time to remind
    await run('16:30');
    expect(posts.slice(2).map((p) => p.kind)).toEqual(['remind', 'remind']);
    await run('17:00');
    expect(posts).toHaveLength(4); // one clean check is not enough
    await run('17:30');
    expect(posts.slice(4).map((p) => p.kind)).toEqual(['resolve', 'resolve']);
    expect(posts[4]!.alert.anomalies[0]!.explanation).toMatch(/^Resolved: delivery back to 9\d\.\d% since \d\d:\d\d \(UTC\)\.$/);
    expect(posts[4]!.alert.resolved).toBe(true);
    expect(await store.alertEpisode('steady:life')).toMatchObject({ status: 'resolved', reminders: 1 });
  }, 60_000);

  it('stays quiet after someone acknowledges, and skips muted targets', async () => {
    const posts: Post[] = [];
    const { checker: c, store } = await checker([rule('acked', 'steady')], posts);
    clock = D('12:30');
    await c.tick(clock);
    expect(posts).toHaveLength(2);
    await store.recordAlertAction(posts[0]!.alert.key, { status: 'acknowledged', by: 'U0BOB', at: clock });
    await store.muteAlerts({ platform: 'teams', conversation: '19:acked@thread.tacv2' }, steady.id, D('23:00'));
    clock = D('16:30');
    await c.tick(clock);
    expect(posts).toHaveLength(2);
    clock = D('17:00');
    await c.tick(clock);
    clock = D('17:30');
    await c.tick(clock);
    // The resolution goes to Slack; Teams is muted for alerts but hears that it is over.
    expect(posts.slice(2).map((p) => [p.kind, p.target.platform])).toEqual([
      ['resolve', 'slack'],
      ['resolve', 'teams'],
    ]);
  }, 60_000);

  it('does not flap on an incident that pauses: one alert, resolved once', async () => {
    const posts: Post[] = [];
    const { checker: c } = await checker([rule('flap', 'flappy', { drillDown: [] })], posts);
    // Without hysteresis the 14:30 check (first drop over, second not yet settled) would resolve
    // it and the 15:30 one open it again.
    for (const hhmm of ['12:30', '14:30', '15:30', '17:30', '18:00']) {
      clock = D(hhmm);
      await c.tick(clock);
    }
    expect(posts.filter((p) => p.target.platform === 'slack').map((p) => p.kind)).toEqual(['open', 'resolve']);
  }, 60_000);

  it('checks the account without drill-downs when its Graph budget runs low, and says so', async () => {
    const posts: Post[] = [];
    const store = await backend.open();
    stores.push(store);
    const c = config([rule('budget', 'steady')]);
    const graph = new GraphClient({ ...c.graph, now: () => clock });
    graphs.push(graph);
    const ctx: CommandContext = { config: c, env: { GRAPH_TOKEN }, store, graph, charts: chartRenderer('local'), now: () => clock, prefix: '/waba' };
    const alerts = new AlertChecker({
      store,
      ctx,
      owner: 'replica-budget',
      logger: silentLogger,
      budget: { callsInLastHour: () => 150, callsPerHour: 200 },
      post: async (target, alert, kind) => {
        posts.push({ target, kind, alert });
        return { delivered: true, ref: `ref-${posts.length}` };
      },
    });
    clock = D('12:30');
    await alerts.tick(clock);
    const slack = posts.filter((p) => p.target.platform === 'slack');
    expect(slack).toHaveLength(1);
    expect(slack[0]!.alert.anomalies.every((a) => !/on \+1 555/.test(a.explanation))).toBe(true);
    const [run] = await store.listRuns({ job: 'alert-check:steady:budget' });
    expect(run!.detail).toMatch(/degraded: drill-downs skipped to stay within the Graph call budget$/);

    // Nearly spent: the next check is deferred altogether, and recorded as such.
    const deferring = new AlertChecker({ store, ctx, owner: 'replica-budget', logger: silentLogger, budget: { callsInLastHour: () => 190, callsPerHour: 200 }, post: async () => ({ delivered: true, ref: 'r' }) });
    clock = D('13:00');
    await deferring.tick(clock);
    const [deferred] = await store.listRuns({ job: 'alert-check:steady:budget' });
    expect(deferred).toMatchObject({ status: 'skipped', detail: 'degraded: check deferred, the Graph call budget is nearly spent' });
  }, 60_000);

  it('groups an account\'s simultaneous anomalies into one message, posted once by two replicas', async () => {
    const posts: Post[] = [];
    const rules = [rule('pair', 'steady')];
    const [a, b] = [await checker(rules, posts, 'replica-a'), await checker(rules, posts, 'replica-b')];
    clock = D('12:30');
    await Promise.all([a.checker.tick(clock), b.checker.tick(clock)]);
    const slack = posts.filter((p) => p.target.platform === 'slack');
    expect(slack).toHaveLength(1);
    // The account-wide drop and the drop on number A arrive as one alert.
    expect(slack[0]!.alert.anomalies.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
