import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingDelivery } from '../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker } from '../src/alerts/checker.js';
import { judgeStatuses, statusWindowOf } from '../src/alerts/judge/webhooks.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { StatusWebhookEmitter } from '../src/sandbox/statusWebhooks.js';
import type { SqlStore } from '../src/store/sql.js';
import type { StatusCount, StatusRepository } from '../src/store/types.js';
import { startStatusReceiver } from '../src/whatsapp/receiver.js';
import { storeBackends } from './helpers/stores.js';

const NOW = Date.UTC(2026, 10, 25, 6, 0);
// The sandbox's burst: Acme's marketing held back (131049), yesterday 10:00–11:00 in Kolkata.
const BURST_START = Date.UTC(2026, 10, 24, 4, 30);
const BURST_END = BURST_START + 3_600_000;
const ACME = sampleAccounts(NOW)[0]!;

let sandbox: RunningSandbox;
let clock = NOW;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => clock });
});
afterAll(() => sandbox.close());

describe.each(await storeBackends())('alerts on status webhooks on $name', (backend) => {
  let store: SqlStore;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
    await backend.cleanup();
  });

  it('opens within 5 minutes of a burst of 131049, names the code and what to do, and resolves after it', async () => {
    const appSecret = 'alerts-secret';
    const receiver = await startStatusReceiver({ store, accounts: [ACME.id], appSecret, log: silentLogger, now: () => clock });
    const emitter = new StatusWebhookEmitter({ accounts: [ACME], url: receiver.url, appSecret, batch: 50, reads: false });
    const config = buildConfig(
      {
        accounts: [{ id: ACME.id, name: ACME.name, displayName: ACME.displayName, token: '${T}', timezone: ACME.timezone }],
        alerts: [
          {
            name: 'failures',
            account: ACME.name,
            source: 'webhooks',
            drillDown: ['phone', 'country'],
            targets: [{ slack: { channel: 'C0OPS' } }],
          },
        ],
      },
      { GRAPH_API_URL: sandbox.url },
    );
    expect(config.alerts[0]!.checkEvery).toBe(60_000);
    const graph = new GraphClient({ ...config.graph, now: () => clock });
    const delivery = new RecordingDelivery();
    const checker = new AlertChecker({
      store,
      ctx: { config, accounts: graphAccountsFrom({ T: 'sandbox-token' }), graph, now: () => clock },
      owner: 'minutes',
      logger: silentLogger,
      delivery,
    });
    try {
      // Three hours of ordinary traffic before: the baseline.
      await emitter.emit(BURST_START / 1000 - 4 * 3600, BURST_START / 1000 - 3600);
      // Then minute by minute, as Meta delivers them, with a check every minute.
      const opened: number[] = [];
      for (let t = BURST_START - 60 * 60_000; t < BURST_END + 30 * 60_000; t += 60_000) {
        await emitter.emit(t / 1000, t / 1000 + 60);
        clock = t + 60_000;
        await checker.tick(clock);
        if (delivery.events.some((e) => e.action === 'post') && opened.length === 0) opened.push(clock);
      }
      const posts = delivery.events.filter((e) => e.action === 'post');
      // One alert: nothing in the quiet hour before, and no second one during the burst.
      expect(posts).toHaveLength(1);
      const minutesToAlert = (opened[0]! - BURST_START) / 60_000;
      expect(minutesToAlert).toBeGreaterThan(0);
      expect(minutesToAlert).toBeLessThanOrEqual(5);
      const alert = posts[0]!.alert;
      const burst = alert.anomalies.find((a) => a.kind === 'failure_burst')!;
      expect(burst.code).toBe(131049);
      expect(burst.explanation).toMatch(/led by 131049 \(\d+ of \d+\) — Held back .* retry after 24 hours/);
      // Its small chart: the scope's failure rate in 5-minute windows over the last hour, the burst shaded.
      expect(alert.chart).toMatchObject({ measure: 'failures', badStart: expect.any(Number) });
      expect(alert.chart!.points).toHaveLength(56);
      expect(alert.chart!.points.at(-1)!.rate!).toBeGreaterThan(alert.chart!.points.at(-1)!.expected! + 0.05);
      const { alertChartSpec } = await import('../src/alerts/chart.js');
      const spec = alertChartSpec(alert)!;
      expect(JSON.stringify(spec.config.options?.plugins?.title)).toMatch(/messages failing \(5-minute windows\)"/);
      // It resolves once the minutes are back to usual.
      const resolved = delivery.events.find((e) => e.alert.resolved);
      expect(resolved).toBeDefined();
      expect((resolved!.alert.lastBadEnd ?? 0) * 1000).toBeLessThanOrEqual(BURST_END + 10 * 60_000);
    } finally {
      await emitter.stop();
      await receiver.close();
      await graph.close();
      clock = NOW;
    }
  }, 120_000);
});

describe('the minute checks against the store', () => {
  it('sum the baseline day once a quarter hour and read only the newest minutes, and judge exactly as reading it all would', async () => {
    const backend = (await storeBackends())[0]!;
    const store = await backend.open();
    const receiver = await startStatusReceiver({ store, accounts: [ACME.id], appSecret: 'q', log: silentLogger, now: () => BURST_START });
    const emitter = new StatusWebhookEmitter({ accounts: [ACME], url: receiver.url, appSecret: 'q', batch: 50, reads: false });
    const calls = { totals: 0, counts: 0, minutesRead: [] as number[] };
    const counted = {
      statuses: {
        statusTotals: (...args: Parameters<StatusRepository['statusTotals']>) => {
          calls.totals++;
          return store.statuses.statusTotals(...args);
        },
        statusCounts: (...args: Parameters<StatusRepository['statusCounts']>) => {
          calls.counts++;
          calls.minutesRead.push((args[2] - args[1]) / 60);
          return store.statuses.statusCounts(...args);
        },
      },
    };
    const { statusWindow } = await import('../src/alerts/judge/webhooks.js');
    const { webhookJudge } = await import('../src/alerts/sources.js');
    const judge = webhookJudge(counted);
    const rule = { drillDown: ['phone', 'country'], sensitivity: 'normal', minSent: 200 } as unknown as Parameters<typeof judge>[0];
    const summary = (j: Awaited<ReturnType<typeof judge>>) =>
      j.ongoing.map((a) => `${a.scope.kind}:${a.scope.key}:${a.code}:${a.start}`).sort();
    try {
      // The day before the burst, and its first half hour, as serve would have counted them.
      await emitter.emit(BURST_START / 1000 - 26 * 3600, BURST_START / 1000 + 1800);
      const from = BURST_START - 10 * 60_000;
      let alarms = 0;
      for (let m = 0; m < 30; m++) {
        const at = from + m * 60_000 + 5_000;
        const kept = await judge(rule, { id: ACME.id }, at, true);
        const { baseline, recent } = statusWindow(at);
        const whole = judgeStatuses(
          {
            baseline: await store.statuses.statusTotals(ACME.id, baseline[0], baseline[1]),
            recent: await store.statuses.statusCounts(ACME.id, recent[0], recent[1]),
          },
          at,
          rule,
        );
        expect(summary(kept)).toEqual(summary(whole));
        alarms += kept.ongoing.length;
      }
      expect(alarms).toBeGreaterThan(0); // the burst was seen, the same way
      // 10:00 IST is a quarter hour: the baseline day summed at 09:50's quarter, 10:00's and 10:15's.
      expect(calls.totals).toBe(3);
      expect(calls.counts).toBe(30);
      expect(calls.minutesRead[0]).toBe(60);
      expect(Math.max(...calls.minutesRead.slice(1))).toBeLessThanOrEqual(7);
    } finally {
      await emitter.stop();
      await receiver.close();
      await store.close();
      await backend.cleanup();
    }
  }, 60_000);
});

describe('the minute judge', () => {
  const row = (minute: number, status: StatusCount['status'], count: number, extra: Partial<StatusCount> = {}): StatusCount => ({
    accountId: '1',
    minute,
    phone: '16315551000',
    country: 'IN',
    status,
    code: status === 'failed' ? 131026 : 0,
    category: '',
    count,
    ...extra,
  });
  const now = Date.UTC(2026, 10, 24, 12, 0);
  const base = now / 1000 - 3 * 3600;

  it('stays quiet on ordinary failures, and on a burst too small to tell from noise', () => {
    const rows: StatusCount[] = [];
    for (let m = base; m < now / 1000; m += 60) rows.push(row(m, 'sent', 100), row(m, 'failed', 2));
    expect(judgeStatuses(statusWindowOf(rows, now), now, { drillDown: ['phone', 'country'] }).ongoing).toEqual([]);
    // Four extra failures in the last minute on 100 messages: not news.
    rows.push(row(now / 1000 - 60, 'failed', 4, { code: 131049 }));
    expect(judgeStatuses(statusWindowOf(rows, now), now, { drillDown: ['phone'] }).ongoing).toEqual([]);
  });

  it('finds a burst, says since when, and names its commonest code', () => {
    const rows: StatusCount[] = [];
    for (let m = base; m < now / 1000; m += 60) rows.push(row(m, 'sent', 100), row(m, 'failed', 2));
    for (let m = now / 1000 - 180; m < now / 1000; m += 60) rows.push(row(m, 'failed', 30, { code: 131049 }));
    const [burst] = judgeStatuses(statusWindowOf(rows, now), now, { drillDown: [] }).ongoing;
    expect(burst).toMatchObject({ kind: 'failure_burst', code: 131049, start: now / 1000 - 180, severity: 'critical' });
    expect(burst!.observed).toBeGreaterThan(0.15);
  });
});
