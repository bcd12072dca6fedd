import { DateTime } from 'luxon';
import type { SandboxAccount } from './accountModel.js';

/** The token the sandbox accepts unless told otherwise. Not a secret: it opens only synthetic data. */
export const SANDBOX_TOKEN = 'sandbox-token';
/** Tokens that make the sandbox answer as Graph does for a bad token, to see those errors. */
export const SANDBOX_EXPIRED_TOKEN = 'sandbox-expired-token';
export const SANDBOX_NO_PERMISSION_TOKEN = 'sandbox-no-permission-token';

/** Local wall-clock time `hour` on the day `daysAgo` days before `now`, in `tz`. */
function at(now: number, tz: string, daysAgo: number, hour: number): number {
  return DateTime.fromMillis(now, { zone: tz }).startOf('day').minus({ days: daysAgo }).plus({ hours: hour }).toSeconds();
}

/**
 * Three sample accounts with their incidents placed "yesterday" relative to `now` so a demo
 * run any day shows them: a delivery drop on one number to one country and an hour of marketing
 * messages held back (error 131049), a number that stops sending, and a small account with a
 * marketing burst (which is not a delivery problem).
 */
export function sampleAccounts(now: number): SandboxAccount[] {
  return [
    {
      id: '104729384756102',
      name: 'acme-retail',
      displayName: 'Acme Retail',
      timezone: 'Asia/Kolkata',
      phones: [
        { number: '16315551000', weight: 0.5 },
        { number: '16315551001', weight: 0.3 },
        { number: '918045551234', weight: 0.2 },
      ],
      countries: [
        { code: 'IN', weight: 0.55, tz: 'Asia/Kolkata', rate: 0.962 },
        { code: 'US', weight: 0.2, tz: 'America/New_York', rate: 0.986 },
        { code: 'BR', weight: 0.15, tz: 'America/Sao_Paulo', rate: 0.975 },
        { code: 'ID', weight: 0.1, tz: 'Asia/Jakarta', rate: 0.955 },
      ],
      volume: 2400,
      incidents: [
        {
          kind: 'delivery_drop',
          phone: '16315551000',
          country: 'IN',
          start: at(now, 'Asia/Kolkata', 1, 13),
          end: at(now, 'Asia/Kolkata', 1, 17.5),
          factor: 0.72,
        },
        // WhatsApp holding back a quarter of the marketing messages for an hour (error 131049):
        // what the status webhooks name, and Graph sees only as fewer delivered.
        {
          kind: 'failure_burst',
          code: 131049,
          category: 'marketing',
          start: at(now, 'Asia/Kolkata', 1, 10),
          end: at(now, 'Asia/Kolkata', 1, 11),
          factor: 0.25,
        },
      ],
      // Mid-week: one number's quality slides GREEN → YELLOW and the portfolio's messaging limit
      // is lowered two days later; a marketing template falls to RED and is paused for 6 hours
      // (its sends fail with 132015 meanwhile). Billed directly, template insights on.
      business: {
        currency: 'USD',
        billing: 'direct',
        insights: 'on',
        messagingLimit: 'TIER_10K',
        numbers: [{ phone: '16315551000', throughput: 'HIGH' }],
        templates: [
          {
            id: '1021457788120001',
            name: 'order_shipped',
            language: 'en',
            category: 'utility',
            share: 0.6,
            readRate: 0.72,
            clickRate: 0.05,
          },
          {
            id: '1021457788120002',
            name: 'payment_due',
            language: 'hi',
            category: 'utility',
            share: 0.4,
            readRate: 0.61,
            clickRate: 0.04,
            quality: 'YELLOW',
          },
          {
            id: '1021457788120003',
            name: 'winter_sale',
            language: 'en',
            category: 'marketing',
            share: 0.3,
            readRate: 0.38,
            clickRate: 0.11,
          },
          {
            id: '1021457788120004',
            name: 'cart_reminder',
            language: 'en',
            category: 'marketing',
            share: 0.5,
            readRate: 0.52,
            clickRate: 0.16,
          },
          {
            id: '1021457788120005',
            name: 'newsletter_nov',
            language: 'en',
            category: 'marketing',
            share: 0.2,
            readRate: 0.34,
            clickRate: 0.06,
          },
          { id: '1021457788120006', name: 'login_code', language: 'en', category: 'authentication', share: 1, readRate: 0.9, clickRate: 0 },
          {
            id: '1021457788120007',
            name: 'flash_deal',
            language: 'en',
            category: 'marketing',
            share: 0,
            readRate: 0.3,
            clickRate: 0.05,
            status: 'DISABLED',
            quality: 'RED',
          },
        ],
        changes: [
          { at: at(now, 'Asia/Kolkata', 4, 18), kind: 'number_quality', phone: '16315551001', to: 'YELLOW' },
          { at: at(now, 'Asia/Kolkata', 4, 18.5), kind: 'template_quality', templateId: '1021457788120003', to: 'YELLOW' },
          { at: at(now, 'Asia/Kolkata', 3, 12), kind: 'template_quality', templateId: '1021457788120003', to: 'RED' },
          {
            at: at(now, 'Asia/Kolkata', 3, 14),
            kind: 'template_status',
            templateId: '1021457788120003',
            event: 'PAUSED',
            title: 'SECOND_PAUSE',
            description: 'Your WhatsApp message template has been paused for 6 hours due to low quality.',
          },
          {
            at: at(now, 'Asia/Kolkata', 3, 20),
            kind: 'template_status',
            templateId: '1021457788120003',
            event: 'REINSTATED',
            title: 'UNPAUSED',
            description: 'Your WhatsApp message template has been unpaused.',
          },
          { at: at(now, 'Asia/Kolkata', 2, 11), kind: 'messaging_limit', phone: '16315551001', to: 'TIER_2K' },
        ],
      },
    },
    {
      id: '109876543210987',
      name: 'globex-support',
      displayName: 'Globex Support',
      timezone: 'Europe/Berlin',
      phones: [
        { number: '4930555100', weight: 0.6 },
        { number: '4930555101', weight: 0.4 },
      ],
      countries: [
        { code: 'DE', weight: 0.6, tz: 'Europe/Berlin', rate: 0.981 },
        { code: 'AT', weight: 0.2, tz: 'Europe/Vienna', rate: 0.983 },
        { code: 'CH', weight: 0.1, tz: 'Europe/Zurich', rate: 0.985 },
        { code: 'TR', weight: 0.1, tz: 'Europe/Istanbul', rate: 0.952 },
      ],
      volume: 700,
      incidents: [
        { kind: 'stop', phone: '4930555101', start: at(now, 'Europe/Berlin', 1, 10), end: at(now, 'Europe/Berlin', 1, 15), factor: 0 },
      ],
      // Billed through a Solution Partner's credit line: Graph gives volumes, no cost. A WABA in
      // the EU: template insights are not offered (switching them on answers 200005).
      business: {
        currency: 'EUR',
        billing: 'partner',
        insights: 'unsupported',
        messagingLimit: 'TIER_2K',
        numbers: [],
        templates: [
          { id: '2031457788120001', name: 'ticket_update', language: 'de', category: 'utility', share: 1, readRate: 0.8, clickRate: 0.07 },
          {
            id: '2031457788120002',
            name: 'feedback_survey',
            language: 'de',
            category: 'marketing',
            share: 1,
            readRate: 0.45,
            clickRate: 0.12,
          },
          { id: '2031457788120003', name: 'login_code', language: 'de', category: 'authentication', share: 1, readRate: 0.9, clickRate: 0 },
        ],
        changes: [],
      },
    },
    {
      id: '112233445566778',
      name: 'initech-alerts',
      displayName: 'Initech Alerts',
      timezone: 'America/New_York',
      phones: [{ number: '12125550100', weight: 1 }],
      countries: [
        { code: 'US', weight: 0.9, tz: 'America/New_York', rate: 0.978 },
        { code: 'CA', weight: 0.1, tz: 'America/Toronto', rate: 0.981 },
      ],
      volume: 24,
      incidents: [{ kind: 'burst', start: at(now, 'America/New_York', 1, 11), end: at(now, 'America/New_York', 1, 13), factor: 14 }],
      // Template insights off (Graph answers 200007 until `templates enable`); its number waits
      // for display-name review, so it may send, LIMITED.
      business: {
        currency: 'USD',
        billing: 'direct',
        insights: 'off',
        messagingLimit: 'TIER_250',
        numbers: [
          {
            phone: '12125550100',
            nameStatus: 'PENDING_REVIEW',
            limited: 'Your display name has not been approved yet. Your message limit will increase after the display name is approved.',
          },
        ],
        templates: [
          {
            id: '3041457788120001',
            name: 'alert_triggered',
            language: 'en_US',
            category: 'utility',
            share: 1,
            readRate: 0.83,
            clickRate: 0.21,
          },
          { id: '3041457788120002', name: 'promo_q4', language: 'en_US', category: 'marketing', share: 1, readRate: 0.41, clickRate: 0.09 },
          {
            id: '3041457788120003',
            name: 'verify_code',
            language: 'en_US',
            category: 'authentication',
            share: 1,
            readRate: 0.92,
            clickRate: 0,
          },
        ],
        changes: [],
      },
    },
  ];
}

/** `count` more accounts of varied size and no incidents, for benchmarks. */
export function syntheticAccounts(count: number): SandboxAccount[] {
  const zones = ['Europe/Berlin', 'Asia/Kolkata', 'America/New_York', 'America/Sao_Paulo', 'Asia/Jakarta'];
  return Array.from({ length: count }, (_, i) => {
    const tz = zones[i % zones.length]!;
    return {
      id: String(200000000000000 + i),
      name: `bench-${String(i + 1).padStart(3, '0')}`,
      displayName: `Bench ${i + 1}`,
      timezone: tz,
      phones: [
        { number: `1555000${String(i).padStart(4, '0')}`, weight: 0.7 },
        { number: `1555100${String(i).padStart(4, '0')}`, weight: 0.3 },
      ],
      countries: [
        { code: 'US', weight: 0.5, tz: 'America/New_York', rate: 0.982 },
        { code: 'IN', weight: 0.3, tz: 'Asia/Kolkata', rate: 0.96 },
        { code: 'DE', weight: 0.2, tz: 'Europe/Berlin', rate: 0.979 },
      ],
      volume: 50 + ((i * 137) % 2000),
      incidents: [],
    };
  });
}
