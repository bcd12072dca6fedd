import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../src/configure.js';
import { createLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { type StatusRecord, StatusWebhookEmitter, signBody, statusNotification } from '../src/sandbox/statusWebhooks.js';
import { type RunningService, startService } from '../src/serve/service.js';
import type { SqlStore } from '../src/store/sql.js';
import { capturedOutput } from './helpers/output.js';
import { storeBackends } from './helpers/stores.js';

const APP_SECRET = 'whatsapp-app-secret-5c1d-3a8e0f6b';
const VERIFY_TOKEN = 'verify-me-7e2a';
const NOW = Date.UTC(2026, 10, 25, 6, 0);
const ACME = '104729384756102';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => NOW });
});
afterAll(() => sandbox.close());

const backends = await storeBackends();

describe.each(backends)('WhatsApp status webhooks on $name', (backend) => {
  let service: RunningService;
  let store: SqlStore;
  let logged = '';
  const url = () => `${service.url}/whatsapp/webhook`;

  beforeAll(async () => {
    store = await backend.open();
    const destination = new PassThrough();
    destination.on('data', (c) => (logged += c));
    const config = buildConfig(
      {
        accounts: sampleAccounts(NOW).map((a) => ({
          id: a.id,
          name: a.name,
          displayName: a.displayName,
          token: '${T}',
          timezone: a.timezone,
        })),
      },
      { GRAPH_API_URL: sandbox.url, WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN },
    );
    service = await startService({
      config,
      env: { T: 'sandbox-token' },
      logger: createLogger({ level: 'info', destination }),
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
      store,
      schedule: false,
    });
  });
  afterAll(async () => {
    await service.close();
    await store.close();
    await backend.cleanup();
  });

  const post = async (body: string, signature: string | null = signBody(body, APP_SECRET)) => {
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
      body,
    });
    return { status: res.status, text: await res.text() };
  };
  const minute = Math.floor(NOW / 1000 / 60) * 60 - 600;
  const status = (id: string, s: StatusRecord['status'], extra: Partial<StatusRecord> = {}): StatusRecord => ({
    id,
    status: s,
    timestamp: minute + 5,
    recipient: '919812345678',
    category: 'marketing',
    ...extra,
  });
  const counts = async (from = minute - 3600, to = minute + 3600) => {
    const rows = await store.statuses.statusCounts(ACME, from, to);
    const total: Record<string, number> = {};
    for (const r of rows)
      if (r.status !== 'unsent')
        total[`${r.status}${r.code ? `:${r.code}` : ''}`] = (total[`${r.status}${r.code ? `:${r.code}` : ''}`] ?? 0) + r.count;
    const unsent = rows.filter((r) => r.status === 'unsent').reduce((n, r) => n + r.count, 0);
    return { rows, total, unsent };
  };

  it("answers Meta's verification handshake only with the right token", async () => {
    const ok = await fetch(`${url()}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect([ok.status, await ok.text()]).toEqual([200, '1158201444']);
    const wrong = await fetch(`${url()}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444`);
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain('1158201444');
  });

  it('counts statuses per minute, number, country, status, code and category; a notification delivered twice counts once', async () => {
    const body = JSON.stringify(
      statusNotification(ACME, '16315551000', [
        status('wamid.A1', 'sent'),
        status('wamid.A1', 'delivered'),
        status('wamid.A2', 'sent', { recipient: '14155550123', category: 'utility' }),
        status('wamid.A2', 'failed', { recipient: '14155550123', category: 'utility', code: 131026 }),
        // The same status twice in one notification: once.
        status('wamid.A1', 'delivered'),
      ]),
    );
    expect(await post(body)).toEqual({ status: 200, text: 'ok' });
    expect(await post(body)).toEqual({ status: 200, text: 'ok' });
    const { rows, total } = await counts();
    expect(total).toEqual({ sent: 2, delivered: 1, 'failed:131026': 1 });
    expect(rows.find((r) => r.status === 'failed')).toMatchObject({
      minute,
      phone: '16315551000',
      country: 'US',
      code: 131026,
      category: '',
      count: 1,
    });
    expect(rows.find((r) => r.status === 'sent' && r.country === 'IN')).toMatchObject({ category: 'marketing', count: 1 });
    // Nothing of the message or the recipient is kept, or logged.
    for (const secret of ['wamid.A1', '919812345678', '14155550123']) {
      expect(JSON.stringify(rows)).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });

  it('sums a stretch per number, country, status, code and category in the store, as the minute checks read their baseline', async () => {
    const { rows } = await counts(minute - 7 * 86_400, minute + 7 * 86_400);
    const totals = await store.statuses.statusTotals(ACME, minute - 7 * 86_400, minute + 7 * 86_400);
    const key = (r: { phone: string; country: string; status: string; code: number; category: string }) =>
      `${r.phone}|${r.country}|${r.status}|${r.code}|${r.category}`;
    const expected = new Map<string, number>();
    for (const r of rows) expected.set(key(r), (expected.get(key(r)) ?? 0) + r.count);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Map(totals.map((t) => [key(t), t.count]))).toEqual(expected);
  });

  it('counts a failure whose message was never reported sent as attempted (unsent), once', async () => {
    const at = minute - 2 * 3600; // apart from the minutes the other tests count
    const unsentIn = async () =>
      (await store.statuses.statusCounts(ACME, at, at + 60)).filter((r) => r.status === 'unsent').reduce((n, r) => n + r.count, 0);
    const one = (statuses: StatusRecord[]) => post(JSON.stringify(statusNotification(ACME, '16315551000', statuses)));
    const failed = (id: string) => status(id, 'failed', { code: 131026, timestamp: at + 10 });
    // Failed alone: attempted, never sent.
    expect((await one([failed('wamid.U1')])).status).toBe(200);
    expect(await unsentIn()).toBe(1);
    // Delivered twice over: still once.
    expect((await one([failed('wamid.U1')])).status).toBe(200);
    expect(await unsentIn()).toBe(1);
    // Sent first, then failed: the sent already counts it.
    expect((await one([status('wamid.U2', 'sent', { timestamp: at + 5 })])).status).toBe(200);
    expect((await one([failed('wamid.U2')])).status).toBe(200);
    // Sent and failed in one notification: the same.
    expect((await one([status('wamid.U3', 'sent', { timestamp: at + 5 }), failed('wamid.U3')])).status).toBe(200);
    expect(await unsentIn()).toBe(1);
  });

  it('refuses a missing or wrong signature with 401 and stores nothing', async () => {
    const body = JSON.stringify(statusNotification(ACME, '16315551000', [status('wamid.B1', 'sent')]));
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, signBody(body, 'not-the-secret'))).status).toBe(401);
    expect((await post(body, `${signBody(body, APP_SECRET).slice(0, -2)}00`)).status).toBe(401);
    // A signature of the body re-serialized (not the raw bytes) is not the same signature.
    expect((await post(body.replace('"sent"', '"sent" '), signBody(body, APP_SECRET))).status).toBe(401);
    expect((await counts()).total.sent).toBe(2);
    expect(logged).toContain('webhook refused: signature missing or wrong');
  });

  it('answers what Meta should not send again with 400 or 413, a reason in the log, and nothing stored', async () => {
    const before = (await counts()).total;
    const cases: Array<[string, string, number, RegExp]> = [
      ['malformed JSON', '{"object": "whatsapp_business_account", "entry": [', 400, /the body is not JSON/],
      ['another object', JSON.stringify({ object: 'page', entry: [] }), 400, /unknown object \W+page/],
      [
        'an unknown field',
        JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: ACME, changes: [{ field: 'telepathy', value: {} }] }] }),
        400,
        /unknown field \W+telepathy/,
      ],
      [
        'a status without an id',
        JSON.stringify(statusNotification(ACME, '16315551000', [{ ...status('', 'sent') }])),
        // Signed and parseable: the bad status is dropped and counted, the notification acknowledged.
        200,
        /no_id/,
      ],
      [
        'a timestamp a year out',
        JSON.stringify(statusNotification(ACME, '16315551000', [status('wamid.C1', 'sent', { timestamp: minute + 365 * 86_400 })])),
        200,
        /not within 7 days before now/,
      ],
      ['over 1 MB', JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(1_100_000) }), 413, /over 1 MB/],
    ];
    for (const [label, body, code, reason] of cases) {
      expect((await post(body)).status, label).toBe(code);
      await new Promise((r) => setTimeout(r, 20)); // the log stream delivers on a later tick
      expect(logged, label).toMatch(reason);
    }
    expect((await counts()).total).toEqual(before);
    // Fields a WhatsApp app may also subscribe to are acknowledged and ignored; unknown error codes are counted under their code.
    const other = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: ACME, changes: [{ field: 'message_template_status_update', value: {} }] }],
    });
    expect((await post(other)).status).toBe(200);
    const unknownCode = JSON.stringify(statusNotification(ACME, '16315551000', [status('wamid.D1', 'failed', { code: 999_999 })]));
    expect((await post(unknownCode)).status).toBe(200);
    expect((await counts()).total['failed:999999']).toBe(1);
  });

  it("counts what an Express app that owns the webhook forwards as the README shows: raw bytes and signature, waba-pulse's 503 passed on", async () => {
    const express = (await import('express')).default;
    const app = express();
    let handledByOwner = 0;
    app.post('/webhook', express.raw({ type: '*/*' }), async (req, res) => {
      handledByOwner += JSON.parse(req.body.toString()).entry.length;
      const forwarded = await fetch(url(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': req.get('x-hub-signature-256')! },
        body: req.body,
      });
      res.sendStatus(forwarded.status === 503 ? 503 : 200);
    });
    const owner = await new Promise<import('node:http').Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    });
    try {
      // Meta signs the bytes it sends, escaped unicode and all: forwarded unchanged, they still verify.
      const body = JSON.stringify(statusNotification(ACME, '16315551000', [status('wamid.FWD1', 'failed', { code: 131049 })])).replace(
        '"messaging_product":"whatsapp"',
        '"messaging_product":"whats\\u0061pp"',
      );
      expect(body).toContain('whats\\u0061pp');
      const before = (await counts()).total['failed:131049'] ?? 0;
      const port = (owner.address() as import('node:net').AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, APP_SECRET) },
        body,
      });
      expect(res.status).toBe(200);
      expect(handledByOwner).toBe(1);
      expect((await counts()).total['failed:131049']).toBe(before + 1);
    } finally {
      owner.close();
    }
  });

  it("takes the sandbox's signed notifications, retried and duplicated, and counts each status once", async () => {
    const emitter = new StatusWebhookEmitter({
      accounts: sampleAccounts(NOW).slice(0, 1),
      url: url(),
      appSecret: APP_SECRET,
      batch: 20,
      duplicateRate: 0.3,
    });
    // An hour of yesterday's traffic: 10:00–11:00 IST, Acme's marketing held back (131049).
    const from = Date.UTC(2026, 10, 24, 4, 30) / 1000;
    const sent = await emitter.emit(from, from + 3600);
    await emitter.stop();
    expect(sent.duplicates).toBeGreaterThan(0);
    // (Reads arrive up to a minute after their message.)
    const { total, unsent } = await counts(from, from + 3600 + 120);
    const expected: Record<string, number> = { sent: sent.byStatus.sent!, delivered: sent.byStatus.delivered!, read: sent.byStatus.read! };
    for (const [code, n] of Object.entries(sent.failuresByCode)) expected[`failed:${code}`] = n;
    expect(total).toEqual(expected);
    // Failed messages never reported sent are counted as attempted all the same (and once).
    expect(sent.failedUnsent).toBeGreaterThan(0);
    expect(unsent).toBe(sent.failedUnsent);
    // The burst: 131049 is the commonest failure in that hour.
    const top = Object.entries(sent.failuresByCode).sort((a, b) => b[1] - a[1])[0]!;
    expect(top[0]).toBe('131049');
  }, 60_000);

  it('puts failure reasons in reports and their JSON, and says so when a range has none', async () => {
    const { composeReport } = await import('../src/compose/composeReport.js');
    const { reportJson } = await import('../src/report/json.js');
    const { GraphClient } = await import('../src/graph/client.js');
    const config = buildConfig(
      { accounts: [{ id: ACME, name: 'acme-retail', displayName: 'Acme Retail', token: '${T}', timezone: 'Asia/Kolkata' }] },
      { GRAPH_API_URL: sandbox.url },
    );
    const graph = new GraphClient({ ...config.graph, now: () => NOW });
    try {
      const report = async (start: number, by?: 'country') =>
        reportJson(
          await composeReport(
            { graph, now: () => NOW, statuses: store.statuses, webhooksConfigured: true },
            { account: config.accounts[0]!, token: 'sandbox-token', range: { start, end: start + 3600 }, granularity: 'half_hour', by },
          ),
        );
      // The hour the sandbox sent (10:00–11:00 IST yesterday): 131049 leads, with Meta's meaning and advice.
      const withData = await report(Date.UTC(2026, 10, 24, 4, 30) / 1000, 'country');
      expect(withData.failures!.byCode[0]).toMatchObject({
        code: 131049,
        title: expect.stringContaining('Held back'),
        advice: expect.stringContaining('retry after 24 hours'),
      });
      expect(withData.failures!.total).toBe(withData.failures!.byCode.reduce((n, c) => n + c.count, 0));
      expect(withData.failures!.byScope!.items[0]).toMatchObject({ key: 'IN', label: 'IN (India)', topCode: 131049 });
      // Two days earlier: no webhooks then. Said, not shown as zeros.
      const without = await report(Date.UTC(2026, 10, 22, 4, 30) / 1000);
      expect(without.failures).toBeNull();
      expect(without.notes).toContain('No WhatsApp status webhooks were received for this range: failure reasons are unknown.');
    } finally {
      await graph.close();
    }
  });

  it('has logged no secret, no recipient number and no message id through all of the above', () => {
    expect(logged).toMatch(/webhook input refused/);
    for (const secret of [APP_SECRET, VERIFY_TOKEN, '919812345678', 'wamid.']) expect(logged).not.toContain(secret);
  });

  it('drops counts past their retention, account by account, and nothing newer', async () => {
    const all = async () => (await store.statuses.statusTotals(ACME, 0, 2 ** 31)).reduce((n, r) => n + r.count, 0);
    const before = await all();
    expect(before).toBeGreaterThan(0);
    expect(await store.statuses.pruneStatuses([ACME], minute - 30 * 86_400)).toBe(0);
    expect(await store.statuses.pruneStatuses(['999'], 2 ** 31)).toBe(0);
    expect(await all()).toBe(before);
    expect(await store.statuses.pruneStatuses([ACME], 2 ** 31)).toBeGreaterThan(0);
    expect(await all()).toBe(0);
  });
});

/** A clock that starts at `from` and runs. */
/**
 * A clock that stands at `from` until the sandbox says it sends webhooks, then runs: however long
 * the start takes on a loaded machine, the burst and the first tick fall in the same minute.
 */
const clockFromStart = (from: number) => (out: () => string) => {
  let t0: number | undefined;
  return () => {
    if (t0 === undefined && out().includes('status webhooks: signed')) t0 = Date.now();
    return t0 === undefined ? from : from + (Date.now() - t0);
  };
};

describe('waba-pulse sandbox --webhook-url', () => {
  const run = async (
    args: string[],
    env: NodeJS.ProcessEnv,
    until?: (out: string) => boolean,
    clock: (() => number) | ((out: () => string) => () => number) = () => NOW,
  ) => {
    const { runCli } = await import('../src/cli/main.js');
    const { stdout, stderr, out, err } = capturedOutput();
    const now = clock.length ? (clock as (out: () => string) => () => number)(out) : (clock as () => number);
    const controller = new AbortController();
    const running = runCli(['sandbox', '--port', '0', ...args], {
      stdout,
      stderr,
      env,
      cwd: process.cwd(),
      now,
      signal: controller.signal,
    });
    if (until) {
      while (!until(out()) && !err()) await new Promise((r) => setTimeout(r, 20));
      controller.abort();
    }
    const code = await running;
    await new Promise((r) => setImmediate(r));
    expect(out() + err()).not.toContain(APP_SECRET);
    return { code, out: out(), err: err() };
  };

  it('sends the synthetic traffic as signed status webhooks, backfilled, each status counted once by a serve', async () => {
    const backend = (await storeBackends()).find((b) => b.name === 'SQLite')!;
    const store = await backend.open();
    const service = await startService({
      config: buildConfig(
        { accounts: sampleAccounts(NOW).map((a) => ({ id: a.id, name: a.name, token: '${T}', timezone: a.timezone })) },
        { GRAPH_API_URL: sandbox.url, WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN },
      ),
      env: { T: 'sandbox-token' },
      logger: createLogger({ level: 'silent' }),
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
      store,
      schedule: false,
    });
    try {
      const { code, out } = await run(
        ['--webhook-url', `${service.url}/whatsapp/webhook`, '--webhook-backfill', '30m'],
        { WHATSAPP_APP_SECRET: APP_SECRET },
        (o) => o.includes('sent the last'),
      );
      expect(code).toBe(0);
      expect(out).toContain(`status webhooks: signed, to ${service.url}/whatsapp/webhook, every minute for the minute before`);
      const line = /sent the last 30m: ([\d,]+) statuses \(([\d,]+) failed\)/.exec(out)!;
      const [statuses, failed] = [Number(line[1]!.replace(/,/g, '')), Number(line[2]!.replace(/,/g, ''))];
      expect(statuses).toBeGreaterThan(100);
      // A backfill batches statuses (a notification per status made two days take minutes) and says so.
      expect(out).toContain('status webhooks: sending the last 30m first, 100 statuses a notification');
      const notifications = Number(/sent the last 30m: .* in ([\d,]+) notifications/.exec(out)![1]!.replace(/,/g, ''));
      expect(notifications).toBeLessThan(statuses / 10);
      // Every status of every sample account counted once (reads may land in the minute after).
      let counted = 0;
      let countedFailed = 0;
      for (const account of sampleAccounts(NOW))
        for (const r of await store.statuses.statusCounts(account.id, NOW / 1000 - 1800, NOW / 1000 + 120)) {
          if (r.status === 'unsent') continue;
          counted += r.count;
          if (r.status === 'failed') countedFailed += r.count;
        }
      expect([counted, countedFailed]).toEqual([statuses, failed]);
      expect(service.ingest!.totals).toMatchObject({ counted: statuses, duplicates: 0 });
    } finally {
      await service.close();
      await store.close();
    }
  }, 60_000);

  it('then sends each minute as it ends', async () => {
    let received = 0;
    const { createServer } = await import('node:http');
    const receiver = createServer((req, res) => {
      req.resume().on('end', () => {
        received++;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as import('node:net').AddressInfo).port;
    try {
      // 40 ms before a minute ends (11:30 IST, Acme's traffic running), on a clock that runs.
      const { code, out } = await run(
        ['--webhook-url', `http://127.0.0.1:${port}/whatsapp/webhook`],
        { WHATSAPP_APP_SECRET: APP_SECRET },
        (o) => o.includes(' UTC: '),
        clockFromStart(NOW - 40),
      );
      expect(code).toBe(0);
      const line = /status webhooks: (\d\d:\d\d) UTC: ([\d,]+) statuses/.exec(out)!;
      expect(line[1]).toBe('06:00');
      expect(Number(line[2]!.replace(/,/g, ''))).toBe(received);
      expect(received).toBeGreaterThan(0);
    } finally {
      receiver.close();
    }
  });

  it('sends every minute once, in order, on a clock slower than its timers or one that jumps ahead', async () => {
    const { createServer } = await import('node:http');
    const receiver = createServer((req, res) => req.resume().on('end', () => res.end()));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as import('node:net').AddressInfo).port;
    const minutes = async (clock: (elapsedMs: number) => number, until: number) => {
      const emitter = new StatusWebhookEmitter({
        accounts: sampleAccounts(NOW).slice(0, 1),
        url: `http://127.0.0.1:${port}/whatsapp/webhook`,
        appSecret: APP_SECRET,
      });
      const t0 = performance.now();
      const ends: number[] = [];
      emitter.start(
        () => clock(performance.now() - t0),
        (_, end) => ends.push(end),
      );
      while (ends.length < until) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 150));
      await emitter.stop();
      return ends.map((end) => new Date(end * 1000).toISOString().slice(11, 16));
    };
    try {
      // Timers fire on the monotonic clock; a wall clock a little behind must not send 05:59 again.
      expect(await minutes((ms) => NOW - 30 + ms / 2, 1)).toEqual(['06:00']);
      // A loop stalled for two minutes catches up instead of skipping.
      expect(await minutes((ms) => NOW - 30 + ms + (ms > 10 ? 120_000 : 0), 3)).toEqual(['06:00', '06:01', '06:02']);
    } finally {
      receiver.close();
    }
  });

  it('starts a failure burst on Acme Retail from this minute with --failure-burst', async () => {
    const { createServer } = await import('node:http');
    const held = { count: 0 };
    const receiver = createServer((req, res) => {
      let body = '';
      req
        .on('data', (c) => (body += c))
        .on('end', () => {
          held.count += (body.match(/"code":131049/g) ?? []).length;
          res.end();
        });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as import('node:net').AddressInfo).port;
    const minute = async (args: string[]) => {
      held.count = 0;
      const { code, out } = await run(
        ['--webhook-url', `http://127.0.0.1:${port}/whatsapp/webhook`, ...args],
        { WHATSAPP_APP_SECRET: APP_SECRET },
        (o) => o.includes(' UTC: '),
        // A clock that runs once the sandbox is up: the tick comes as the minute the burst started in ends.
        clockFromStart(NOW - 3_000),
      );
      expect(code).toBe(0);
      return { held: held.count, out };
    };
    try {
      const usual = await minute([]);
      const burst = await minute(['--failure-burst', '10m']);
      expect(burst.out).toContain("failure burst: a quarter of Acme Retail's marketing messages held back (131049) for the next 10m");
      expect(burst.held).toBeGreaterThan(usual.held);
      const bad = await run(['--failure-burst', '2d'], {});
      expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/--failure-burst "2d" is out of range/)]);
    } finally {
      receiver.close();
    }
  });

  it('refuses a bad URL, a bad backfill and a missing secret with one line and exit code 2', async () => {
    const secret = { WHATSAPP_APP_SECRET: APP_SECRET };
    const bad = await run(['--webhook-url', 'ftp://example.test/hook'], secret);
    expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/--webhook-url "ftp:\/\/example\.test\/hook" is not an http\(s\) URL/)]);
    const garbage = await run(['--webhook-url', 'not a url'], secret);
    expect([garbage.code, garbage.err]).toEqual([2, expect.stringMatching(/--webhook-url "not a url" is not an http\(s\) URL/)]);
    const backfill = await run(['--webhook-url', 'http://127.0.0.1:9/whatsapp/webhook', '--webhook-backfill', '9d'], secret);
    expect([backfill.code, backfill.err]).toEqual([2, expect.stringMatching(/--webhook-backfill "9d" is out of range/)]);
    const noSecret = await run(['--webhook-url', 'http://127.0.0.1:9/whatsapp/webhook'], {});
    expect([noSecret.code, noSecret.err]).toEqual([2, expect.stringMatching(/--webhook-url needs WHATSAPP_APP_SECRET set/)]);
    const alone = await run(['--webhook-backfill', '1h'], secret);
    expect([alone.code, alone.err]).toEqual([2, expect.stringMatching(/--webhook-backfill needs --webhook-url/)]);
    for (const r of [bad, backfill, noSecret, alone]) expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
