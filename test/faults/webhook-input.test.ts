import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/configure.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { signBody, statusNotification } from '../../src/sandbox/statusWebhooks.js';
import { type RunningService, startService } from '../../src/serve/service.js';
import { openStore, type SqlStore } from '../../src/store/sql.js';
import { StatusIngest } from '../../src/whatsapp/ingest.js';
import { dedupeKey, type StatusEvent } from '../../src/whatsapp/payload.js';
import { freshPostgresSchema, storeBackends } from '../helpers/stores.js';

/**
 * Bad input among good, on a real PostgreSQL behind a real HTTP server: a poison status the
 * database would refuse (a NUL in a string, an error code past the column's range), malformed
 * statuses inside good notifications, statuses of an account not in the config, and forged
 * requests. Only the bad ones are dropped or refused; every good status counts exactly once.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const APP_SECRET = 'input-fault-secret-91c4-7e2b0d5a';
const NOW = Date.UTC(2026, 10, 25, 6, 0);
const ACME = '104729384756102';
const STRANGER = '998877665544332';
const PHONE = '16315551000';
const RECIPIENT = '919812345678';
const minute = Math.floor(NOW / 60_000) * 60 - 600;

type Status = Record<string, unknown>;
const good = (id: string, status = 'sent'): Status => ({
  id,
  status,
  timestamp: String(minute + 5),
  recipient_id: RECIPIENT,
  ...(status === 'sent' ? { pricing: { billable: true, pricing_model: 'PMP', category: 'utility' } } : {}),
  ...(status === 'failed' ? { errors: [{ code: 131026, title: 'Message undeliverable' }] } : {}),
});
const notification = (statuses: Status[], account = ACME) => {
  const body = statusNotification(account, PHONE, []) as { entry: Array<{ changes: Array<{ value: { statuses: Status[] } }> }> };
  body.entry[0]!.changes[0]!.value.statuses = statuses;
  return JSON.stringify(body);
};

describe.skipIf(!hasPostgres)('status webhooks: bad statuses among good ones (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let store: SqlStore;
  let service: RunningService;
  let clock = NOW;
  let logged = '';
  const url = () => `${service.url}/whatsapp/webhook`;

  beforeAll(async () => {
    db = await freshPostgresSchema();
    store = await openStore(db.url, { logger: silentLogger });
    const destination = new PassThrough();
    destination.on('data', (c) => (logged += c));
    service = await startService({
      config: buildConfig(
        { accounts: [{ id: ACME, name: 'acme-retail', token: '${T}', timezone: 'Asia/Kolkata' }] },
        { GRAPH_API_URL: 'http://127.0.0.1:9', WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: 'v' },
      ),
      env: { T: 'x' },
      logger: createLogger({ level: 'info', destination }),
      now: () => clock,
      port: 0,
      host: '127.0.0.1',
      store,
      schedule: false,
    });
  });
  afterAll(async () => {
    await service?.close();
    await store?.close();
    await db?.cleanup();
  });

  const post = async (body: string, signature: string | null = signBody(body, APP_SECRET)) => {
    const res = await fetch(url(), { method: 'POST', headers: signature ? { 'x-hub-signature-256': signature } : {}, body });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
  };
  const counted = async (from = minute - 60, to = minute + 120) =>
    (await store.statuses.statusCounts(ACME, from, to)).filter((r) => r.status !== 'unsent').reduce((n, r) => n + r.count, 0);
  const metric = async (pattern: RegExp) => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => pattern.test(l))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  };
  const settle = () => new Promise((r) => setTimeout(r, 30)); // the log stream writes on a later tick

  it('refuses only the poison statuses among 300 concurrent requests, and counts every good status once', async () => {
    const before = await counted();
    const N = 300;
    const poison = new Set(Array.from({ length: 10 }, (_, i) => 7 + i * 29));
    const bodies = Array.from({ length: N }, (_, i) => {
      const statuses = [good(`wamid.poison-run.${i}.a`), good(`wamid.poison-run.${i}.b`, 'delivered')];
      if (poison.has(i))
        statuses.push(
          i % 2
            ? { ...good(`wamid.poison-run.${i}.p`), pricing: { category: 'mk\u0000' } }
            : { ...good(`wamid.poison-run.${i}.p`, 'failed'), errors: [{ code: 2 ** 31, title: 'x' }] },
        );
      return notification(statuses);
    });
    const answers = await Promise.all(bodies.map((b) => post(b)));
    const innocent503 = answers.filter((a, i) => a.status === 503 && !poison.has(i)).length;
    const poison503 = answers.filter((a, i) => a.status === 503 && poison.has(i)).length;
    console.log(`poison run: ${innocent503} innocent 503s, ${poison503} poison 503s among ${N}`);
    expect(innocent503).toBe(0);
    // The bad status is dropped; its good neighbours in the same notification are counted: 200.
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(200));
    expect((await counted()) - before).toBe(2 * N);
    // The same again: duplicates, counted once.
    expect((await Promise.all(bodies.slice(0, 20).map((b) => post(b)))).every((a) => a.status === 200)).toBe(true);
    expect((await counted()) - before).toBe(2 * N);
    expect(await metric(/^waba_pulse_webhook_events_total\{.*outcome="dropped".*reason="(bad_category|bad_error_code)"/)).toBe(10 + 1); // request 7 was sent twice
  }, 60_000);

  it('drops a malformed status one by one: 9 of 10 counted, answered 200', async () => {
    const variants: Array<[string, (s: Status) => Status]> = [
      ['a 65-character category', (s) => ({ ...s, pricing: { category: 'm'.repeat(65) } })],
      ['a string error code', (s) => ({ ...s, status: 'failed', errors: [{ code: '131026' }] })],
      ['a numeric recipient_id', (s) => ({ ...s, recipient_id: 919812345678 })],
      ['a null timestamp', (s) => ({ ...s, timestamp: null })],
      ['a status name Meta adds later', (s) => ({ ...s, status: 'delivered_to_linked_device_group' })],
      ['a status that is not an object', () => 'sent' as unknown as Status],
    ];
    for (const [k, [label, spoil]] of variants.entries()) {
      const before = await counted();
      const statuses = Array.from({ length: 9 }, (_, i) => good(`wamid.malformed.${k}.${i}`));
      statuses.splice(4, 0, spoil(good(`wamid.malformed.${k}.bad`)));
      expect((await post(notification(statuses))).status, label).toBe(200);
      expect((await counted()) - before, label).toBe(9);
    }
    // Every status unusable, in a signed notification that parses: dropped, and still 200 (Meta retries anything else for days).
    expect((await post(notification([{ ...good('wamid.malformed.all'), timestamp: null }]))).status).toBe(200);
    expect(await metric(/^waba_pulse_webhook_events_total\{.*outcome="dropped"/)).toBeGreaterThanOrEqual(10 + variants.length + 1);
    await settle();
    expect(logged).toMatch(/webhook statuses dropped/);
    // A body that is not a notification is still 400.
    expect((await post('{"object":"whatsapp_business_account","entry":[{"id":"x"}]}')).status).toBe(400);
  });

  it('warns once per foreign account id per 10 minutes, and counts its statuses as foreign', async () => {
    const foreignLines = () => logged.split('\n').filter((l) => l.includes(STRANGER)).length;
    for (let i = 0; i < 5; i++) expect((await post(notification([good(`wamid.foreign.${i}`)], STRANGER))).status).toBe(200);
    await settle();
    expect(foreignLines()).toBe(1);
    expect(logged).toMatch(/"level":40[^\n]*998877665544332|998877665544332[^\n]*"level":40/);
    clock = NOW + 10 * 60_000;
    expect((await post(notification([good('wamid.foreign.later')], STRANGER))).status).toBe(200);
    clock = NOW;
    await settle();
    expect(foreignLines()).toBe(2);
    expect(await metric(/^waba_pulse_webhook_events_total\{.*outcome="foreign"/)).toBe(6);
    expect(await store.statuses.statusCounts(STRANGER, 0, 2 ** 31)).toEqual([]);
  });

  it('rate-limits the warn line of refused requests', async () => {
    const body = notification([good('wamid.forged')]);
    const lines = () => logged.split('\n').filter((l) => l.includes('signature missing or wrong')).length;
    const before = lines();
    for (let i = 0; i < 20; i++) expect((await post(body, signBody(body, 'not-the-secret'))).status).toBe(401);
    for (let i = 0; i < 20; i++) expect((await fetch(`${url()}?hub.mode=subscribe&hub.verify_token=no&hub.challenge=1`)).status).toBe(403);
    await settle();
    expect(lines() - before).toBe(1);
    expect(logged.split('\n').filter((l) => l.includes('verification refused')).length).toBe(1);
  });

  it('logged no recipient number, no message id and no secret', async () => {
    await settle();
    for (const secret of [APP_SECRET, RECIPIENT, 'wamid.']) expect(logged).not.toContain(secret);
  });
});

describe.skipIf(!hasPostgres)('group commit: a batch the store refuses is retried request by request', () => {
  it('refuses only the events PostgreSQL refuses, and commits every other request of the batch once', async () => {
    const db = await freshPostgresSchema();
    const store = await openStore(db.url, { logger: silentLogger });
    try {
      const ingest = new StatusIngest(store, () => NOW);
      // Events as a parser that let them through would make them: past the parser, into the store.
      const event = (id: string, extra: Partial<StatusEvent> = {}): StatusEvent => ({
        accountId: ACME,
        dedupeKey: dedupeKey(id, 'sent'),
        minute,
        phone: PHONE,
        country: 'IN',
        status: 'sent',
        code: 0,
        category: 'utility',
        ...extra,
      });
      const N = 300;
      const poison = new Set(Array.from({ length: 10 }, (_, i) => 3 + i * 31));
      const requests = Array.from({ length: N }, (_, i) => [
        event(`wamid.iso.${i}.a`),
        event(`wamid.iso.${i}.b`),
        ...(poison.has(i) ? [event(`wamid.iso.${i}.p`, i % 2 ? { category: 'mk\u0000' } : { status: 'failed', code: 2 ** 31 })] : []),
      ]);
      const results = await Promise.allSettled(requests.map((events) => ingest.submit(events)));
      const innocentRejected = results.filter((r, i) => r.status === 'rejected' && !poison.has(i)).length;
      console.log(`group commit isolation: ${innocentRejected} innocent requests rejected among ${N}`);
      expect(innocentRejected).toBe(0);
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      const refused = results.map((r) => (r.status === 'fulfilled' ? (r.value?.refused ?? 0) : -1));
      expect(refused.filter((n) => n > 0).length).toBe(10);
      expect(refused.reduce((a, b) => a + b, 0)).toBe(10);
      const stored = (await store.statuses.statusCounts(ACME, 0, 2 ** 31)).reduce((n, r) => n + r.count, 0);
      expect(stored).toBe(2 * N);
    } finally {
      await store.close();
      await db.cleanup();
    }
  }, 60_000);
});
