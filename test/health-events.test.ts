import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../src/store/sql.js';
import type { HealthField } from '../src/vocabulary/health.js';
import { type HealthEvent, readHealthChange } from '../src/whatsapp/healthEvents.js';
import { parseNotification } from '../src/whatsapp/payload.js';
import { storeBackends } from './helpers/stores.js';

/**
 * The four health webhook fields, read one change at a time as Meta documents them, and kept
 * exactly once in the store — on SQLite and on PostgreSQL, from two connections at once.
 */
const ACME = '104729384756102';
const NOW_S = Date.UTC(2026, 10, 25, 6, 0) / 1000;
const TIME = NOW_S - 3600;

const notification = (field: string, value: unknown, time: unknown = TIME, account = ACME) =>
  Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: account, time, changes: [{ field, value }] }] }));

describe('health changes as Meta sends them', () => {
  const cases: Array<{ field: HealthField; value: unknown; expected: Partial<HealthEvent> }> = [
    {
      field: 'phone_number_quality_update',
      value: { display_phone_number: '16315551001', event: 'DOWNGRADE', old_limit: 'TIER_10K', current_limit: 'TIER_2K' },
      expected: {
        event: 'DOWNGRADE',
        subject: '16315551001',
        detail: 'messaging limit TIER_10K → TIER_2K',
        data: { phone: '16315551001', oldLimit: 'TIER_10K', limit: 'TIER_2K' },
      },
    },
    {
      field: 'phone_number_quality_update',
      value: {
        display_phone_number: '+1 631-555-1001',
        event: 'FLAGGED',
        current_limit: 'TIER_10K',
        max_daily_conversations_per_business: 'TIER_10K',
      },
      expected: { event: 'FLAGGED', subject: '16315551001', detail: 'quality flagged: the messaging limit may be lowered (now TIER_10K)' },
    },
    {
      field: 'message_template_status_update',
      value: {
        event: 'PAUSED',
        message_template_id: 1021457788120003,
        message_template_name: 'winter_sale',
        message_template_language: 'en',
        reason: null,
        other_info: {
          title: 'SECOND_PAUSE',
          description: 'Your WhatsApp message template has been paused for 6 hours due to low quality.',
        },
      },
      expected: {
        event: 'PAUSED',
        subject: 'winter_sale (en)',
        detail: 'template paused — Your WhatsApp message template has been paused for 6 hours due to low quality.',
        data: { templateId: '1021457788120003', templateName: 'winter_sale', language: 'en', reason: null, category: null },
      },
    },
    {
      field: 'message_template_quality_update',
      value: {
        previous_quality_score: 'YELLOW',
        new_quality_score: 'RED',
        message_template_id: '1021457788120003',
        message_template_name: 'winter_sale',
        message_template_language: 'en',
      },
      expected: { event: 'RED', subject: 'winter_sale (en)', detail: 'quality YELLOW → RED' },
    },
    {
      field: 'account_update',
      value: {
        event: 'ACCOUNT_RESTRICTION',
        restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: NOW_S + 86_400 }],
      },
      expected: { event: 'ACCOUNT_RESTRICTION', subject: ACME, detail: 'restricted: RESTRICTED_BIZ_INITIATED_MESSAGING' },
    },
    {
      field: 'account_update',
      value: {
        event: 'VOLUME_BASED_PRICING_TIER_UPDATE',
        volume_tier_info: {
          effective_month: '2026-11',
          pricing_category: 'UTILITY',
          region: 'India',
          tier: '100001:500000',
          tier_update_time: TIME,
        },
      },
      expected: { event: 'VOLUME_BASED_PRICING_TIER_UPDATE', detail: 'utility messages in India reached tier 100001:500000 for 2026-11' },
    },
  ];
  for (const c of cases)
    it(`${c.field}: ${(c.value as { event?: string }).event ?? 'quality'}`, () => {
      const parsed = parseNotification(notification(c.field, c.value), NOW_S * 1000);
      expect(parsed.dropped).toEqual([]);
      expect(parsed.health).toHaveLength(1);
      expect(parsed.health[0]).toMatchObject({ accountId: ACME, at: TIME, field: c.field, ...c.expected });
    });

  const bad: Array<[string, string, unknown, string]> = [
    ['a number without digits', 'phone_number_quality_update', { display_phone_number: 'n/a', event: 'FLAGGED' }, 'malformed_health'],
    ['an event that is not a word', 'phone_number_quality_update', { display_phone_number: '1631', event: 'flagged!' }, 'malformed_health'],
    [
      'a template without its id',
      'message_template_status_update',
      { event: 'PAUSED', message_template_name: 'x', message_template_language: 'en' },
      'malformed_health',
    ],
    [
      'a template name with a NUL',
      'message_template_quality_update',
      { new_quality_score: 'RED', message_template_id: 1, message_template_name: 'a\u0000b', message_template_language: 'en' },
      'malformed_health',
    ],
    ['an empty value', 'message_template_status_update', {}, 'malformed_health'],
    [
      'an event Meta may add later',
      'message_template_status_update',
      { event: 'HIBERNATED', message_template_id: 1, message_template_name: 'x', message_template_language: 'en' },
      'unknown_event',
    ],
    ['an account event not documented', 'account_update', { event: 'SOMETHING_NEW' }, 'unknown_event'],
  ];
  for (const [label, field, value, reason] of bad)
    it(`drops ${label} on its own, with its reason`, () => {
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: ACME,
            time: TIME,
            changes: [
              { field, value },
              { field: 'account_update', value: { event: 'PARTNER_ADDED' } },
            ],
          },
        ],
      });
      const parsed = parseNotification(Buffer.from(body), NOW_S * 1000);
      expect(parsed.dropped.map((d) => d.reason)).toEqual([reason]);
      expect(parsed.health.map((e) => e.event)).toEqual(['PARTNER_ADDED']);
    });

  it('gives the same notification the same key, and another time another key', () => {
    const value = { display_phone_number: '16315551001', event: 'FLAGGED', current_limit: 'TIER_10K' };
    const key = (time: unknown, v: unknown = value) =>
      parseNotification(notification('phone_number_quality_update', v, time), NOW_S * 1000).health[0]!.dedupeKey;
    expect(key(TIME)).toBe(key(TIME, { current_limit: 'TIER_10K', event: 'FLAGGED', display_phone_number: '16315551001' }));
    expect(key(TIME)).not.toBe(key(TIME + 60));
  });

  it('takes now for a time that is missing or not a time', () => {
    for (const time of [undefined, 'yesterday', NOW_S + 86_400, 12])
      expect(readHealthChange(ACME, time, 'account_update', { event: 'PARTNER_ADDED' }, NOW_S)).toMatchObject({
        ok: true,
        event: { at: NOW_S },
      });
  });
});

const backends = await storeBackends();

describe.each(backends)('health events in the store on $name', (backend) => {
  let store: SqlStore;
  let second: SqlStore;
  const events = (n: number, at = TIME) =>
    Array.from({ length: n }, (_, i) => {
      const read = readHealthChange(
        ACME,
        at + i,
        'message_template_quality_update',
        {
          previous_quality_score: 'GREEN',
          new_quality_score: 'YELLOW',
          message_template_id: 1000 + i,
          message_template_name: `t${i}`,
          message_template_language: 'en',
        },
        NOW_S,
      );
      if (!read.ok) throw new Error(read.detail);
      return read.event;
    });

  beforeAll(async () => {
    store = await backend.open();
    // PostgreSQL: a second pool on the same database, another replica. SQLite is one replica (one
    // connection, which in-process writers share: a second one would wait on the first's lock).
    second = backend.name === 'PostgreSQL' ? await backend.open() : store;
  });
  afterAll(async () => {
    if (second !== store) await second.close();
    await store.close();
    await backend.cleanup();
  });

  it('keeps each notification once, however often it comes, from two replicas at once', async () => {
    const batch = events(40);
    const results = await Promise.all([
      store.health.recordHealthEvents(batch),
      second.health.recordHealthEvents([...batch].reverse()),
      store.health.recordHealthEvents(batch.slice(10, 30)),
      second.health.recordHealthEvents(batch.slice(0, 5)),
    ]);
    expect(results.reduce((n, r) => n + r.recorded, 0)).toBe(40);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(40 + 20 + 5);
    expect(await store.health.healthEvents(ACME, 0, 2 ** 31, 1000)).toHaveLength(40);
    expect((await store.health.recordHealthEvents(batch)).recorded).toBe(0);
  });

  it('reads an account’s events of a range newest first, with what rules key on', async () => {
    const got = await store.health.healthEvents(ACME, TIME + 5, TIME + 10);
    expect(got.map((e) => e.at)).toEqual([TIME + 9, TIME + 8, TIME + 7, TIME + 6, TIME + 5]);
    expect(got[0]).toEqual({
      accountId: ACME,
      at: TIME + 9,
      field: 'message_template_quality_update',
      event: 'YELLOW',
      subject: 't9 (en)',
      detail: 'quality GREEN → YELLOW',
      data: { templateId: '1009', templateName: 't9', language: 'en', from: 'GREEN', to: 'YELLOW' },
    });
    expect(await store.health.healthEvents('109876543210987', 0, 2 ** 31)).toEqual([]);
    expect(await store.health.healthEvents(ACME, 0, 2 ** 31, 3)).toHaveLength(3);
  });

  it('forgets events past their retention', async () => {
    expect(await store.health.pruneHealthEvents(TIME + 20)).toBe(20);
    expect(await store.health.healthEvents(ACME, 0, 2 ** 31, 1000)).toHaveLength(20);
  });
});
