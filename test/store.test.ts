import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type SqlStore } from '../src/store/sql.js';
import { storeBackends } from './helpers/stores.js';

const backends = await storeBackends();

describe.each(backends)('store on $name', (backend) => {
  let store: SqlStore;
  const slack = { platform: 'slack' as const, conversation: 'C0OPS' };
  const teams = { platform: 'teams' as const, conversation: '19:ops@thread.tacv2' };

  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
    await backend.cleanup();
  });

  it('is migrated on open, and migrating again changes nothing', async () => {
    expect(await store.migrate()).toEqual([]);
  });

  it('keeps one subscription per target, account and period', async () => {
    const first = await store.preferences.addSubscription(
      { ...slack, accountId: '104729384756102', every: 'daily', at: '09:00', timezone: 'Asia/Kolkata', createdBy: 'U1' },
      1_700_000_000_000,
    );
    expect(first).toMatchObject({ accountId: '104729384756102', every: 'daily', at: '09:00', createdAt: 1_700_000_000_000 });
    await store.preferences.addSubscription(
      { ...slack, accountId: '104729384756102', every: 'daily', at: '08:30', timezone: 'Europe/Berlin', createdBy: 'U2' },
      1_700_000_100_000,
    );
    await store.preferences.addSubscription(
      { ...slack, accountId: '104729384756102', every: 'weekly', at: '09:00', timezone: 'Europe/Berlin', createdBy: 'U2' },
      1_700_000_200_000,
    );
    await store.preferences.addSubscription(
      { ...teams, accountId: '104729384756102', every: 'daily', at: '07:00', timezone: 'UTC', createdBy: 'aad' },
      1_700_000_300_000,
    );
    const here = await store.preferences.listSubscriptions(slack);
    expect(here.map((s) => [s.every, s.at, s.timezone, s.createdBy])).toEqual([
      ['daily', '08:30', 'Europe/Berlin', 'U2'],
      ['weekly', '09:00', 'Europe/Berlin', 'U2'],
    ]);
    expect(await store.preferences.listSubscriptions()).toHaveLength(3);
    expect(await store.preferences.removeSubscriptions(slack, '104729384756102')).toBe(2);
    expect(await store.preferences.listSubscriptions(slack)).toEqual([]);
    expect(await store.preferences.removeSubscriptions(slack, '104729384756102')).toBe(0);
  });

  it('keeps alert settings per conversation and account', async () => {
    await store.preferences.setAlertsEnabled(slack, 'a1', false);
    await store.preferences.muteAlerts(slack, 'a2', 1_700_003_600_000);
    await store.preferences.setAlertsEnabled(slack, 'a2', true);
    expect(await store.preferences.alertSettings(slack)).toEqual([
      { ...slack, accountId: 'a1', enabled: false, mutedUntil: null },
      { ...slack, accountId: 'a2', enabled: true, mutedUntil: 1_700_003_600_000 },
    ]);
    expect(await store.preferences.alertSettings(teams)).toEqual([]);
  });

  it('records who acknowledged and muted an alert, in order', async () => {
    await store.alerts.recordAlertAction('k1', { status: 'acknowledged', by: 'U1', at: 1 });
    await store.alerts.recordAlertAction('k1', { status: 'muted', by: 'U2', at: 2, mutedUntil: 3_600_002 });
    await store.alerts.recordAlertAction('k2', { status: 'acknowledged', by: 'U3', at: 5 });
    expect(await store.alerts.alertHistory('k1')).toEqual([
      { status: 'acknowledged', by: 'U1', at: 1 },
      { status: 'muted', by: 'U2', at: 2, mutedUntil: 3_600_002 },
    ]);
  });

  it('caches buckets per key with their coverage: spans that meet are joined, a span apart replaces, old ones are pruned', async () => {
    const b = (start: number, sent: number) => ({ start, end: start + 1800, sent, delivered: sent - 1 });
    const kept = async (key: string) => (await store.buckets.readBuckets(key, 0, 100_000)).map((p) => [p.start, p.sent]);
    expect(
      await store.buckets.writeBuckets('k', { start: 0, end: 7200 }, [b(0, 5), b(3600, 7)], {
        phoneNumbers: ['1631'],
        countryCodes: ['IN'],
      }),
    ).toEqual({
      start: 0,
      end: 7200,
      phoneNumbers: ['1631'],
      countryCodes: ['IN'],
    });
    expect(await store.buckets.bucketCoverage('k')).toEqual({ start: 0, end: 7200, phoneNumbers: ['1631'], countryCodes: ['IN'] });
    // Meets the kept span: joined, what Graph listed too; then what lies before 1800 is dropped.
    await store.buckets.writeBuckets(
      'k',
      { start: 7200, end: 10_800 },
      [b(7200, 9)],
      { phoneNumbers: ['1631'], countryCodes: ['US'] },
      1800,
    );
    expect(await store.buckets.bucketCoverage('k')).toEqual({
      start: 1800,
      end: 10_800,
      phoneNumbers: ['1631'],
      countryCodes: ['IN', 'US'],
    });
    expect(await kept('k')).toEqual([
      [3600, 7],
      [7200, 9],
    ]);
    // Overlaps it: joined; settled buckets are final, so only the part outside what is kept is written.
    await store.buckets.writeBuckets('k', { start: 0, end: 5400 }, [b(0, 2), b(1800, 4)], { phoneNumbers: [], countryCodes: [] });
    expect(await store.buckets.bucketCoverage('k')).toMatchObject({ start: 0, end: 10_800 });
    expect(await kept('k')).toEqual([
      [0, 2],
      [3600, 7],
      [7200, 9],
    ]);
    // Inside it: nothing to write.
    await store.buckets.writeBuckets('k', { start: 1800, end: 9000 }, [b(1800, 4), b(3600, 99)], { phoneNumbers: [], countryCodes: [] });
    expect(await kept('k')).toEqual([
      [0, 2],
      [3600, 7],
      [7200, 9],
    ]);
    // Apart from it: replaces it whole.
    await store.buckets.writeBuckets('k', { start: 50_400, end: 54_000 }, [b(52_200, 3)], { phoneNumbers: ['1632'], countryCodes: [] });
    expect(await store.buckets.bucketCoverage('k')).toEqual({ start: 50_400, end: 54_000, phoneNumbers: ['1632'], countryCodes: [] });
    expect(await kept('k')).toEqual([[52_200, 3]]);
    expect(await store.buckets.bucketCoverage('other')).toBeUndefined();
  });

  it('gives back what it keeps as JSON as typed values, and says which row does not read', async () => {
    const content = {
      key: 'Kq3mV9xYt2LpW8rZ',
      shortId: 'A-7K3F',
      accountId: 'a1',
      accountName: 'Acme',
      timezone: 'Asia/Kolkata',
      anomalies: [{ severity: 'critical' as const, explanation: 'delivery fell to 61%', kind: 'delivery_drop' as const, start: 3600 }],
      // A field this version does not know (a newer replica wrote it) is kept, not stripped.
      extra: { note: 'kept' },
    };
    const alert = {
      key: content.key,
      shortId: 'A-7K3F',
      rule: 'acme:0',
      accountId: 'a1',
      status: 'open' as const,
      openedAt: 1,
      updatedAt: 2,
    };
    await store.alerts.saveAlert({ ...alert, content });
    expect((await store.alerts.alert(content.key))?.content).toEqual(content);

    const episode = {
      rule: 'acme:0',
      alertKey: content.key,
      status: 'open' as const,
      openedAt: 1,
      lastNotifiedAt: 1,
      reminders: 0,
      cleanChecks: 0,
      resolvedAt: null,
    };
    const summary = { shortId: 'A-7K3F', announced: ['delivery_drop|account|'], firstBucketStart: 3600, lastBadEnd: 5400 };
    await store.alerts.saveAlertEpisode({ ...episode, summary });
    expect((await store.alerts.alertEpisode('acme:0'))?.summary).toEqual(summary);
    // An episode kept before the lifecycle kept its state there reads as one with nothing announced.
    await backend.admin("update alert_state set summary = 'opened: 3 anomalies' where rule = 'acme:0'");
    expect((await store.alerts.alertEpisode('acme:0'))?.summary).toEqual({ announced: [] });

    const stats = { stepMinutes: 10, visible: [1, 2], final: [2, 2], ratioSquares: [0.5, 2], count: [1, 1] };
    const seen: unknown[] = [];
    await store.buckets.updateSettleStats(
      'a1',
      (before) => {
        seen.push(before);
        return stats;
      },
      5,
    );
    expect(seen).toEqual([undefined]);
    await store.buckets.updateSettleStats('a1', (before) => ({ ...before!, count: before!.count.map((c) => c + 1) }), 6);
    expect(await store.buckets.settleStats('a1')).toEqual({ ...stats, count: [2, 2] });

    await backend.admin(`update alerts set content = '{"key":"${content.key}"}' where key = '${content.key}'`);
    await expect(store.alerts.alert(content.key)).rejects.toThrow(
      expect.objectContaining({
        code: 'E_STORE',
        message: expect.stringMatching(/^alert A-7K3F in the store does not read as expected \(shortId: /),
      }),
    );
  });

  it('stores Teams conversation references and marks removed ones inactive', async () => {
    const reference = { serviceUrl: 'https://smba.example/', conversation: { id: '19:ops@thread.tacv2' }, bot: { id: '28:bot' } };
    await store.conversations.saveConversation({ conversation: '19:ops@thread.tacv2', reference, tenant: 't1', updatedAt: 10 });
    await store.conversations.saveConversation({ conversation: '19:gone@thread.tacv2', reference, tenant: null, updatedAt: 11 });
    await store.conversations.markConversationInactive('19:gone@thread.tacv2', 'connector answered 403', 12);
    expect(await store.conversations.listConversations({ activeOnly: true })).toEqual([
      { conversation: '19:ops@thread.tacv2', reference, tenant: 't1', active: true, inactiveReason: null, updatedAt: 10 },
    ]);
    const gone = (await store.conversations.listConversations()).find((c) => c.conversation === '19:gone@thread.tacv2')!;
    expect(gone).toMatchObject({ active: false, inactiveReason: 'connector answered 403', updatedAt: 12 });
    // Spoken to again: active again.
    await store.conversations.saveConversation({ conversation: '19:gone@thread.tacv2', reference, tenant: null, updatedAt: 13 });
    expect((await store.conversations.listConversations({ activeOnly: true })).map((c) => c.conversation)).toEqual([
      '19:gone@thread.tacv2',
      '19:ops@thread.tacv2',
    ]);
  });
});

describe('opening a store', () => {
  it('refuses a URL it cannot use, without echoing a password', async () => {
    await expect(openStore('mysql://root:hunter2@db/x')).rejects.toThrow(
      'env.DATABASE_URL: "mysql://***@db/x" is not a PostgreSQL or SQLite URL',
    );
  });

  it('says when the database cannot be reached', async () => {
    await expect(openStore('postgres://postgres@127.0.0.1:1/none')).rejects.toThrow(/database migration failed|cannot reach the database/);
  });
});

describe('waba-pulse migrate', () => {
  it('applies the schema once and then says it is up to date', async () => {
    const { runCli } = await import('../src/cli/main.js');
    const { PassThrough } = await import('node:stream');
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-migrate-'));
    const run = async () => {
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (c) => (out += c));
      const code = await runCli(['migrate'], {
        stdout,
        stderr: new PassThrough(),
        env: { DATABASE_URL: 'sqlite:./db/pulse.db' },
        now: Date.now,
        cwd: dir,
      });
      return { code, out };
    };
    expect(await run()).toEqual({
      code: 0,
      out: 'applied 001_chat_state, 002_runs, 003_alert_state, 004_bucket_cache, 005_alerts_and_dedupe, 006_settle_curves, 007_status_counts, 008_health_events, 009_rules, 010_chat_digests to the sqlite database\n',
    });
    expect(await run()).toEqual({ code: 0, out: 'the sqlite database is up to date\n' });
  });
});

describe('waba-pulse runs', () => {
  it('lists runs with their outcome, and failures alone with --failed', async () => {
    const { runCli } = await import('../src/cli/main.js');
    const { PassThrough } = await import('node:stream');
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-runs-'));
    const env = { DATABASE_URL: 'sqlite:./pulse.db' };
    const store = await openStore(env.DATABASE_URL, { cwd: dir });
    const t = Date.UTC(2026, 10, 24, 8, 0);
    await store.runs.claimRun('digest:a', '2026-11-24', 'replica-1', t, 600_000);
    await store.runs.finishRun('digest:a', '2026-11-24', { status: 'posted', attempts: 1 }, t + 2_000);
    await store.runs.claimRun('digest:b', '2026-11-24', 'replica-2', t + 1, 600_000);
    await store.runs.finishRun('digest:b', '2026-11-24', { status: 'failed', attempts: 3, detail: 'Slack answered 500' }, t + 9_000);
    await store.close();
    const run = async (args: string[]) => {
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (c) => (out += c));
      const code = await runCli(args, { stdout, stderr: new PassThrough(), env, cwd: dir, now: Date.now });
      return { code, out };
    };
    expect(await run(['runs'])).toEqual({
      code: 0,
      out: '2026-11-24 08:00Z  failed   digest:b  2026-11-24  by replica-2, 3 attempts  — Slack answered 500\n2026-11-24 08:00Z  posted   digest:a  2026-11-24  by replica-1, 1 attempt\n',
    });
    expect(await run(['runs', '--failed'])).toEqual({
      code: 1,
      out: '2026-11-24 08:00Z  failed   digest:b  2026-11-24  by replica-2, 3 attempts  — Slack answered 500\n',
    });
  });

  it('creates no database where there is none', async () => {
    const { runCli } = await import('../src/cli/main.js');
    const { PassThrough } = await import('node:stream');
    const { existsSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-runs-'));
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c) => (out += c));
    expect(await runCli(['runs'], { stdout, stderr: new PassThrough(), env: {}, cwd: dir, now: Date.now })).toBe(0);
    expect(out).toBe('no runs yet (no store at ./data/waba-pulse.db: `waba-pulse serve` creates it)\n');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('says which config digest a run belongs to', async () => {
    const { runCli } = await import('../src/cli/main.js');
    const { loadConfig } = await import('../src/configure.js');
    const { configDigests } = await import('../src/jobs/digests.js');
    const { PassThrough } = await import('node:stream');
    const { writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-runs-'));
    const configPath = join(dir, 'waba-pulse.yaml');
    writeFileSync(
      configPath,
      'accounts:\n  - { id: "104729384756102", name: acme, token: "${T}", timezone: Asia/Kolkata }\ndigests:\n  - { account: acme, at: "08:00", targets: [{ slack: { channel: C0MORNING } }] }\n',
    );
    const env = { DATABASE_URL: 'sqlite:./pulse.db', WABA_PULSE_CONFIG: configPath, T: 'x' };
    const [digest] = configDigests(loadConfig(env));
    const store = await openStore(env.DATABASE_URL, { cwd: dir });
    const t = Date.UTC(2026, 10, 24, 2, 30);
    await store.runs.claimRun(digest!.job, '2026-11-24', 'replica-1', t, 600_000);
    await store.runs.finishRun(digest!.job, '2026-11-24', { status: 'posted', attempts: 1 }, t + 2_000);
    await store.close();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c) => (out += c));
    expect(await runCli(['runs'], { stdout, stderr: new PassThrough(), env, cwd: dir, now: Date.now })).toBe(0);
    expect(out).toBe(
      `2026-11-24 02:30Z  posted   ${digest!.job} (digests[0]: acme daily at 08:00 Asia/Kolkata → slack C0MORNING)  2026-11-24  by replica-1, 1 attempt\n`,
    );
  });
});
