import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveredAlert, RecordingDelivery } from '../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker, type AlertContext } from '../src/alerts/checker.js';
import type { JudgeFn } from '../src/alerts/sources.js';
import type { Anomaly } from '../src/analytics/anomalies.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { silentLogger } from '../src/log.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import type { SqlStore } from '../src/store/sql.js';
import { dropTo70, scriptedJudgement } from './helpers/alerts.js';
import { D, twoNumberAccount } from './helpers/sandboxAccounts.js';
import { storeBackends } from './helpers/stores.js';

const GRAPH_TOKEN = 'EAAG-alerts-token-31';
// One account, two numbers, recipients on UTC: number A's delivery drops 10:00–14:00 and number
// B's 12:00–14:00 (a second scope joining an open alert); a second account drops 10:00–11:30 and
// again 12:00–13:30 (an incident that pauses for half an hour).
const steady = twoNumberAccount(1, 'steady', [
  ['15550001000', '10:00', '14:00', 0.7],
  ['15550001001', '12:00', '14:00', 0.75],
]);
const flappy = twoNumberAccount(2, 'flappy', [
  [null, '10:00', '11:30', 0.75],
  [null, '12:00', '13:30', 0.75],
]);
// A third drops on one number 10:00–11:00, and on the same number again 13:00–15:00: two incidents.
const twice = twoNumberAccount(3, 'twice', [
  ['15550001000', '10:00', '11:00', 0.7],
  ['15550001000', '13:00', '15:00', 0.7],
]);
// A fourth: a mild drop on one number from 10:00 (a warning), the other number falling hard from 13:00.
const rising = twoNumberAccount(4, 'rising', [
  ['15550001000', '10:00', '15:00', 0.93],
  ['15550001001', '13:00', '15:00', 0.7],
]);

let sandbox: RunningSandbox;
let clock = D('09:00');
beforeAll(async () => {
  sandbox = await startSandbox({
    accounts: [steady, flappy, twice, rising],
    now: () => clock,
    token: GRAPH_TOKEN,
    callsPerHour: 1_000_000,
  });
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
        accounts: [steady, flappy, twice, rising].map((a) => ({
          id: a.id,
          name: a.name,
          displayName: a.displayName,
          token: '${GRAPH_TOKEN}',
          timezone: 'UTC',
        })),
        alerts: rules,
      },
      { GRAPH_API_URL: sandbox.url },
    );

  async function checker(
    rules: Array<Record<string, unknown>>,
    owner = 'replica-1',
    extra: Partial<ConstructorParameters<typeof AlertChecker>[0]> = {},
    delivery = new RecordingDelivery(),
    reuse?: SqlStore,
  ) {
    const store = reuse ?? (await backend.open());
    if (!reuse) stores.push(store);
    const c = config(rules);
    const graph = new GraphClient({ ...c.graph, now: () => clock });
    graphs.push(graph);
    const ctx: AlertContext = { config: c, accounts: graphAccountsFrom({ GRAPH_TOKEN }), graph, now: () => clock };
    return { store, delivery, checker: new AlertChecker({ store, ctx, owner, logger: silentLogger, delivery, ...extra }) };
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
  const slack = (events: DeliveredAlert[]) => events.filter((e) => e.target.platform === 'slack');
  const steps = (events: DeliveredAlert[]) => slack(events).map((e) => (e.action === 'reply' ? `reply:${e.followUp}` : e.action));

  it('opens within the hour, announces a second number at once in place and in its thread, and resolves in place', async () => {
    const { checker: c, store, delivery } = await checker([rule('life', 'steady')]);
    const run = async (hhmm: string) => {
      clock = D(hhmm);
      await c.tick(clock);
    };
    await run('09:30');
    await run('10:00');
    expect(delivery.events).toEqual([]);
    // The first bad half hour (10:00–10:30) is judged young, as it ends: the share of its
    // deliveries in is read from the account's other number as well as from the settle curve.
    await run('10:30');
    expect(steps(delivery.events)).toEqual(['post']);
    const opened = slack(delivery.events)[0]!.alert;
    expect(opened.anomalies.map((a) => [a.scope?.kind, a.scope?.key])).toEqual([['phone', '15550001000']]);
    expect(opened.shortId).toMatch(/^A-[2-9A-Z]{4}$/);
    // Half an hour later the configured scope as a whole shows it too: said in place and in the thread.
    await run('11:00');
    expect(steps(delivery.events)).toEqual(['post', 'update', 'reply:update']);
    expect(
      slack(delivery.events)[1]!
        .alert.anomalies.filter((a) => a.new)
        .map((a) => a.scope?.kind),
    ).toEqual(['account']);
    await run('11:30');
    await run('12:00');
    expect(steps(delivery.events)).toHaveLength(3);
    // Number B joins at 12:00: at the first check that sees it, the alert is edited in place and
    // the thread says what is new — not at the next reminder.
    await run('12:30');
    await run('13:00');
    expect(steps(delivery.events)).toEqual(['post', 'update', 'reply:update', 'update', 'reply:update']);
    const update = slack(delivery.events)[3]!.alert;
    expect(update.anomalies.filter((a) => a.new).map((a) => a.scope?.key)).toContain('15550001001');
    expect(slack(delivery.events)[4]!.ref).toBe(slack(delivery.events)[0]!.ref);
    // Resolved after two clean checks of half hours whose deliveries are mostly in: redrawn in
    // place, and said in the thread.
    for (const t of ['13:30', '14:00', '14:30', '15:00', '15:30', '16:00', '16:30', '17:00']) await run(t);
    const all = steps(delivery.events);
    expect(all).toEqual(['post', 'update', 'reply:update', 'update', 'reply:update', 'update', 'reply:resolve']);
    const resolution = slack(delivery.events).at(-1)!.alert;
    expect(resolution.resolved).toBe(true);
    const recovered = resolution.anomalies.find((a) => a.scope?.key === '15550001000')!;
    expect(recovered.explanation).toMatch(/^Delivery on \+1 555 000 1000 is back to 9\d\.\d%\.$/);
    expect(recovered.observed).toBeGreaterThan(0.9);
    // The bad stretch as the settled data shows it: 10:00 to 14:00, as the reports say.
    expect([resolution.firstBucketStart, resolution.lastBadEnd]).toEqual([D('10:00') / 1000, D('14:00') / 1000]);
    expect(await store.alerts.alertEpisode('steady:life')).toMatchObject({ status: 'resolved' });
    // One episode: every message is about the same alert.
    expect(new Set(slack(delivery.events).map((e) => e.alert.key)).size).toBe(1);
  }, 90_000);

  it("reminds in the alert's thread while nobody answers", async () => {
    const { checker: c, delivery } = await checker([rule('remind', 'steady', { drillDown: [], remindEvery: '1h' })]);
    for (const t of ['11:00', '11:30', '12:00', '12:30']) {
      clock = D(t);
      await c.tick(clock);
    }
    const replies = slack(delivery.events).filter((e) => e.followUp === 'remind');
    expect(replies.length).toBe(1);
    expect(replies[0]!.ref).toBe(slack(delivery.events)[0]!.ref);
  }, 60_000);

  it('stays quiet after someone acknowledges, skips muted targets, and tells both the resolution', async () => {
    const { checker: c, store, delivery } = await checker([rule('acked', 'steady', { drillDown: [] })]);
    for (const t of ['10:30', '11:00']) {
      clock = D(t);
      await c.tick(clock);
    }
    expect(delivery.events.filter((e) => e.action === 'post')).toHaveLength(2);
    const key = delivery.events[0]!.alert.key;
    await store.alerts.recordAlertAction(key, { status: 'acknowledged', by: 'U0BOB', at: clock });
    await store.preferences.muteAlerts({ platform: 'teams', conversation: '19:acked@thread.tacv2' }, steady.id, D('23:00'));
    for (const t of ['15:30', '16:00', '16:30', '17:00', '17:30']) {
      clock = D(t);
      await c.tick(clock);
    }
    expect(delivery.events.some((e) => e.followUp === 'remind')).toBe(false);
    const resolves = delivery.events.filter((e) => e.followUp === 'resolve');
    expect(resolves.map((e) => e.target.platform).sort()).toEqual(['slack', 'teams']);
  }, 90_000);

  it('does not flap on an incident that pauses: one alert, resolved once', async () => {
    const { checker: c, delivery } = await checker([rule('flap', 'flappy', { drillDown: [] })]);
    for (let t = D('10:00'); t <= D('18:00'); t += 30 * 60_000) {
      clock = t;
      await c.tick(clock);
    }
    const posts = slack(delivery.events);
    expect(posts.filter((e) => e.action === 'post')).toHaveLength(1);
    expect(posts.filter((e) => e.followUp === 'resolve')).toHaveLength(1);
  }, 90_000);

  it('gives a drop that begins after the open alert had ended its own alert, resolving the first', async () => {
    const { checker: c, delivery } = await checker([rule('again', 'twice', { drillDown: ['phone'] })]);
    for (let t = D('10:00'); t <= D('19:00'); t += 30 * 60_000) {
      clock = t;
      await c.tick(clock);
    }
    const posted = slack(delivery.events);
    const posts = posted.filter((e) => e.action === 'post');
    expect(posts).toHaveLength(2);
    const [first, second] = posts.map((e) => e.alert);
    expect(second!.shortId).not.toBe(first!.shortId);
    // The first resolves as the second opens, before it: its thread ends, then the new one starts.
    const firstResolved = posted.findIndex((e) => e.followUp === 'resolve' && e.alert.key === first!.key);
    expect(firstResolved).toBeGreaterThan(-1);
    expect(firstResolved).toBeLessThan(posted.indexOf(posts[1]!));
    // It says the number recovered and fell again, not that it delivers what its new drop delivers.
    const line = posted[firstResolved]!.alert.anomalies.find((a) => a.scope?.key === '15550001000');
    expect(line?.explanation).toMatch(
      /^Delivery on \+1 555 000 1000 recovered, then fell again from 13:00\u00a0UTC: a new alert tells of it\.$/,
    );
    expect(line?.observed).toBeUndefined();
    // The second's stretch is its own: from 13:00, not run together with the first.
    expect(second!.firstBucketStart).toBe(D('13:00') / 1000);
    expect(second!.anomalies.map((a) => a.scope?.key)).toContain('15550001000');
    expect(posted.filter((e) => e.followUp === 'resolve' && e.alert.key === second!.key)).toHaveLength(1);
  }, 90_000);

  it('says an update that makes a warning critical in the channel too (escalate), not only in its thread', async () => {
    const { checker: c, delivery } = await checker([rule('rising', 'rising')]);
    for (let t = D('10:00'); t <= D('14:30'); t += 30 * 60_000) {
      clock = t;
      await c.tick(clock);
    }
    const posted = slack(delivery.events);
    const opened = posted.find((e) => e.action === 'post')!.alert;
    expect(opened.anomalies.every((a) => a.severity === 'warning')).toBe(true);
    const escalation = posted.find((e) => e.followUp === 'escalate');
    expect(escalation?.alert.anomalies.some((a) => a.new && a.severity === 'critical' && a.scope?.key === '15550001001')).toBe(true);
    // Said once: what it adds after it is critical already is an ordinary update.
    expect(posted.filter((e) => e.followUp === 'escalate')).toHaveLength(1);
  }, 90_000);

  it('resumes an alert that resolved too soon, said in its thread and the channel, and resolves it again once', async () => {
    // The detector's view scripted check by check (as a backtest hands it in): number A down
    // 10:00–11:00, clean at 11:30 and 12:00 (resolved), then at 12:30 the settled half hours
    // show the drop went on through them — the same incident, not a second alert.
    const phone = { kind: 'phone' as const, key: '15550001000', label: '+1 555 000 1000', phone: '15550001000' };
    const dropping = (from: string, to: string) => dropTo70(phone, D(from) / 1000, D(to) / 1000);
    const script: Record<string, Anomaly[]> = {
      '10:30': [dropping('10:00', '10:30')],
      '11:00': [dropping('10:00', '11:00')],
      '12:30': [dropping('10:30', '12:30')],
      '13:00': [dropping('10:30', '13:00')],
    };
    const judge: JudgeFn = async (_rule, _account, now) => scriptedJudgement(script, phone, now);
    const { checker: c, store, delivery } = await checker([rule('resume', 'steady')], 'replica-1', { judge });
    for (let t = D('10:00'); t <= D('15:00'); t += 30 * 60_000) {
      clock = t;
      await c.tick(clock);
    }
    expect(steps(delivery.events)).toEqual(['post', 'update', 'reply:resolve', 'update', 'reply:resume', 'update', 'reply:resolve']);
    const posted = slack(delivery.events);
    // One alert: every message is the same alert, edited in place, its replies in its thread.
    expect(new Set(posted.map((e) => e.alert.key)).size).toBe(1);
    expect(new Set(posted.map((e) => e.ref)).size).toBe(1);
    const resumed = posted[3]!.alert;
    expect(resumed.resolved).toBeUndefined();
    expect([resumed.firstBucketStart, resumed.lastBadEnd]).toEqual([D('10:00') / 1000, D('12:30') / 1000]);
    expect(await store.alerts.alertEpisode('steady:resume')).toMatchObject({ status: 'resolved', summary: { resumes: 1 } });
    expect(await store.alerts.alert(resumed.key)).toMatchObject({ status: 'resolved' });
    // Teams heard the same: one alert, resumed once.
    const teams = delivery.events.filter((e) => e.target.platform === 'teams');
    expect(teams.filter((e) => e.followUp === 'resume')).toHaveLength(1);
    expect(teams.filter((e) => e.action === 'post')).toHaveLength(1);
  }, 60_000);

  it("judges the drill-downs that fit when its Graph budget runs low, the open alert's number first, and says so", async () => {
    // 170 of 200 calls used: half of the 10 left before checks are deferred, 5, for a check — the
    // account's two (eight days, two chunks) and one number's two; the other waits its turn.
    const {
      checker: c,
      store,
      delivery,
    } = await checker([rule('budget', 'steady')], 'replica-budget', { budget: { callsInLastHour: () => 170, callsPerHour: 200 } });
    for (const at of ['12:00', '12:30', '13:00', '13:30']) {
      clock = D(at);
      await c.tick(clock);
      const [run] = await store.runs.listRuns({ job: 'alert-check:steady:budget' });
      expect(run!.detail).toMatch(/; degraded: 1 of 2 drill-downs left for the next check to stay within the Graph call budget$/);
    }
    const posted = slack(delivery.events);
    expect(posted[0]!.alert.anomalies.map((a) => `${a.scope?.kind}:${a.scope?.key}`).sort()).toEqual(['account:null', 'phone:15550001000']);
    // Taking turns would have judged the other number (down since 12:00) and added it in an
    // update; the alerted number is judged first while the alert is open, and keeps it open.
    expect(steps(delivery.events)).toEqual(['post']);

    // Nearly spent: the next check is deferred altogether, and recorded as such.
    const deferring = await checker(
      [rule('budget', 'steady')],
      'replica-budget',
      { budget: { callsInLastHour: () => 190, callsPerHour: 200 } },
      delivery,
      store,
    );
    clock = D('14:00');
    await deferring.checker.tick(clock);
    const [deferred] = await store.runs.listRuns({ job: 'alert-check:steady:budget' });
    expect(deferred).toMatchObject({ status: 'skipped', detail: 'degraded: check deferred, the Graph call budget is nearly spent' });
  }, 60_000);

  it("groups an account's simultaneous anomalies into one message, posted once by two replicas", async () => {
    const delivery = new RecordingDelivery();
    const rules = [rule('pair', 'steady')];
    const a = await checker(rules, 'replica-a', {}, delivery);
    const b = await checker(rules, 'replica-b', {}, delivery, a.store);
    clock = D('13:00');
    await Promise.all([a.checker.tick(clock), b.checker.tick(clock)]);
    const posted = slack(delivery.events);
    expect(posted).toHaveLength(1);
    // Both numbers' drops (and the account's) arrive as one alert.
    expect(posted[0]!.alert.anomalies.length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('logs a failed alert post, counts it, and records it in runs; a gone conversation likewise', async () => {
    const { PassThrough } = await import('node:stream');
    const { createLogger } = await import('../src/log.js');
    const { ServiceMetrics } = await import('../src/serve/metrics.js');
    let logged = '';
    const destination = new PassThrough();
    destination.on('data', (c) => (logged += c));
    const metrics = new ServiceMetrics();
    // Slack answers with an error; the Teams conversation no longer exists.
    const failing = new (class extends RecordingDelivery {
      override async post(target: Parameters<RecordingDelivery['post']>[0], _alert: Parameters<RecordingDelivery['post']>[1]) {
        if (target.platform === 'slack') throw new Error(`Slack answered 500 (token ${GRAPH_TOKEN})`);
        return { delivered: false as const, reason: 'gone' as const };
      }
    })();
    const { store, checker: c } = await checker(
      [rule('broken', 'steady')],
      'replica-1',
      { logger: createLogger({ level: 'info', destination }), metrics },
      failing,
    );
    clock = D('13:00');
    await c.tick(clock);
    const lines = logged
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; platform?: string; err?: string });
    expect(lines.find((l) => l.msg === 'alert post failed')).toMatchObject({
      platform: 'slack',
      err: expect.stringContaining('Slack answered 500'),
    });
    expect(lines.find((l) => l.msg === 'alert not posted: the conversation is gone')).toMatchObject({ platform: 'teams' });
    expect(logged).not.toContain(GRAPH_TOKEN);
    const counted = (await metrics.registry.getSingleMetricAsString('waba_pulse_posts_total'))
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    expect(counted).toEqual(
      expect.arrayContaining([
        'waba_pulse_posts_total{platform="slack",outcome="failed"} 1',
        'waba_pulse_posts_total{platform="teams",outcome="gone"} 1',
      ]),
    );
    // (This database holds the other tests' runs too: this rule's targets only.)
    const runs = (await store.runs.listRuns({ limit: 1000 })).filter(
      (r) => r.job.startsWith('alert-post:') && /C0BROKEN|19:broken@/.test(r.job),
    );
    expect(runs.map((r) => `${r.status} ${r.detail}`).sort()).toEqual(
      ['failed Slack answered 500 (token [redacted])', 'failed the conversation is gone'].sort(),
    );
  }, 60_000);
});
