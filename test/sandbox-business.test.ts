import { DateTime } from 'luxon';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GraphAccount, GraphClient } from '../src/graph/client.js';
import { phoneNumbersList, wabaOverviewField } from '../src/graph/health.js';
import { fetchPricing } from '../src/graph/pricing.js';
import { enableTemplateInsights, fetchTemplateAnalytics, messageTemplatesList, templateAnalyticsField } from '../src/graph/templates.js';
import { readWaba, wholeList } from '../src/graph/waba.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../src/sandbox/accounts.js';
import { DEFAULT_WABA_TIMEZONE, Ledger } from '../src/sandbox/ledger.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { accountStatuses, healthNotifications } from '../src/sandbox/statusWebhooks.js';
import { TrafficModel } from '../src/sandbox/traffic.js';

/**
 * The sandbox's business side in Graph's own shapes, through the product's own fetchers: phone
 * numbers and their health as the week goes, templates paused and reinstated, pricing that adds
 * up to the analytics' delivered, template funnels paged by cursor, Graph's errors, and the
 * status webhooks and health notifications of the same week.
 */
const NOW = Date.UTC(2026, 10, 25, 10, 15); // Wed 25 Nov 2026, 15:45 in Kolkata
const accounts = sampleAccounts(NOW);
const [ACME, GLOBEX, INITECH] = accounts as [(typeof accounts)[0], (typeof accounts)[0], (typeof accounts)[0]];
const LA = DEFAULT_WABA_TIMEZONE;
/** A WABA with a dozen templates, to see them asked 10 at a time. */
const MANY = {
  ...INITECH,
  id: '223344556677889',
  name: 'many-templates',
  business: {
    ...INITECH.business!,
    insights: 'on' as const,
    templates: Array.from({ length: 12 }, (_, i) => ({
      id: String(4051457788120001 + i),
      name: `notice_${i + 1}`,
      language: 'en_US',
      category: 'utility' as const,
      share: 1 / 12,
      readRate: 0.7,
      clickRate: 0.1,
    })),
  },
};
const kolkata = (daysAgo: number, hour: number) =>
  DateTime.fromMillis(NOW, { zone: 'Asia/Kolkata' }).startOf('day').minus({ days: daysAgo }).plus({ hours: hour }).toMillis();

/** What a promise rejects with; a resolved promise fails the test. */
const rejected = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );

let sandbox: RunningSandbox;
let clock = NOW;
let graph: GraphClient;
const target = (a: (typeof accounts)[0]): GraphAccount => ({
  id: a.id,
  name: a.name,
  token: SANDBOX_TOKEN,
  wabaTimezone: LA,
  settleMs: 7_200_000,
});

beforeAll(async () => {
  sandbox = await startSandbox({ accounts: [...accounts, MANY], now: () => clock, callsPerHour: 100_000 });
  graph = new GraphClient({ apiUrl: sandbox.url, now: () => clock, maxAttempts: 1 });
});
afterAll(async () => {
  await graph.close();
  await sandbox.close();
});

describe('numbers and their health, as the week goes', () => {
  const state = async (at: number, version = 'v23.0') => {
    clock = at;
    const client = new GraphClient({ apiUrl: sandbox.url, version, now: () => clock, maxAttempts: 1 });
    try {
      const [waba, numbers] = await readWaba(client, target(ACME), [wabaOverviewField, phoneNumbersList(version)]);
      return { waba, numbers: numbers.items.map((n) => `${n.digits} ${n.qualityRating} ${n.messagingLimit} ${n.health?.canSendMessage}`) };
    } finally {
      clock = NOW;
      await client.close();
    }
  };

  it('slides one number GREEN → YELLOW, then lowers the portfolio’s limit, in either version’s field', async () => {
    expect((await state(kolkata(5, 12))).numbers).toEqual([
      '16315551000 GREEN TIER_10K AVAILABLE',
      '16315551001 GREEN TIER_10K AVAILABLE',
      '918045551234 GREEN TIER_10K AVAILABLE',
    ]);
    expect((await state(kolkata(3, 12))).numbers[1]).toBe('16315551001 YELLOW TIER_10K AVAILABLE');
    const now = await state(NOW, 'v24.0');
    expect(now.numbers).toEqual([
      '16315551000 GREEN TIER_2K AVAILABLE',
      '16315551001 YELLOW TIER_2K AVAILABLE',
      '918045551234 GREEN TIER_2K AVAILABLE',
    ]);
    expect(now.waba).toMatchObject({
      name: 'Acme Retail',
      currency: 'USD',
      insightsEnabled: true,
      health: { canSendMessage: 'AVAILABLE' },
    });
  });

  it("refuses each version's name for the other's limit field, as Graph does", async () => {
    const ask = async (version: string, field: string) =>
      (
        await request(`${sandbox.url}/${version}/${ACME.id}/phone_numbers?fields=id,${field}`, {
          headers: { authorization: `Bearer ${SANDBOX_TOKEN}` },
        })
      ).statusCode;
    expect([await ask('v23.0', 'whatsapp_business_manager_messaging_limit'), await ask('v24.0', 'messaging_limit_tier')]).toEqual([
      400, 400,
    ]);
    expect([await ask('v23.0', 'messaging_limit_tier'), await ask('v24.0', 'whatsapp_business_manager_messaging_limit')]).toEqual([
      200, 200,
    ]);
  });

  it('says why a number is LIMITED, and pages a list through its cursors', async () => {
    const [numbers] = await readWaba(graph, target(INITECH), [phoneNumbersList('v23.0')]);
    expect(numbers.items[0]).toMatchObject({
      displayPhoneNumber: '+1 212-555-0100',
      nameStatus: 'PENDING_REVIEW',
      messagingLimit: 'TIER_250',
    });
    expect(numbers.items[0]!.health!.canSendMessage).toBe('LIMITED');
    expect(numbers.items[0]!.health!.entities[0]).toMatchObject({
      type: 'PHONE_NUMBER',
      canSendMessage: 'LIMITED',
      info: [expect.stringContaining('display name')],
    });
    // Two a page: the list reads on through the edge's cursor.
    const res = await request(`${sandbox.url}/v23.0/${ACME.id}/message_templates?fields=id,name&limit=2`, {
      headers: { authorization: `Bearer ${SANDBOX_TOKEN}` },
    });
    const first = (await res.body.json()) as { data: unknown[]; paging: { cursors: { after: string }; next: string } };
    expect(first.data).toHaveLength(2);
    const all = await wholeList(graph, target(ACME), messageTemplatesList, { items: [], after: first.paging.cursors.after });
    expect(all.map((t) => t.name)).toEqual(['winter_sale', 'cart_reminder', 'newsletter_nov', 'login_code', 'flash_deal']);
  });
});

describe('templates: paused mid-week, then reinstated', () => {
  const statusOf = async (at: number, name: string) => {
    clock = at;
    try {
      const [templates] = await readWaba(graph, target(ACME), [messageTemplatesList]);
      const t = templates.items.find((x) => x.name === name)!;
      return `${t.status} ${t.qualityScore}`;
    } finally {
      clock = NOW;
    }
  };
  it('pauses winter_sale for 6 hours after its quality falls to RED', async () => {
    expect(await statusOf(kolkata(5, 12), 'winter_sale')).toBe('APPROVED GREEN');
    expect(await statusOf(kolkata(3, 13), 'winter_sale')).toBe('APPROVED RED');
    expect(await statusOf(kolkata(3, 15), 'winter_sale')).toBe('PAUSED RED');
    expect(await statusOf(NOW, 'winter_sale')).toBe('APPROVED RED');
    expect(await statusOf(NOW, 'flash_deal')).toBe('DISABLED RED');
  });

  it("sends nothing of it while paused, and its funnel's reads keep arriving for days", async () => {
    const range = { start: Date.UTC(2026, 10, 18) / 1000, end: Date.UTC(2026, 10, 25) / 1000 };
    const days = await fetchTemplateAnalytics(graph, target(ACME), { range, templateIds: ['1021457788120003', '1021457788120004'] }, NOW);
    const sale = days.filter((d) => d.templateId === '1021457788120003');
    const cart = days.filter((d) => d.templateId === '1021457788120004');
    expect(sale).toHaveLength(7);
    // Sun 22 Nov (UTC) holds the pause, 08:30–14:30 UTC: winter_sale sends less than its share.
    const ratio = (d: (typeof sale)[number], c: (typeof cart)[number]) => d.sent / c.sent;
    expect(ratio(sale[4]!, cart[4]!)).toBeLessThan(0.45);
    expect(ratio(sale[5]!, cart[5]!)).toBeCloseTo(0.6, 1);
    expect(sale.every((d) => d.delivered <= d.sent && d.read <= d.delivered && d.clicked <= d.read && d.cost! > 0)).toBe(true);
    expect(sale[6]!.read / sale[6]!.delivered).toBeLessThan(sale[0]!.read / sale[0]!.delivered);
  });
});

describe('pricing analytics', () => {
  it('bills what the analytics delivered, day by day, by category, country and tier', async () => {
    const day = {
      start: DateTime.fromISO('2026-11-20', { zone: LA }).toSeconds(),
      end: DateTime.fromISO('2026-11-21', { zone: LA }).toSeconds(),
    };
    const points = await fetchPricing(graph, target(ACME), { range: day, dimensions: ['PRICING_CATEGORY', 'COUNTRY', 'TIER'] }, NOW);
    const analytics = await graph.fetchAnalytics(target(ACME), { range: day, granularity: 'DAY' });
    expect(points.reduce((n, p) => n + p.volume, 0)).toBe(analytics.points[0]!.delivered);
    expect(new Set(points.map((p) => p.category))).toEqual(new Set(['marketing', 'utility', 'authentication', 'service']));
    expect(points.filter((p) => p.category === 'service').every((p) => p.cost === 0 && p.tier === null)).toBe(true);
    expect(points.filter((p) => p.category === 'marketing').every((p) => p.tier === '0:MAX' && p.cost! > 0)).toBe(true);
    // India's utility volume passed 100,000 this month before the 20th.
    expect(points.find((p) => p.category === 'utility' && p.country === 'IN')!.tier).toBe('100001:500000');
  });

  it("gives a partner's credit line volumes without cost", async () => {
    const points = await fetchPricing(
      graph,
      target(GLOBEX),
      { range: { start: NOW / 1000 - 3 * 86_400, end: NOW / 1000 }, dimensions: ['PRICING_CATEGORY'] },
      NOW,
    );
    expect(points.length).toBeGreaterThan(0);
    expect(points.every((p) => p.cost === null && p.volume > 0)).toBe(true);
  });

  it('pages a long answer through its cursors, losing nothing', async () => {
    const range = { start: NOW / 1000 - 5 * 86_400, end: NOW / 1000 - 86_400 };
    const before = sandbox.stats.requests;
    const paged = await fetchPricing(graph, target(ACME), { range, dimensions: ['PHONE', 'COUNTRY', 'PRICING_CATEGORY'] }, NOW);
    // Daily points are few; half hours by phone, country and category are thousands: Graph pages them.
    expect(sandbox.stats.requests - before).toBe(1);
    const res = await request(
      `${sandbox.url}/v23.0/${ACME.id}?fields=${encodeURIComponent(`pricing_analytics.start(${range.start}).end(${range.end}).granularity(HALF_HOUR).dimensions(["PHONE","COUNTRY","PRICING_CATEGORY"])`)}`,
      { headers: { authorization: `Bearer ${SANDBOX_TOKEN}` } },
    );
    const body = (await res.body.json()) as {
      pricing_analytics: { data: Array<{ data_points: unknown[] }>; paging: { cursors: { after: string }; next: string } };
    };
    expect(body.pricing_analytics.data[0]!.data_points).toHaveLength(1000);
    expect(body.pricing_analytics.paging.next).toContain('.after(');
    expect(paged.reduce((n, p) => n + p.volume, 0)).toBeGreaterThan(0);
  });

  it('refuses a start more than a year back, with one line naming the fix', async () => {
    const err = await rejected(
      fetchPricing(
        graph,
        target(ACME),
        { range: { start: NOW / 1000 - 400 * 86_400, end: NOW / 1000 }, dimensions: ['PRICING_CATEGORY'] },
        NOW,
      ),
    );
    expect(err).toMatchObject({ code: 'E_RANGE_TOO_LONG', exitCode: 2 });
    expect((err as Error).message).toBe(
      'the cost range starts 2025-10-21, before the one year Graph keeps pricing analytics (its first whole day: 2025-11-26)',
    );
  });
});

describe('template insights: off, unsupported, switched on', () => {
  it('answers 200007 while off, 200005 to switching on an EU WABA, 200006 to switching off', async () => {
    const range = { start: NOW / 1000 - 7 * 86_400, end: NOW / 1000 };
    expect(await rejected(fetchTemplateAnalytics(graph, target(GLOBEX), { range, templateIds: ['2031457788120001'] }, NOW))).toMatchObject({
      code: 'E_TEMPLATE_INSIGHTS_OFF',
      graphCode: 200007,
    });
    expect(await rejected(enableTemplateInsights(graph, target(GLOBEX)))).toMatchObject({
      code: 'E_TEMPLATE_INSIGHTS_UNAVAILABLE',
      graphCode: 200005,
    });
    const off = await request(`${sandbox.url}/v23.0/${ACME.id}?is_enabled_for_insights=false`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SANDBOX_TOKEN}` },
    });
    expect(((await off.body.json()) as { error: { code: number } }).error.code).toBe(200006);
  });

  it('refuses more than 10 ids, ids of other WABAs, and days past 90 — before and at Graph', async () => {
    const range = { start: NOW / 1000 - 7 * 86_400, end: NOW / 1000 };
    const eleven = Array.from({ length: 11 }, (_, i) => String(1021457788120001 + i));
    expect(() => templateAnalyticsField(eleven, range)).toThrow(expect.objectContaining({ code: 'E_TEMPLATE_BATCH' }));
    expect(await rejected(fetchTemplateAnalytics(graph, target(ACME), { range, templateIds: ['999'] }, NOW))).toMatchObject({
      code: 'E_GRAPH_REQUEST',
      graphCode: 100,
    });
    expect(
      await rejected(
        fetchTemplateAnalytics(
          graph,
          target(ACME),
          { range: { start: NOW / 1000 - 91 * 86_400, end: NOW / 1000 }, templateIds: ['1021457788120001'] },
          NOW,
        ),
      ),
    ).toMatchObject({
      code: 'E_RANGE_TOO_LONG',
      message: 'the templates range starts 2026-08-26, before the 90 days Graph keeps template analytics (its first whole day: 2026-08-28)',
      hint: 'pick a start on or after 2026-08-28',
    });
  });

  it('asks 10 ids a call, each id once, and pages each call through its cursors', async () => {
    const ids = MANY.business.templates.map((t) => t.id);
    const before = sandbox.stats.requests;
    const week = { start: Date.UTC(2026, 10, 18) / 1000, end: Date.UTC(2026, 10, 25) / 1000 };
    expect(await fetchTemplateAnalytics(graph, target(MANY), { range: week, templateIds: [...ids, ...ids.slice(0, 4)] }, NOW)).toHaveLength(
      12 * 7,
    );
    expect(sandbox.stats.requests - before).toBe(2);
    // 55 days: 10 × 55 = 550 points in the first batch (6 pages of 100), 2 × 55 = 110 in the second (2 pages).
    const long = { start: Date.UTC(2026, 9, 1) / 1000, end: Date.UTC(2026, 10, 25) / 1000 };
    const days = await fetchTemplateAnalytics(graph, target(MANY), { range: long, templateIds: ids }, NOW);
    expect(days).toHaveLength(12 * 55);
    expect(new Set(days.map((d) => `${d.templateId}:${d.start}`)).size).toBe(12 * 55);
    expect(sandbox.stats.requests - before).toBe(2 + 6 + 2);
  });

  it('switches insights on once asked, and then answers', async () => {
    const range = { start: NOW / 1000 - 3 * 86_400, end: NOW / 1000 };
    await enableTemplateInsights(graph, target(INITECH));
    const days = await fetchTemplateAnalytics(graph, target(INITECH), { range, templateIds: ['3041457788120002'] }, NOW);
    expect(days.length).toBe(4);
  });
});

describe('the same week in status webhooks and health notifications', () => {
  const model = new TrafficModel(ACME);
  const ledger = new Ledger(ACME, model, LA);

  it('fails the paused template’s sends with 132015, during the pause only', () => {
    const pauseStart = kolkata(3, 14) / 1000;
    const statuses = [...accountStatuses(ACME, model, pauseStart - 3600, pauseStart + 7 * 3600).values()].flat();
    const paused = statuses.filter((s) => s.code === 132015);
    expect(paused.length).toBeGreaterThan(100);
    expect(
      paused.every(
        (s) => s.status === 'failed' && s.category === 'marketing' && s.timestamp >= pauseStart && s.timestamp < pauseStart + 6 * 3600,
      ),
    ).toBe(true);
    expect(new Set(paused.map((s) => s.id)).size).toBe(paused.length);
  });

  it('sends each health change of the week once, at its moment', () => {
    const week = healthNotifications(ACME, ledger, NOW / 1000 - 7 * 86_400, NOW / 1000);
    const described = week.map(({ body }) => {
      const change = (body.entry as Array<{ changes: Array<{ field: string; value: Record<string, unknown> }> }>)[0]!.changes[0]!;
      return `${change.field} ${change.value.event ?? change.value.new_quality_score}`;
    });
    expect(described).toEqual([
      'phone_number_quality_update FLAGGED',
      'message_template_quality_update YELLOW',
      'message_template_quality_update RED',
      'message_template_status_update PAUSED',
      'message_template_status_update REINSTATED',
      'phone_number_quality_update DOWNGRADE',
    ]);
    expect(healthNotifications(INITECH, new Ledger(INITECH, new TrafficModel(INITECH), LA), NOW / 1000 - 7 * 86_400, NOW / 1000)).toEqual(
      [],
    );
  });

  it("tells when India's utility volume moved into the next pricing tier this month", () => {
    const month = healthNotifications(ACME, ledger, Date.UTC(2026, 10, 1, 8) / 1000, NOW / 1000).filter(({ body }) =>
      JSON.stringify(body).includes('VOLUME_BASED'),
    );
    expect(month.map(({ body }) => JSON.stringify(body))).toEqual([expect.stringContaining('"region":"India","tier":"100001:500000"')]);
  });
});
