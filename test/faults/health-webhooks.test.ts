import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/configure.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { signBody, statusNotification } from '../../src/sandbox/statusWebhooks.js';
import { type RunningService, startService } from '../../src/serve/service.js';
import { openStore, type SqlStore } from '../../src/store/sql.js';
import { freshPostgresSchema, storeBackends } from '../helpers/stores.js';

/**
 * Number, template and account health notifications at a running `serve`, on SQLite and
 * PostgreSQL: malformed changes, events Meta may add later, a number outside the account's
 * configured numbers and a WABA not in the config are counted and logged, never kept, never a
 * 5xx — and what is good is kept once, however often it comes and at whichever replica.
 */
const backends = await storeBackends();
const hasPostgres = backends.some((b) => b.name === 'PostgreSQL');
const APP_SECRET = 'health-fault-secret-5d2e-0b7c41f9';
const NOW = Date.UTC(2026, 10, 25, 6, 0);
const TIME = NOW / 1000 - 600;
const ACME = '104729384756102';
const STRANGER = '998877665544332';
const NUMBERS = ['16315551000', '16315551001', '918045551234'];

const config = () =>
  buildConfig(
    { accounts: [{ id: ACME, name: 'acme-retail', token: '${T}', timezone: 'Asia/Kolkata', phoneNumbers: NUMBERS }] },
    { GRAPH_API_URL: 'http://127.0.0.1:9', WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: 'v' },
  );

type Change = { field: string; value: unknown };
const body = (changes: Change[], account = ACME, time: unknown = TIME) =>
  JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: account, time, changes }] });

const downgrade = (phone = '16315551001'): Change => ({
  field: 'phone_number_quality_update',
  value: { display_phone_number: phone, event: 'DOWNGRADE', old_limit: 'TIER_10K', current_limit: 'TIER_2K' },
});
const paused: Change = {
  field: 'message_template_status_update',
  value: {
    event: 'PAUSED',
    message_template_id: 1021457788120003,
    message_template_name: 'winter_sale',
    message_template_language: 'en',
    reason: null,
  },
};
const quality: Change = {
  field: 'message_template_quality_update',
  value: {
    previous_quality_score: 'YELLOW',
    new_quality_score: 'RED',
    message_template_id: '1021457788120003',
    message_template_name: 'winter_sale',
    message_template_language: 'en',
  },
};
const restricted: Change = {
  field: 'account_update',
  value: {
    event: 'ACCOUNT_RESTRICTION',
    restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: TIME + 86_400 }],
  },
};

async function serve(store: SqlStore, log?: (line: string) => void): Promise<RunningService> {
  const destination = new PassThrough();
  if (log) destination.on('data', (c) => log(String(c)));
  return startService({
    config: config(),
    env: { T: 'x' },
    logger: log ? createLogger({ level: 'info', destination }) : silentLogger,
    now: () => NOW,
    port: 0,
    host: '127.0.0.1',
    store,
    schedule: false,
  });
}

async function post(service: RunningService, text: string) {
  const res = await fetch(`${service.url}/whatsapp/webhook`, {
    method: 'POST',
    headers: { 'x-hub-signature-256': signBody(text, APP_SECRET) },
    body: text,
  });
  await res.text();
  return res.status;
}

async function metric(service: RunningService, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => pattern.test(l))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

describe.each(backends)('health webhooks at serve, on $name', (backend) => {
  let store: SqlStore;
  let service: RunningService;
  let logged = '';
  const kept = async () =>
    (await store.health.healthEvents(ACME, 0, 2 ** 31, 1000)).map((e) => `${e.field} ${e.event} ${e.subject}`).sort();

  beforeAll(async () => {
    store = await backend.open();
    service = await serve(store, (line) => (logged += line));
  });
  afterAll(async () => {
    await service?.close();
    await store?.close();
    await backend.cleanup();
  });

  it('keeps the four fields once each, beside the statuses of the same notification', async () => {
    const statuses = statusNotification(ACME, '16315551000', [
      { id: 'wamid.h1', status: 'failed', timestamp: TIME, recipient: '919812345678', category: 'marketing', code: 132015 },
    ]) as { entry: Array<{ changes: Change[] }> };
    const text = body([downgrade(), paused, quality, restricted, ...statuses.entry[0]!.changes]);
    expect(await post(service, text)).toBe(200);
    expect(await post(service, text)).toBe(200); // Meta sends it again
    expect(await kept()).toEqual([
      `account_update ACCOUNT_RESTRICTION ${ACME}`,
      'message_template_quality_update RED winter_sale (en)',
      'message_template_status_update PAUSED winter_sale (en)',
      'phone_number_quality_update DOWNGRADE 16315551001',
    ]);
    expect((await store.statuses.statusTotals(ACME, 0, 2 ** 31)).find((r) => r.status === 'failed')).toMatchObject({
      code: 132015,
      count: 1,
    });
    expect(await metric(service, /^waba_pulse_webhook_events_total\{outcome="health"/)).toBe(4);
    expect(await metric(service, /^waba_pulse_webhook_events_total\{outcome="health_duplicate"/)).toBe(4);
  });

  it('drops malformed changes and unknown events one by one, keeps their good neighbours, and answers 200', async () => {
    const before = (await kept()).length;
    const spoiled: Change[] = [
      { field: 'phone_number_quality_update', value: { display_phone_number: 'not a number', event: 'FLAGGED' } },
      {
        field: 'message_template_status_update',
        value: { event: 'PAUSED', message_template_name: 'no_id', message_template_language: 'en' },
      },
      {
        field: 'message_template_quality_update',
        value: { new_quality_score: 'RED', message_template_id: 7, message_template_name: 'x\u0000', message_template_language: 'en' },
      },
      { field: 'message_template_status_update', value: { ...(paused.value as object), event: 'HIBERNATED' } },
      { field: 'account_update', value: { event: 'A_NEW_KIND_OF_EVENT' } },
      { field: 'account_update', value: {} },
    ];
    const good: Change = { field: 'account_update', value: { event: 'PARTNER_ADDED' } };
    expect(await post(service, body([...spoiled, good], ACME, TIME + 1))).toBe(200);
    expect((await kept()).length - before).toBe(1);
    expect(await metric(service, /^waba_pulse_webhook_events_total\{outcome="dropped",reason="malformed_health"/)).toBe(4);
    expect(await metric(service, /^waba_pulse_webhook_events_total\{outcome="dropped",reason="unknown_event"/)).toBe(2);
    // A change whose value is not an object at all is not a notification: 400, as for statuses.
    expect(await post(service, body([{ field: 'account_update', value: 'restricted' }]))).toBe(400);
    await new Promise((r) => setTimeout(r, 30));
    expect(logged).toMatch(/unknown event \\"HIBERNATED\\"/);
  });

  it("counts, logs and does not keep a number outside the account's numbers, or a WABA not in the config", async () => {
    const before = (await kept()).length;
    for (let i = 0; i < 3; i++) {
      expect(await post(service, body([downgrade('15550001111')], ACME, TIME + 10 + i))).toBe(200);
      expect(await post(service, body([downgrade('16315551000'), paused], STRANGER, TIME + 10 + i))).toBe(200);
    }
    expect((await kept()).length).toBe(before);
    expect(await store.health.healthEvents(STRANGER, 0, 2 ** 31)).toEqual([]);
    expect(await metric(service, /^waba_pulse_webhook_events_total\{outcome="foreign_number"/)).toBe(3);
    expect(
      await metric(
        service,
        /^waba_pulse_webhook_events_total\{outcome="foreign",reason="(phone_number_quality_update|message_template_status_update)"/,
      ),
    ).toBe(6);
    await new Promise((r) => setTimeout(r, 30));
    const lines = logged.split('\n');
    expect(lines.filter((l) => l.includes('not in the account')).length).toBe(1);
    expect(lines.filter((l) => l.includes(STRANGER) && l.includes('health notification')).length).toBe(2); // one per field
  });
});

describe.skipIf(!hasPostgres)('health webhooks at two replicas on one PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshPostgresSchema>>;
  const stores: SqlStore[] = [];
  const replicas: RunningService[] = [];

  beforeAll(async () => {
    db = await freshPostgresSchema();
    for (let i = 0; i < 2; i++) {
      const store = await openStore(db.url, { logger: silentLogger });
      stores.push(store);
      replicas.push(await serve(store));
    }
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const s of stores) await s.close();
    await db.cleanup();
  });

  it('keeps each notification once when both replicas receive it at the same moment', async () => {
    // 60 notifications, each sent to both replicas at once, three times over.
    const notifications = Array.from({ length: 60 }, (_, i) => body([i % 2 ? downgrade() : paused, quality], ACME, TIME + i));
    const answers = await Promise.all([0, 1, 2].flatMap(() => notifications.flatMap((text) => replicas.map((r) => post(r, text)))));
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(await stores[0]!.health.healthEvents(ACME, 0, 2 ** 31, 1000)).toHaveLength(120);
    const recorded = await Promise.all(replicas.map((r) => metric(r, /^waba_pulse_webhook_events_total\{outcome="health"/)));
    expect(recorded[0]! + recorded[1]!).toBe(120);
  }, 60_000);
});
