import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { silentLogger } from '../src/log.js';
import { SANDBOX_EXPIRED_TOKEN, sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { StatusWebhookEmitter } from '../src/sandbox/statusWebhooks.js';
import { openStore } from '../src/store/sql.js';
import { startStatusReceiver } from '../src/whatsapp/receiver.js';
import { capturedOutput } from './helpers/output.js';

/**
 * `waba-pulse health`, `report --view cost|templates` and `templates enable` against the
 * sandbox, each at an explicit moment: the JSON contracts, what a partner-billed account and one
 * without template insights say, the health webhooks from a store `serve` kept, and every bad
 * input as one line with its exit code, before any Graph call where it can be.
 */
const NOW = Date.UTC(2026, 10, 25, 10, 15); // Wed 25 Nov 2026, 15:45 in Kolkata
const SECRET = 'EAAG-sandbox-SECRET-views-41c9';
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-views-'));
const CONFIG = join(dir, 'waba-pulse.yaml');
const STORE = join(dir, 'kept', 'waba-pulse.db');
let sandbox: RunningSandbox;
let clock = NOW;

beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => clock, token: SECRET, callsPerHour: 100_000 });
  writeFileSync(
    CONFIG,
    sampleAccounts(NOW)
      .map((a) => `  - { id: "${a.id}", name: ${a.name}, displayName: ${a.displayName}, tokenEnv: T, timezone: ${a.timezone} }`)
      .reduce((doc, line) => `${doc}${line}\n`, 'accounts:\n'),
  );
  // What `serve` would have kept: the week's health notifications (and the pause's statuses), through the webhook route.
  const store = await openStore(`sqlite:${STORE}`);
  const accounts = sampleAccounts(NOW).slice(0, 1);
  const receiver = await startStatusReceiver({ store, accounts: [accounts[0]!.id], appSecret: 'views', log: silentLogger, now: () => NOW });
  const emitter = new StatusWebhookEmitter({ accounts, url: receiver.url, appSecret: 'views', batch: 500, reads: false });
  const pause = DateTime.fromMillis(NOW, { zone: 'Asia/Kolkata' }).startOf('day').minus({ days: 3 }).plus({ hours: 13 }).toSeconds();
  const sent = await emitter.emit(pause, pause + 8 * 3600);
  await emitter.stop();
  const healthOnly = new StatusWebhookEmitter({ accounts, url: receiver.url, appSecret: 'views', statuses: false });
  await healthOnly.emit(NOW / 1000 - 6.5 * 86_400, NOW / 1000);
  await healthOnly.stop();
  await receiver.close();
  await store.close();
  expect(sent.failuresByCode['132015']).toBeGreaterThan(100);
}, 120_000);
afterAll(() => sandbox.close());

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { stdout, stderr, out, err } = capturedOutput();
  const code = await runCli(['--config', CONFIG, ...args], {
    stdout,
    stderr,
    env: { GRAPH_API_URL: sandbox.url, T: SECRET, ...env },
    cwd: dir,
    now: () => clock,
  });
  expect(out() + err()).not.toContain(SECRET);
  return { code, out: out(), err: err() };
}

const json = async (args: string[], env?: NodeJS.ProcessEnv) => {
  const { code, out, err } = await cli([...args, '--format', 'json'], env);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  return JSON.parse(out);
};

describe('waba-pulse health', () => {
  it('prints exactly the contract: account, numbers, templates, events', async () => {
    const doc = await json(['health', '--account', 'acme-retail'], { DATABASE_URL: `sqlite:${STORE}` });
    expect(Object.keys(doc)).toEqual(['account', 'numbers', 'templates', 'events']);
    expect(doc.account).toEqual({ id: '104729384756102', name: 'acme-retail' });
    expect(doc.numbers[1]).toEqual({
      id: '106516315551001',
      displayPhoneNumber: '+1 631-555-1001',
      qualityRating: 'YELLOW',
      messagingLimit: 'TIER_2K',
      throughput: 'STANDARD',
      nameStatus: 'APPROVED',
      status: 'CONNECTED',
      canSend: 'AVAILABLE',
    });
    expect(doc.templates.paused).toEqual([]);
    expect(doc.templates.disabled).toEqual([
      { id: '1021457788120007', name: 'flash_deal', language: 'en', category: 'marketing', qualityScore: 'RED' },
    ]);
    expect(doc.templates.qualityLow.map((t: { name: string }) => t.name)).toEqual(['payment_due', 'winter_sale']);
    expect(doc.events.map((e: { field: string; event: string }) => `${e.field} ${e.event}`)).toEqual([
      'phone_number_quality_update DOWNGRADE',
      'message_template_status_update REINSTATED',
      'message_template_status_update PAUSED',
      'message_template_quality_update RED',
      'message_template_quality_update YELLOW',
      'phone_number_quality_update FLAGGED',
    ]);
    expect(doc.events[0]).toEqual({
      at: '2026-11-23T11:00:00+05:30',
      field: 'phone_number_quality_update',
      event: 'DOWNGRADE',
      subject: '16315551001',
      detail: 'messaging limit TIER_10K → TIER_2K',
    });
  });

  it('shows the template paused while it is, and says what needs attention', async () => {
    clock = DateTime.fromMillis(NOW, { zone: 'Asia/Kolkata' }).startOf('day').minus({ days: 3 }).plus({ hours: 16 }).toMillis();
    try {
      const { code, out } = await cli(['health', '--account', 'acme-retail'], { DATABASE_URL: `sqlite:${STORE}` });
      expect(code).toBe(0);
      expect(out).toContain('Templates: 1 paused · 1 disabled · 2 rated YELLOW or RED');
      expect(out).toContain('!! Template winter_sale (en) is paused');
      expect(out).toContain('!  +1 631-555-1001 quality YELLOW (medium)');
      expect(out).toMatch(
        /Sun 22 Nov 14:00 {2}PAUSED {5}winter_sale \(en\): template paused — Your WhatsApp message template has been paused for 6 hours/,
      );
    } finally {
      clock = NOW;
    }
  });

  it('reads no events without a store, and never creates one', async () => {
    const doc = await json(['health', '--account', 'initech-alerts']);
    expect(doc.events).toEqual([]);
    expect(doc.numbers[0]).toMatchObject({ nameStatus: 'PENDING_REVIEW', canSend: 'LIMITED', messagingLimit: 'TIER_250' });
    expect(existsSync(join(dir, 'data'))).toBe(false);
    const { out } = await cli(['health', '--account', 'initech-alerts']);
    expect(out).toContain('can send: LIMITED: Your display name has not been approved yet.');
    expect(out).toContain('Note: No health events: they come from the webhooks `serve` keeps in its store');
  });
});

describe('report --view cost', () => {
  it('totals yesterday against the day before, per delivered message, by category and country, with the tiers', async () => {
    const doc = await json(['report', '--account', 'acme-retail', '--view', 'cost', '--from', '2026-11-24', '--to', '2026-11-24']);
    expect(doc.range).toEqual({ start: '2026-11-24T00:00:00-08:00', end: '2026-11-25T00:00:00-08:00', timezone: 'America/Los_Angeles' });
    expect(Object.keys(doc.cost)).toEqual([
      'currency',
      'total',
      'previousTotal',
      'perDelivered',
      'volume',
      'byCategory',
      'byCountry',
      'tiers',
      'anomalies',
    ]);
    const { cost } = doc;
    expect(cost.currency).toBe('USD');
    expect(cost.total).toBeGreaterThan(100);
    expect(cost.previousTotal).toBeGreaterThan(100);
    expect(cost.byCategory.map((c: { category: string }) => c.category)).toEqual(['marketing', 'utility', 'authentication', 'service']);
    expect(cost.byCategory.reduce((n: number, c: { cost: number }) => n + c.cost, 0)).toBeCloseTo(cost.total, 4);
    expect(cost.byCountry.map((c: { country: string }) => c.country)).toEqual(['BR', 'ID', 'US', 'IN']); // by cost: Brazil's marketing is dearest
    // Every billed message was delivered: the volume is the messaging analytics' delivered count.
    const delivery = await json([
      'report',
      '--account',
      'acme-retail',
      '--from',
      '2026-11-24',
      '--to',
      '2026-11-24',
      '--granularity',
      'day',
    ]);
    expect(delivery.totals.delivered).toBeGreaterThan(0);
    expect(cost.perDelivered).toBeCloseTo(cost.total / cost.volume, 5);
    expect(cost.tiers.find((t: { category: string; country: string }) => t.category === 'utility' && t.country === 'IN')).toMatchObject({
      tier: '100001:500000',
      nextTierAt: 500001,
    });
    expect(cost.anomalies).toEqual([]);
  });

  it("flags Initech's marketing burst as a spend spike", async () => {
    const doc = await json(['report', '--account', 'initech-alerts', '--view', 'cost', '--last', '1d']);
    expect(doc.cost.anomalies).toEqual([
      expect.objectContaining({ kind: 'spend_spike', start: '2026-11-24T00:00:00-08:00', measure: 'cost', severity: 'warning' }),
    ]);
    expect(doc.cost.anomalies[0].explanation).toMatch(
      /^Marketing spend spiked to USD \d+\.\d\d on Tue 24 Nov; usually about USD \d+\.\d\d a day\.$/,
    );
  });

  it("keeps a partner-billed account's volumes, cost null, with the note — by country in text", async () => {
    const doc = await json(['report', '--account', 'globex-support', '--view', 'cost', '--last', '7d']);
    expect(doc.cost).toMatchObject({ currency: 'EUR', total: null, previousTotal: null, perDelivered: null });
    expect(doc.cost.volume).toBeGreaterThan(10_000);
    expect(doc.notes).toContain(
      "Graph reports volumes but no cost for this WABA: it is billed through a Solution Partner's credit line, whose invoices hold the prices.",
    );
    const { code, out } = await cli(['report', '--account', 'globex-support', '--view', 'cost', '--last', '7d', '--by', 'country']);
    expect(code).toBe(0);
    expect(out).toMatch(
      /^Globex Support — cost, 18–24 Nov 2026 \(America\/Los_Angeles\)\nCost not reported · [\d,]+ messages\n\nBy country:\n {2}country {11}messages {2}cost\n {2}DE \(Germany\) {8}[\d,]+ {5}—\n/,
    );
  });

  it('writes cost.json and summary.txt as one set with --out', async () => {
    const out = join(dir, 'cost-out');
    const { code, err } = await cli(['report', '--account', 'acme-retail', '--view', 'cost', '--out', out]);
    expect(code).toBe(0);
    expect(err).toMatch(/^wrote .*cost\.json, .*summary\.txt\n$/);
    expect(JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8')).cost.currency).toBe('USD');
    expect(readFileSync(join(out, 'summary.txt'), 'utf8')).toMatch(/^Acme Retail — cost, /);
  });
});

describe('report --view templates, and switching insights on', () => {
  it('lists the funnels busiest first while insights are on', async () => {
    const doc = await json(['report', '--account', 'acme-retail', '--view', 'templates', '--last', '7d']);
    expect(doc.templatesEnabled).toBe(true);
    expect(doc.range).toEqual({ start: '2026-11-18T00:00:00Z', end: '2026-11-25T00:00:00Z', timezone: 'UTC' });
    expect(doc.templates.map((t: { name: string }) => t.name)).toEqual([
      'order_shipped',
      'cart_reminder',
      'payment_due',
      'winter_sale',
      'login_code',
      'newsletter_nov',
      'flash_deal',
    ]);
    expect(Object.keys(doc.templates[0])).toEqual([
      'id',
      'name',
      'language',
      'category',
      'status',
      'sent',
      'delivered',
      'read',
      'clicked',
      'cost',
    ]);
    for (const t of doc.templates.slice(0, 6))
      expect(t.sent >= t.delivered && t.delivered >= t.read && t.read >= t.clicked && t.cost > 0).toBe(true);
    const one = await json([
      'report',
      '--account',
      'acme-retail',
      '--view',
      'templates',
      '--last',
      '7d',
      '--template',
      'winter_sale,1021457788120006',
    ]);
    expect(one.templates.map((t: { name: string }) => t.name)).toEqual(['winter_sale', 'login_code']);
  });

  it('says how to switch them on while off, with names and statuses only', async () => {
    const doc = await json(['report', '--account', 'globex-support', '--view', 'templates']);
    expect(doc.templatesEnabled).toBe(false);
    expect(doc.templates[0]).toMatchObject({ name: 'feedback_survey', sent: null, delivered: null, read: null, clicked: null, cost: null });
    expect(doc.notes).toContain(
      'Template insights are off for this WABA: switch them on with `waba-pulse templates enable --account globex-support --yes` (it cannot be undone; WABAs tied to the EU, the UK or Japan are not supported).',
    );
  });

  it('asks for --yes before a switch that cannot be undone, and sends nothing without it', async () => {
    const before = sandbox.stats.requests;
    const { code, out, err } = await cli(['templates', 'enable', '--account', 'initech-alerts']);
    expect({ code, out }).toEqual({ code: 2, out: '' });
    expect(err).toBe(
      'waba-pulse: switching template insights on for initech-alerts cannot be undone: Graph keeps them on for good (and WABAs tied to the EU, the UK or Japan are not supported). Run again with --yes to switch them on: waba-pulse templates enable --account initech-alerts --yes.\n',
    );
    expect(sandbox.stats.requests).toBe(before);
    const eu = await cli(['templates', 'enable', '--account', 'globex-support', '--yes']);
    expect(eu.code).toBe(1);
    expect(eu.err).toMatch(
      /template insights are not available for this WhatsApp Business Account \(#200005, .*\)\. Meta does not offer them to WABAs tied to the EU, the UK or Japan/,
    );
    expect((await json(['report', '--account', 'initech-alerts', '--view', 'templates'])).templatesEnabled).toBe(false);
    const on = await cli(['templates', 'enable', '--account', 'initech-alerts', '--yes']);
    expect(on.code).toBe(0);
    expect(on.out).toMatch(/^Template insights are on for Initech Alerts \(112233445566778\); they cannot be switched off\./);
    expect((await json(['report', '--account', 'initech-alerts', '--view', 'templates'])).templates[0]).toMatchObject({
      name: 'promo_q4',
      category: 'marketing',
    });
  });
});

describe('bad input: one line, the documented exit code, nothing half-written', () => {
  const cases: Array<[string, string[], number, RegExp]> = [
    [
      'an unknown view',
      ['report', '--account', 'acme-retail', '--view', 'costs'],
      2,
      /^waba-pulse: unknown --view "costs"\. Use delivery \(the default\), cost or templates\.\n$/,
    ],
    [
      'a granularity for the cost view',
      ['report', '--account', 'acme-retail', '--view', 'cost', '--granularity', 'day'],
      2,
      /--granularity is for the delivery view/,
    ],
    [
      '--by phone for the cost view',
      ['report', '--account', 'acme-retail', '--view', 'cost', '--by', 'phone'],
      2,
      /unknown --by "phone" for the cost view\. Use category or country\./,
    ],
    [
      '--template outside the templates view',
      ['report', '--account', 'acme-retail', '--template', 'winter_sale'],
      2,
      /--template is for the templates view/,
    ],
    [
      'a cost range past the year',
      ['report', '--account', 'acme-retail', '--view', 'cost', '--from', '2025-06-01', '--to', '2025-12-31'],
      2,
      /the cost range starts 2025-06-01, before the one year Graph keeps pricing analytics \(its first whole day: 2025-11-26\)\. Pick a start on or after 2025-11-26\./,
    ],
    [
      'a templates range past 90 days',
      ['report', '--account', 'acme-retail', '--view', 'templates', '--last', '4m'],
      2,
      /the templates range starts 2026-07-01, before the 90 days Graph keeps template analytics/,
    ],
    [
      'an unknown template',
      ['report', '--account', 'acme-retail', '--view', 'templates', '--template', 'winter_sal'],
      2,
      /template "winter_sal" is not among acme-retail's 7 templates — did you mean "winter_sale"\?/,
    ],
    ['an unknown account', ['health', '--account', 'acme-retial'], 2, /unknown account "acme-retial" — did you mean "acme-retail"\?/],
    ['no account', ['templates', 'enable'], 2, /--account is required/],
    [
      'an --out that is a file',
      ['report', '--account', 'acme-retail', '--view', 'templates', '--out', CONFIG],
      2,
      /--out .* is a file, not a folder/,
    ],
    ['an expired token', ['health', '--account', 'acme-retail'], 1, /Graph refused the access token \(#190\/463/],
  ];
  for (const [label, args, exit, line] of cases)
    it(label, async () => {
      const before = sandbox.stats.requests;
      const { code, out, err } = await cli(args, label === 'an expired token' ? { T: SANDBOX_EXPIRED_TOKEN } : {});
      expect({ code, out }).toEqual({ code: exit, out: '' });
      expect(err).toMatch(line);
      expect(err.trim().split('\n')).toHaveLength(1);
      // Refused before Graph where the input alone says it (an unknown template needs the list first).
      if (exit === 2 && label !== 'an unknown template') expect(sandbox.stats.requests).toBe(before);
    });
});
