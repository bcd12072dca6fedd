import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingDelivery } from '../../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker } from '../../src/alerts/checker.js';
import type { AlertContent, AlertFollowUp } from '../../src/alerts/model.js';
import { graphAccountsFrom } from '../../src/compose/graphAccount.js';
import { buildConfig } from '../../src/configure.js';
import { GraphClient } from '../../src/graph/client.js';
import { silentLogger } from '../../src/log.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import type { ChatTarget } from '../../src/store/types.js';
import { D, twoNumberAccount } from '../helpers/sandboxAccounts.js';
import { proxiedPostgres, storeBackends } from '../helpers/stores.js';

/**
 * Alert posts when PostgreSQL goes away around them. A new incident ending one alert and opening
 * another is two steps — the old alert's resolution, then the new one — and the database may go
 * between them: the resolution posted, the new alert not yet stored. When it is back, the next
 * check opens the new alert, once, and the old one is neither resolved again nor reopened. And an
 * alert posted just before the database went is recorded when it is back, never posted again.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const GRAPH_TOKEN = 'EAAG-reopen-token-8080';
// One number drops 10:00–11:00, and again 13:00–15:00: two incidents, two alerts.
const twice = twoNumberAccount(9, 'twice', [
  ['15550001000', '10:00', '11:00', 0.7],
  ['15550001000', '13:00', '15:00', 0.7],
]);

/** Records every notice; after the first resolution (or post), the database goes away. */
class DroppingDelivery extends RecordingDelivery {
  onResolve: (() => Promise<void>) | undefined;
  onPost: (() => Promise<void>) | undefined;
  override async post(target: ChatTarget, alert: AlertContent) {
    const outcome = await super.post(target, alert);
    const drop = this.onPost;
    this.onPost = undefined;
    await drop?.();
    return outcome;
  }
  override async reply(target: ChatTarget, ref: string, alert: AlertContent, kind: AlertFollowUp) {
    const outcome = await super.reply(target, ref, alert, kind);
    if (kind === 'resolve' && this.onResolve) {
      const drop = this.onResolve;
      this.onResolve = undefined;
      await drop();
    }
    return outcome;
  }
}

describe.skipIf(!hasPostgres)('alert posts while PostgreSQL goes away', () => {
  let sandbox: RunningSandbox;
  let graph: GraphClient;
  let clock = D('10:00');
  const config = buildConfig(
    {
      accounts: [{ id: twice.id, name: twice.name, displayName: twice.displayName, token: '${T}', timezone: 'UTC' }],
      alerts: [
        { name: 'again', account: twice.name, checkEvery: '30m', drillDown: ['phone'], targets: [{ slack: { channel: 'C0AGAIN' } }] },
      ],
    },
    { GRAPH_API_URL: 'http://127.0.0.1:9' },
  );
  const databases: Array<Awaited<ReturnType<typeof proxiedPostgres>>> = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ accounts: [twice], now: () => clock, token: GRAPH_TOKEN, callsPerHour: 1_000_000 });
    graph = new GraphClient({ ...config.graph, apiUrl: sandbox.url, now: () => clock });
  });
  afterAll(async () => {
    for (const d of databases) await d.close();
    await graph.close();
    await sandbox.close();
  });

  /** A replica's alert checks on a fresh database behind a proxy, every notice recorded. */
  async function replica() {
    const database = await proxiedPostgres();
    databases.push(database);
    const delivery = new DroppingDelivery();
    const checker = new AlertChecker({
      store: database.store,
      ctx: { config, accounts: graphAccountsFrom({ T: GRAPH_TOKEN }), graph, now: () => clock },
      owner: 'replica-r',
      logger: silentLogger,
      delivery,
    });
    const tick = async (at: number) => {
      clock = at;
      await checker.tick(at);
    };
    const posts = () => delivery.events.filter((e) => e.action === 'post');
    const postRuns = (key: string) => database.store.runs.listRuns({ job: `alert-post:${key}:slack:C0AGAIN` });
    return { ...database, delivery, tick, posts, postRuns };
  }

  it('posts the resolution once and opens the new alert once the database is back', async () => {
    const { proxy, store, delivery, tick, posts, postRuns } = await replica();
    for (let t = D('10:00'); t <= D('12:30'); t += 30 * 60_000) await tick(t);
    expect(posts()).toHaveLength(1);
    const first = posts()[0]!.alert;

    // The check that sees the second drop: the first alert's resolution is posted, then the database goes away.
    delivery.onResolve = () => proxy.down();
    let t = D('13:00');
    for (; t <= D('14:30') && !delivery.events.some((e) => e.followUp === 'resolve'); t += 30 * 60_000) await tick(t);
    const resolvedAt = t - 30 * 60_000;
    expect(posts()).toHaveLength(1);
    await proxy.up();
    // The same period a minute later: the check that failed on the store runs again and opens it.
    await tick(resolvedAt + 60_000);
    expect(posts()).toHaveLength(2);
    for (let u = resolvedAt + 30 * 60_000; u <= D('15:30'); u += 30 * 60_000) await tick(u);

    expect(posts()).toHaveLength(2);
    const second = posts()[1]!.alert;
    expect(second.key).not.toBe(first.key);
    expect(second.anomalies.map((a) => a.scope?.key)).toContain('15550001000');
    expect(delivery.events.filter((e) => e.followUp === 'resolve' && e.alert.key === first.key)).toHaveLength(1);
    expect((await store.alerts.alert(first.key))?.status).toBe('resolved');
    expect((await store.alerts.alert(second.key))?.status).toBe('open');
    // The resolution, posted as the database went, recorded once it was back: its claim is done.
    expect((await postRuns(first.key)).find((r) => r.period === 'resolve')).toMatchObject({ status: 'posted' });
  }, 90_000);

  it('does not post an alert twice when the database went away just after it was posted', async () => {
    const { proxy, store, delivery, tick, posts, postRuns } = await replica();
    let down = false;
    delivery.onPost = async () => {
      down = true;
      await proxy.down();
    };
    for (let t = D('10:00'); t <= D('12:00'); t += 60_000) {
      // Back for the next minute's tick.
      if (down) await proxy.up();
      down = false;
      await tick(t);
    }
    expect(posts()).toHaveLength(1);
    // Recorded where it went once the store was back: clicks on it count, the claim is done.
    const [posted] = posts();
    expect(await store.alerts.alertMessage(posted!.alert.key, { platform: 'slack', conversation: 'C0AGAIN' })).toMatchObject({
      ref: posted!.ref,
    });
    expect((await postRuns(posted!.alert.key)).find((r) => r.period === 'open')).toMatchObject({ status: 'posted' });
  }, 120_000);
});
