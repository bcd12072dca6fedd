import { describe, expect, it } from 'vitest';
import {
  type CostInput,
  costSummary,
  formatMoney,
  NO_PRICING_NOTE,
  PARTNER_BILLED_NOTE,
  PREVIOUS_OUT_OF_REACH_NOTE,
  spendSpikes,
  tierStandings,
} from '../../src/analytics/cost.js';
import { healthSummary } from '../../src/analytics/health.js';
import { templateFunnels } from '../../src/analytics/templateFunnel.js';
import type { HealthEventRecord, PhoneNumberState } from '../../src/vocabulary/health.js';
import type { PricingPoint } from '../../src/vocabulary/pricing.js';
import type { TemplateInfo } from '../../src/vocabulary/templates.js';

/** Cost, template funnels and health, computed from plain values (the pure half of issue 22). */
const DAY = 86_400;
const D0 = Date.UTC(2026, 10, 1) / 1000; // Sun 1 Nov 2026, 00:00 UTC
const day = (n: number) => ({ start: D0 + n * DAY, end: D0 + (n + 1) * DAY });

function point(
  n: number,
  category: string,
  country: string,
  volume: number,
  cost: number | null,
  tier: string | null = null,
): PricingPoint {
  return {
    ...day(n),
    volume,
    cost,
    category,
    country,
    phone: null,
    tier,
    pricingType: category === 'service' ? 'FREE_CUSTOMER_SERVICE' : 'REGULAR',
  };
}

function input(points: PricingPoint[], extra: Partial<CostInput> = {}): CostInput {
  return {
    currency: 'USD',
    range: { start: day(10).start, end: day(12).start },
    previous: { start: day(8).start, end: day(10).start },
    tierMonth: { start: D0, end: day(12).start },
    points,
    fetchedFrom: D0,
    delivered: 1000,
    tz: 'UTC',
    ...extra,
  };
}

const billed = [
  point(8, 'marketing', 'IN', 100, 1.07),
  point(9, 'utility', 'IN', 200, 0.28),
  point(10, 'marketing', 'IN', 300, 3.21),
  point(10, 'marketing', 'US', 40, 1.0),
  point(11, 'utility', 'IN', 500, 0.7),
  point(11, 'service', 'US', 60, 0),
];

describe('cost summary', () => {
  const cases: Array<{ name: string; input: CostInput; expected: Partial<ReturnType<typeof costSummary>> }> = [
    {
      name: 'direct billing: totals, the previous period, per delivered, by category and by country',
      input: input(billed),
      expected: {
        currency: 'USD',
        total: 4.91,
        previousTotal: 1.35,
        perDelivered: 0.00491,
        volume: 900,
        byCategory: [
          { category: 'marketing', volume: 340, cost: 4.21 },
          { category: 'utility', volume: 500, cost: 0.7 },
          { category: 'service', volume: 60, cost: 0 },
        ],
        byCountry: [
          { country: 'IN', volume: 800, cost: 3.91 },
          { country: 'US', volume: 100, cost: 1 },
        ],
        notes: [],
      },
    },
    {
      name: "a partner's credit line: volumes kept, every cost null, with the note",
      input: input(billed.map((p) => ({ ...p, cost: null }))),
      expected: {
        total: null,
        previousTotal: null,
        perDelivered: null,
        volume: 900,
        byCategory: [
          { category: 'utility', volume: 500, cost: null },
          { category: 'marketing', volume: 340, cost: null },
          { category: 'service', volume: 60, cost: null },
        ],
        notes: [PARTNER_BILLED_NOTE],
      },
    },
    {
      name: 'no pricing data at all: null, not zero, with the note naming why',
      input: input([]),
      expected: {
        total: null,
        previousTotal: null,
        perDelivered: null,
        volume: 0,
        byCategory: [],
        byCountry: [],
        notes: [NO_PRICING_NOTE],
      },
    },
    {
      name: 'a previous period Graph no longer keeps: no comparison, said so',
      input: input(billed, { previous: null }),
      expected: { total: 4.91, previousTotal: null, notes: [PREVIOUS_OUT_OF_REACH_NOTE] },
    },
    {
      name: 'nothing delivered: no cost per delivered message',
      input: input(billed, { delivered: 0 }),
      expected: { total: 4.91, perDelivered: null },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect(costSummary(c.input)).toMatchObject(c.expected);
    });
});

describe('volume tiers of utility and authentication', () => {
  const month = { start: D0, end: day(12).start };
  const cases: Array<{ name: string; points: PricingPoint[]; expected: ReturnType<typeof tierStandings> }> = [
    {
      name: "the latest day's tier, and the messages left before the next one",
      points: [
        point(2, 'utility', 'IN', 60_000, 8.4, '0:100000'),
        point(3, 'utility', 'IN', 50_000, 6.65, '100001:500000'),
        point(3, 'marketing', 'IN', 9_000, 96, '0:MAX'),
      ],
      expected: [
        { category: 'utility', country: 'IN', tier: '100001:500000', monthVolume: 110_000, nextTierAt: 500_001, remaining: 390_000 },
      ],
    },
    {
      name: 'the top tier has no next: remaining is null',
      points: [point(4, 'authentication', 'BR', 3_000_000, 60, '2000001:MAX')],
      expected: [
        { category: 'authentication', country: 'BR', tier: '2000001:MAX', monthVolume: 3_000_000, nextTierAt: null, remaining: null },
      ],
    },
    {
      name: 'a day split across two tiers stands in the higher one; last month does not count',
      points: [
        { ...point(-3, 'utility', 'US', 900_000, 2, '0:100000') },
        point(5, 'utility', 'US', 80_000, 0.3, '0:100000'),
        point(5, 'utility', 'US', 30_000, 0.1, '100001:500000'),
      ],
      expected: [
        { category: 'utility', country: 'US', tier: '100001:500000', monthVolume: 110_000, nextTierAt: 500_001, remaining: 390_000 },
      ],
    },
    {
      name: 'free and untiered messages have no standing',
      points: [point(5, 'service', 'US', 80, 0), point(5, 'marketing', 'US', 8, 0.2)],
      expected: [],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect(tierStandings(c.points, month)).toEqual(c.expected);
    });
});

describe('spend spikes: marketing far above its usual day', () => {
  const usual = (cost: number, volume = 400) => Array.from({ length: 10 }, (_, n) => point(n, 'marketing', 'US', volume, cost));
  const range = { start: day(10).start, end: day(11).start };
  const cases: Array<{ name: string; points: PricingPoint[]; fetchedFrom?: number; costKnown?: boolean; spike: boolean }> = [
    { name: 'four times the usual day is flagged', points: [...usual(10), point(10, 'marketing', 'US', 1600, 40)], spike: true },
    { name: 'two and a half times is not', points: [...usual(10), point(10, 'marketing', 'US', 1000, 25)], spike: false },
    { name: 'too few messages to judge', points: [...usual(1, 40), point(10, 'marketing', 'US', 150, 9)], spike: false },
    {
      name: 'fewer than 4 days of history known',
      points: [...usual(10), point(10, 'marketing', 'US', 1600, 40)],
      fetchedFrom: day(7).start,
      spike: false,
    },
    {
      name: 'days without marketing count as nothing: a first campaign after a quiet week is flagged',
      points: [point(10, 'marketing', 'US', 600, 15)],
      spike: true,
    },
    {
      name: 'without cost (a partner line), judged on volume',
      points: [...usual(10).map((p) => ({ ...p, cost: null })), { ...point(10, 'marketing', 'US', 1600, null) }],
      costKnown: false,
      spike: true,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const spikes = spendSpikes(c.points, range, c.fetchedFrom ?? D0, 'UTC', 'USD', c.costKnown ?? true);
      expect(spikes.length).toBe(c.spike ? 1 : 0);
    });

  it('explains a spike in money, in the days of the account', () => {
    const [spike] = spendSpikes([...usual(10), point(10, 'marketing', 'US', 1600, 40)], range, D0, 'UTC', 'USD', true);
    expect(spike).toMatchObject({ kind: 'spend_spike', start: range.start, end: range.end, observed: 40, expected: 10, measure: 'cost' });
    expect(spike!.explanation).toBe('Marketing spend spiked to USD 40.00 on Wed 11 Nov; usually about USD 10.00 a day.');
  });

  it('formats money in two decimals, per-message prices in four', () => {
    expect([formatMoney(1234.5, 'USD'), formatMoney(0.0034, 'EUR', 4), formatMoney(0.999, 'USD'), formatMoney(null, 'USD')]).toEqual([
      'USD 1,234.50',
      'EUR 0.0034',
      'USD 1.00',
      '—',
    ]);
  });
});

const T = (id: string, name: string, category: string, status = 'APPROVED', qualityScore: string | null = 'GREEN'): TemplateInfo => ({
  id,
  name,
  language: 'en',
  category,
  status,
  qualityScore,
});

describe('template funnels', () => {
  const range = { start: day(10).start, end: day(12).start };
  const templates = [
    T('1', 'order_shipped', 'utility'),
    T('2', 'winter_sale', 'marketing', 'PAUSED', 'RED'),
    T('3', 'otp', 'authentication'),
  ];
  const days = [
    { templateId: '1', ...day(10), sent: 100, delivered: 95, read: 60, clicked: 3, cost: 0.13 },
    { templateId: '1', ...day(11), sent: 100, delivered: 97, read: 70, clicked: 5, cost: 0.14 },
    { templateId: '2', ...day(11), sent: 400, delivered: 380, read: 190, clicked: 19, cost: 4.07 },
    { templateId: '2', ...day(9), sent: 999, delivered: 999, read: 999, clicked: 999, cost: 99 }, // before the range
    { templateId: '3', ...day(11), sent: 50, delivered: 50, read: 0, clicked: 0, cost: null },
  ];

  it('sums each template over the range, busiest first, with the step rates and cost per delivered', () => {
    const funnels = templateFunnels(templates, days, range);
    expect(funnels.map((f) => [f.name, f.sent, f.delivered, f.read, f.clicked, f.cost, f.costPerDelivered])).toEqual([
      ['winter_sale', 400, 380, 190, 19, 4.07, 0.010711],
      ['order_shipped', 200, 192, 130, 8, 0.27, 0.001406],
      ['otp', 50, 50, 0, 0, null, null],
    ]);
    expect(funnels[0]!.rates).toEqual({ delivered: 0.95, read: 0.5, clicked: 0.1 });
    expect(funnels[2]!.rates).toEqual({ delivered: 1, read: 0, clicked: null });
  });

  it('lists a template without any day in the range with zeros', () => {
    const [only] = templateFunnels([T('9', 'unused', 'marketing')], days, range);
    expect(only).toMatchObject({ sent: 0, delivered: 0, cost: null, rates: { delivered: null, read: null, clicked: null } });
  });
});

const number = (digits: string, extra: Partial<PhoneNumberState> = {}): PhoneNumberState => ({
  id: `9${digits}`,
  displayPhoneNumber: `+${digits}`,
  digits,
  verifiedName: 'Acme',
  qualityRating: 'GREEN',
  messagingLimit: 'TIER_10K',
  throughput: 'STANDARD',
  nameStatus: 'APPROVED',
  status: 'CONNECTED',
  health: { canSendMessage: 'AVAILABLE', entities: [] },
  ...extra,
});

describe('health summary', () => {
  const events: HealthEventRecord[] = [
    {
      accountId: 'w',
      at: 100,
      field: 'phone_number_quality_update',
      event: 'FLAGGED',
      subject: '16315551001',
      detail: 'quality flagged',
      data: {},
    },
    {
      accountId: 'w',
      at: 300,
      field: 'message_template_status_update',
      event: 'PAUSED',
      subject: 'winter_sale (en)',
      detail: 'paused',
      data: {},
    },
  ];
  const input = {
    waba: null,
    numbers: [
      number('16315551000'),
      number('16315551001', {
        qualityRating: 'YELLOW',
        messagingLimit: 'TIER_2K',
        health: {
          canSendMessage: 'LIMITED',
          entities: [{ type: 'PHONE_NUMBER', id: '1', canSendMessage: 'LIMITED', info: ['Display name not approved yet.'], errors: [] }],
        },
      }),
      number('918045551234', { status: 'RESTRICTED' }),
    ],
    templates: [
      T('1', 'order_shipped', 'utility'),
      T('2', 'winter_sale', 'marketing', 'PAUSED', 'RED'),
      T('3', 'flash_deal', 'marketing', 'DISABLED', 'RED'),
      T('4', 'payment_due', 'utility', 'APPROVED', 'YELLOW'),
    ],
    events,
    scope: [],
  };

  it('states each number as Graph does, and sorts the templates that need attention', () => {
    const summary = healthSummary(input);
    expect(summary.numbers.map((n) => [n.displayPhoneNumber, n.qualityRating, n.messagingLimit, n.status, n.canSend])).toEqual([
      ['+16315551000', 'GREEN', 'TIER_10K', 'CONNECTED', 'AVAILABLE'],
      ['+16315551001', 'YELLOW', 'TIER_2K', 'CONNECTED', 'LIMITED'],
      ['+918045551234', 'GREEN', 'TIER_10K', 'RESTRICTED', 'AVAILABLE'],
    ]);
    expect(summary.templates.paused.map((t) => t.name)).toEqual(['winter_sale']);
    expect(summary.templates.disabled.map((t) => t.name)).toEqual(['flash_deal']);
    expect(summary.templates.qualityLow.map((t) => `${t.name} ${t.qualityScore}`)).toEqual(['payment_due YELLOW', 'winter_sale RED']);
    expect(summary.events.map((e) => e.at)).toEqual([300, 100]);
  });

  it('lists the problems worst first, each in a line, with Meta’s reason for a limit', () => {
    expect(healthSummary(input).problems.map((p) => `${p.severity}: ${p.text}`)).toEqual([
      'critical: +918045551234 is RESTRICTED',
      'critical: Template winter_sale (en) is paused',
      'warning: +16315551001 can send: LIMITED: Display name not approved yet.',
      'warning: +16315551001 quality YELLOW (medium)',
      'warning: Template flash_deal (en) is disabled',
      'warning: Template payment_due (en) quality YELLOW',
    ]);
  });

  it('keeps to the numbers the config scopes the account to', () => {
    expect(healthSummary({ ...input, scope: ['16315551000'] }).numbers.map((n) => n.id)).toEqual(['916315551000']);
  });
});
