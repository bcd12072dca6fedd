import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingDelivery } from '../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker } from '../src/alerts/checker.js';
import { curveFromStats } from '../src/analytics/settle.js';
import { CachedAnalytics } from '../src/cache/bucketCache.js';
import { runCli } from '../src/cli/main.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { silentLogger } from '../src/log.js';
import type { SandboxAccount } from '../src/sandbox/accountModel.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { capturedOutput } from './helpers/output.js';
import { storeBackends } from './helpers/stores.js';

const NOW = Date.UTC(2026, 10, 25, 10, 15);
const TOKEN = 'EAAG-backtest-token-8080';
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-backtest-'));
const silent: SandboxAccount = {
  ...sampleAccounts(NOW)[2]!,
  id: '112233445566999',
  name: 'silent-co',
  displayName: 'Silent Co',
  volume: 0,
};

const CONFIG = `
accounts:
  - id: "104729384756102"
    name: acme-retail
    displayName: Acme Retail
    token: \${T}
    timezone: Asia/Kolkata
  - id: "112233445566999"
    name: silent-co
    token: \${T}
alerts:
  - name: drops
    account: acme-retail
    drillDown: [phone, country]
    targets: [{ slack: { channel: C0OPS } }]
`;

let sandbox: RunningSandbox;
let configPath: string;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: [...sampleAccounts(NOW), silent], now: () => NOW, token: TOKEN, callsPerHour: 100_000 });
  configPath = join(dir, 'waba-pulse.yaml');
  writeFileSync(configPath, CONFIG);
});
afterAll(() => sandbox.close());

async function cli(args: string[]) {
  const { stdout, stderr, out, err } = capturedOutput();
  const code = await runCli(['--config', configPath, ...args], {
    stdout,
    stderr,
    env: { T: TOKEN, GRAPH_API_URL: sandbox.url, DATABASE_URL: 'sqlite::memory:' },
    cwd: dir,
    now: () => NOW,
  });
  return { code, out: out(), err: err() };
}

describe('waba-pulse backtest', () => {
  it('replays the rule and finds the sample incident, in the JSON contract', async () => {
    const before = sandbox.stats.requests;
    const { code, out, err } = await cli(['backtest', '--account', 'acme-retail', '--last', '7d', '--format', 'json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(out) as Record<string, any>;
    expect(json.account).toEqual({ id: '104729384756102', name: 'acme-retail', displayName: 'Acme Retail' });
    expect(json.rule).toMatchObject({ name: 'drops', checkEvery: '30m', sensitivity: 'normal', drillDown: ['phone', 'country'] });
    expect(json.range).toEqual({ start: '2026-11-18T00:00:00+05:30', end: '2026-11-25T00:00:00+05:30', timezone: 'Asia/Kolkata' });
    expect(json.checks).toBe(336);
    // Fetched once: the account, 3 numbers and 4 countries, 15 days of half hours in three chunks each.
    expect(json.graphCalls).toBe(sandbox.stats.requests - before);
    expect(json.graphCalls).toBe(24);
    // The sample day's incidents: an hour of marketing held back (10:00, account-wide) is an hour
    // down that recovered at once — no drop worth an alert, and its next half hour, read as it
    // arrives, is soon back within the 3 points a drop must average — so no alert (a rule with a
    // rate floor raises one: the README's); the number's drop to India (13:00) is seen at 13:30,
    // its first half hour read by its sibling numbers.
    expect(json.episodes).toHaveLength(1);
    const [episode] = json.episodes;
    expect(episode).toMatchObject({
      kind: 'delivery_drop',
      severity: 'critical',
      scope: { kind: 'phone', key: '16315551000' },
      firstBucketStart: '2026-11-24T13:00:00+05:30',
      openedAt: '2026-11-24T13:30:00+05:30',
    });
    expect(episode.explanation).not.toMatch(/Then /);
    expect(Object.keys(episode)).toEqual(
      expect.arrayContaining([
        'scope',
        'kind',
        'severity',
        'firstBucketStart',
        'openedAt',
        'resolvedAt',
        'reminders',
        'observed',
        'expected',
        'explanation',
      ]),
    );
    expect(episode.minutesToAlert).toBeLessThanOrEqual(30);
    expect(episode.resolvedAt).not.toBeNull();
    expect(json.totals).toMatchObject({ episodes: 1 });
  }, 60_000);

  it('prints the episodes as text and writes chart.png and backtest.json with --out', async () => {
    const out = join(dir, 'bt');
    const result = await cli(['backtest', '--account', 'acme-retail', '--last', '7d', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /^Backtest of rule "drops" on Acme Retail, 18–24 Nov 2026 \(Asia\/Kolkata\)\n336 checks every 30m · \d+ Graph calls/,
    );
    expect(result.out).toMatch(/1 alert \(4\.29 per 30 days\); median \d+ min from the end of the first bad half hour to the alert/);
    expect(result.out).toContain('+1 631 555 1000');
    expect(readdirSync(out).sort()).toEqual(['backtest.json', 'chart.png']);
    expect(readFileSync(join(out, 'chart.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(JSON.parse(readFileSync(join(out, 'backtest.json'), 'utf8')).episodes).toHaveLength(1);
  }, 60_000);

  it('says so for an account without data', async () => {
    const { code, out } = await cli(['backtest', '--account', 'silent-co', '--last', '3d']);
    expect(code).toBe(0);
    expect(out).toContain('Note: the account sent nothing in this window; there was nothing to judge.');
    expect(out).toContain('0 alerts');
  }, 60_000);

  it('refuses a rule that does not exist, a range too old, in the future or too long: one line, exit 2, nothing written', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--rule', 'nosuch'],
        /^waba-pulse: no alert rule "nosuch" for account "acme-retail"\. Rules for it: drops; or leave out --rule for the first\.\n$/,
      ],
      [
        ['--from', '2022-01-01', '--to', '2022-01-10'],
        /^waba-pulse: the range starts 2022-01-01, too far back: Graph keeps a year, and each check needs 8 days before it\. Start on or after 2025-12-04\.\n$/,
      ],
      [['--from', '2027-01-01', '--to', '2027-01-05'], /is in the future/],
      [['--last', '60d'], /^waba-pulse: a backtest of 60 days is longer than 31\. Replay up to 31 days at a time/],
    ];
    for (const [args, pattern] of cases) {
      const out = join(dir, `refused-${args[1]}`);
      const { code, err, out: stdout } = await cli(['backtest', '--account', 'acme-retail', ...args, '--out', out]);
      expect(code).toBe(2);
      expect(err).toMatch(pattern);
      expect(stdout).toBe('');
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    }
  });
});

const backends = await storeBackends();

describe.each(backends)('settle curves learned on $name', (backend) => {
  it("learns how the account's deliveries arrive from successive checks", async () => {
    let clock = Date.UTC(2026, 10, 24, 0, 0);
    // A Graph whose clock is the checks' clock: its newest buckets are still settling.
    const live = await startSandbox({ accounts: sampleAccounts(NOW), now: () => clock, token: TOKEN, callsPerHour: 100_000 });
    const store = await backend.open();
    const config = buildConfig(
      {
        accounts: [{ id: '104729384756102', name: 'acme-retail', token: '${T}', timezone: 'Asia/Kolkata' }],
        alerts: [{ name: 'learn', account: 'acme-retail', drillDown: ['phone'], targets: [{ slack: { channel: 'C0LEARN' } }] }],
      },
      { GRAPH_API_URL: live.url },
    );
    const graph = new GraphClient({ ...config.graph, now: () => clock });
    const cache = new CachedAnalytics(graph, store, () => clock);
    const checker = new AlertChecker({
      store,
      ctx: { config, accounts: graphAccountsFrom({ T: TOKEN }), graph: cache, now: () => clock },
      delivery: new RecordingDelivery(),
      logger: silentLogger,
      owner: 'learner',
      settleCurves: cache.settleCurves,
    });
    try {
      for (let k = 0; k < 28; k++) {
        await checker.tick(clock);
        clock += 30 * 60_000;
      }
      const curve = curveFromStats((await store.buckets.settleStats('104729384756102'))!);
      expect(curve.source).toBe('learned');
      // The sandbox's deliveries arrive as 1 − ½·e^(−(age + 5)/25): 59% at once, 88% after 30 min.
      expect(curve.fraction[0]).toBeCloseTo(0.59, 1);
      expect(curve.fraction[1]).toBeCloseTo(0.877, 1);
      expect(curve.fraction[2]).toBeGreaterThan(0.95);
      expect(curve.observations[1]).toBeGreaterThanOrEqual(20);
    } finally {
      await graph.close();
      await store.close();
      await live.close();
      await backend.cleanup();
    }
  }, 60_000);
});

describe('an alert on a quiet day', () => {
  it('resolves within hours of its drop ending on a Sunday, when each number sends a few hundred a half hour', async () => {
    // Monday morning: the sandbox's incidents fall on Sunday, its lightest day. A scope back to
    // normal reads a point or two under its expected rate by chance alone at that volume; read as
    // still down, the 13:00–17:30 drop's alert stayed open until midnight.
    const monday = Date.UTC(2026, 11, 7, 4, 0);
    const sunday = await startSandbox({ accounts: sampleAccounts(monday), now: () => monday, token: TOKEN, callsPerHour: 100_000 });
    try {
      const { stdout, stderr, out } = capturedOutput();
      const code = await runCli(['--config', configPath, 'backtest', '--account', 'acme-retail', '--last', '7d', '--format', 'json'], {
        stdout,
        stderr,
        env: { T: TOKEN, GRAPH_API_URL: sunday.url, DATABASE_URL: 'sqlite::memory:' },
        cwd: dir,
        now: () => monday,
      });
      expect(code).toBe(0);
      const episodes = JSON.parse(out()).episodes as Array<{ firstBucketStart: string; resolvedAt: string | null }>;
      // The episode the drop is in: the last to begin before its end.
      const drop = episodes.filter((e) => Date.parse(e.firstBucketStart) < Date.parse('2026-12-06T17:30:00+05:30')).at(-1);
      expect(drop).toBeDefined();
      expect(drop!.resolvedAt).not.toBeNull();
      // Its last bad half hour ends at 17:30; its deliveries settle within the hour, then two clean checks.
      expect(Date.parse(drop!.resolvedAt!)).toBeLessThanOrEqual(Date.parse('2026-12-06T21:00:00+05:30'));
    } finally {
      await sunday.close();
    }
  }, 60_000);
});

describe('waba-pulse backtest of a source: webhooks rule', () => {
  const ACME = sampleAccounts(NOW)[0]!;
  const storePath = join(dir, 'webhooks.db');
  const webhookConfig = join(dir, 'webhooks.yaml');

  beforeAll(async () => {
    writeFileSync(
      webhookConfig,
      `${CONFIG}  - name: failures
    account: acme-retail
    source: webhooks
    targets: [{ slack: { channel: C0OPS } }]
`,
    );
    // What serve would have counted: Acme's statuses from the day before through yesterday noon (IST).
    const { openStore } = await import('../src/store/sql.js');
    const { startStatusReceiver } = await import('../src/whatsapp/receiver.js');
    const { StatusWebhookEmitter } = await import('../src/sandbox/statusWebhooks.js');
    const store = await openStore(`sqlite:${storePath}`);
    const receiver = await startStatusReceiver({ store, accounts: [ACME.id], appSecret: 'bt-secret', log: silentLogger, now: () => NOW });
    const emitter = new StatusWebhookEmitter({ accounts: [ACME], url: receiver.url, appSecret: 'bt-secret', batch: 50, reads: false });
    await emitter.emit(Date.UTC(2026, 10, 23, 3, 30) / 1000, Date.UTC(2026, 10, 24, 6, 30) / 1000);
    await emitter.stop();
    await receiver.close();
    await store.close();
  }, 60_000);

  const backtest = async (args: string[], env: NodeJS.ProcessEnv = { DATABASE_URL: `sqlite:${storePath}` }) => {
    const { stdout, stderr, out, err } = capturedOutput();
    const code = await runCli(['--config', webhookConfig, 'backtest', '--account', 'acme-retail', '--rule', 'failures', ...args], {
      stdout,
      stderr,
      env: { T: TOKEN, ...env },
      cwd: dir,
      now: () => NOW,
    });
    return { code, out: out(), err: err() };
  };

  it("replays the rule minute by minute over the store's status counts: the 131049 burst, opened within 5 minutes, resolved after it", async () => {
    const before = sandbox.stats.requests;
    const { code, out } = await backtest(['--from', '2026-11-24T09:00', '--to', '2026-11-24T12:00', '--format', 'json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(sandbox.stats.requests).toBe(before); // nothing asked of Graph
    expect(json).toMatchObject({ source: 'webhooks', graphCalls: 0, checks: 180, notes: [] });
    expect(json.episodes).toHaveLength(1);
    const [episode] = json.episodes;
    expect(episode).toMatchObject({ kind: 'failure_burst', explanation: expect.stringMatching(/led by 131049/) });
    // The burst starts at 10:00 IST: the alert opens within 5 minutes and resolves after 11:00.
    expect(episode.openedAt >= '2026-11-24T10:00:00+05:30' && episode.openedAt <= '2026-11-24T10:05:59+05:30').toBe(true);
    expect(episode.minutesToAlert).toBeLessThanOrEqual(5);
    expect(episode.resolvedAt > '2026-11-24T11:00:00+05:30').toBe(true);
    const text = await backtest(['--from', '2026-11-24T09:00', '--to', '2026-11-24T12:00']);
    expect(text.out).toContain('180 checks every 1m · status webhooks from the store · sensitivity normal · drill-down phone, country');
    expect(text.out).toMatch(/1 alert \([\d.]+ per 30 days\); median \d min from the end of the first bad minute to the alert/);
  }, 60_000);

  it('counts alerts per 30 days over the days with statuses, and says so, not over the whole window', async () => {
    // Seven days asked; the store holds statuses from 23 Nov 09:00 to 24 Nov 12:00 IST only.
    const { code, out } = await backtest(['--from', '2026-11-18', '--to', '2026-11-24', '--format', 'json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.totals.daysWithData).toBeGreaterThan(1);
    expect(json.totals.daysWithData).toBeLessThan(1.5);
    expect(json.totals.episodesPer30Days).toBeCloseTo((json.episodes.length / json.totals.daysWithData) * 30, 0);
    const text = await backtest(['--from', '2026-11-18', '--to', '2026-11-24']);
    expect(text.out).toMatch(/\([\d.]+ per 30 days, counted over the 1\.\d of 7 days with statuses\)/);
  }, 60_000);

  it('says when there is no store to replay from, or nothing in it for the range', async () => {
    const none = await backtest(['--last', '1d'], {});
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/rule "failures" judges status webhooks, and there is no store to replay them from/);
    const early = await backtest(['--from', '2026-11-20', '--to', '2026-11-20', '--format', 'json']);
    expect(early.code).toBe(0);
    expect(JSON.parse(early.out)).toMatchObject({
      episodes: [],
      notes: ['No WhatsApp status webhooks in the store for this range: nothing to replay.'],
    });
  });
});
