import { existsSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../src/analytics/anomalies.js';
import { CHART_DISPLAY_WIDTH, smallestFont } from '../src/charts/spec.js';
import { blockKitViolations, viewViolations } from './fakes/slack.js';
import { launchBrowser, renderTeamsCard } from './render/browser.js';
import { manyBandCharts, messageCharts, sandboxCharts } from './render/charts.js';
import { type ChartUnderTest, chartLegibility } from './render/legibility.js';
import { type SampleMessage, sampleImages, sampleMessages } from './render/messages.js';
import { type SetupSample, screenshotManifest, setupSamples } from './render/setup.js';

/**
 * Every message type, drawn by Microsoft's Adaptive Cards renderer in Chromium at a phone's
 * width and Teams' desktop column: no action title cut, no text past its column. Slack's are
 * held to its limits and to rows a phone shows whole.
 */
let browser: Browser;
let page: Page;
let messages: SampleMessage[];
/** The setup-from-chat surfaces the README shows: App Home / settings card, rule form, digest form. */
let setup: SetupSample[];
/** Every kind of chart: the messages', other accounts' reports, many bands, backtests. */
let charts: ChartUnderTest[];

beforeAll(async () => {
  let more: ChartUnderTest[];
  [messages, more] = await Promise.all([sampleMessages(), sandboxCharts()]);
  setup = await setupSamples();
  charts = [...messageCharts(messages), ...manyBandCharts(), ...more];
  browser = await launchBrowser();
  page = await browser.newPage();
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

const images = () => sampleImages(messages);

describe('Teams cards in a real renderer', () => {
  for (const width of [320, 450]) {
    it(`fit a ${width} px column: every action title and text whole`, async () => {
      expect(messages.map((m) => m.name)).toEqual([
        'report',
        'digest',
        'daily-digest',
        'alert',
        'alert-acknowledged',
        'resolution',
        'failure-alert',
      ]);
      for (const message of messages) {
        const rendered = await renderTeamsCard(page, message.teams.card, width, images());
        expect(rendered.overflows, `${message.name} at ${width} px`).toEqual([]);
      }
    });
  }

  it('catches what it is there to catch: four buttons side by side are cut at 320 px', async () => {
    const alert = messages.find((m) => m.name === 'alert')!.teams.card;
    const crowded = {
      ...alert,
      actions: ['Acknowledge', 'Mute 1h', 'Mute 24h', 'Show by phone number'].map((title) => ({ type: 'Action.Submit', title, data: {} })),
    };
    const rendered = await renderTeamsCard(page, crowded, 320);
    expect(rendered.overflows.some((o) => o.startsWith('action "Acknowledge" is cut'))).toBe(true);
  });

  it('draw a 150-character account name and a 40-number breakdown without overflow', async () => {
    const { reportCard } = await import('../src/chat/teams/cards.js');
    const { alertCard } = await import('../src/chat/teams/cards.js');
    const alert = messages.find((m) => m.name === 'alert')!;
    for (const name of ['Acme Retail International Customer Care and Notifications '.repeat(3).slice(0, 150), 'A'.repeat(150)]) {
      const report = messages.find((m) => m.name === 'report')!.report!;
      const card = reportCard({ ...report, account: { ...report.account, displayName: name } }, 'chart:report');
      expect((await renderTeamsCard(page, card, 320, images())).overflows, name).toEqual([]);
      const content = alert.alertContent!;
      expect((await renderTeamsCard(page, alertCard({ ...content, accountName: name }), 320)).overflows, name).toEqual([]);
    }
    // The 40-number breakdown: 15 rows and "…and 25 more", each row whole at a phone's width.
    const big = messages.find((m) => m.name === 'report')!.report!;
    const forty = {
      ...big,
      breakdown: {
        ...big.breakdown!,
        items: Array.from({ length: 40 }, (_, i) => ({ ...big.breakdown!.items[0]!, key: `9180455512${String(i).padStart(2, '0')}` })),
      },
    };
    expect((await renderTeamsCard(page, reportCard(forty, undefined), 320)).overflows).toEqual([]);
  });
});

describe('Teams settings cards and forms in a real renderer', () => {
  const long = 'Acme Retail International Customer Care and Notifications';
  const conversation = {
    conversation: '19:ops@thread.v2',
    accounts: [
      `*${long}* (\`acme-retail-international-customer-care\`): 97.4% of 123,456 delivered yesterday`,
      '*Initech* (`initech-alerts`): figures unavailable. Graph refused the token (190): make a new one',
    ],
    openAlerts: [`A-7K3F ${long}: Delivery on +1 631 555 1000 fell to 71.0% (710 of 1,000 delivered) on Tue 24 Nov 13:00–17:30`],
    rules: [
      {
        id: 'alerts[0] ops-floor',
        origin: 'config' as const,
        summary: 'drop · acme-retail · graph · min 200 sent · floor 80.0% · normal sensitivity · by phone and country',
      },
      {
        id: 'r-01JDQ7M2ZK8Y3W5V9X4T6B1N0C',
        origin: 'chat' as const,
        summary:
          'drop · acme-retail · webhooks · numbers +16315551000, +16315551001 · countries IN, BR, ID · min 50 sent · high sensitivity · by phone',
        version: 12,
        updatedBy: '6f1c2a9e-2b9d-4c7a-9d5e-0a1b2c3d4e5f',
        problem: 'account: unknown account "acme-old"',
      },
    ],
  };
  const digests = [
    {
      id: 'digests[0]',
      origin: 'config' as const,
      summary: `${long} · weekly on Monday at 09:00 America/Argentina/Buenos_Aires · by country`,
    },
    {
      id: 'sub-01JDQ7M2ZK8Y3W5V9X4T6B1N0C',
      origin: 'chat' as const,
      summary: `${long} · daily at 07:45 Asia/Kolkata · by phone`,
      version: 3,
      updatedBy: '6f1c2a9e-2b9d-4c7a-9d5e-0a1b2c3d4e5f',
    },
  ];
  const forms = async () => {
    const { ruleFormCard } = await import('../src/chat/teams/ruleCard.js');
    const { digestFormCard } = await import('../src/chat/teams/digestCard.js');
    const accounts = [
      { value: 'acme-retail', label: long },
      { value: 'initech-alerts', label: 'Initech' },
    ];
    const values = { account: 'acme-retail', countries: 'India', minSent: '-1', rateFloor: '1.2', drillDown: ['phone'] };
    return {
      'new digest': digestFormCard({ accounts, values: {}, metadata: {} }),
      'digest with errors': digestFormCard({
        accounts,
        values: { account: 'acme-retail', every: 'weekly', day: 'fri', at: '07:45', timezone: 'Mars/Olympus_Mons', by: 'phone' },
        metadata: { digestId: 'sub-01JDQ7M2ZK8Y3W5V9X4T6B1N0C', version: 3 },
        errors: {
          timezone: '"Mars/Olympus_Mons" is not a time zone — use an IANA name such as Europe/Berlin',
          every: 'that channel already has a weekly digest of Acme Retail (set by 6f1c2a9e-2b9d-4c7a-9d5e-0a1b2c3d4e5f): edit that one',
        },
      }),
      'new rule': ruleFormCard({ accounts, values: {}, metadata: {} }),
      'health rule, its name taken': ruleFormCard({
        accounts,
        values: { kind: 'health', name: 'Acme Retail International health, every number', account: 'acme-retail', remindEvery: '12h' },
        metadata: {},
        errors: {
          name: '"Acme Retail International health, every number" is already the name of another alert rule: choose another',
        },
        preview:
          'This rule would have alerted 1 time in 30 days:\n• Sun 22 Nov 15:45: +1 631 555 1000 flagged: its quality rating fell below GREEN (limit TIER_10K)',
      }),
      'rule with errors and a preview': ruleFormCard({
        accounts,
        values,
        metadata: { ruleId: 'r-01JDQ7M2ZK8Y3W5V9X4T6B1N0C', version: 12 },
        errors: {
          top: 'changed by 6f1c2a9e-2b9d-4c7a-9d5e-0a1b2c3d4e5f since you opened it (now version 13): close this form and open the rule again, then make your change',
          countries: '"India" is not an ISO 3166 alpha-2 country code (e.g. US, IN)',
          minSent: '"-1" is under the minimum, 0',
          rateFloor: '"1.2" is over the maximum, 1 — a rate is a fraction: write 0.012 for 1.2%',
        },
        preview: [
          'This rule would have alerted 11 times in 30 days:',
          ...Array.from(
            { length: 8 },
            (_, i) => `• Tue ${10 + i} Nov 13:30: Delivery on +1 631 555 1000 to India fell to 71.0% (710 of 1,000); expected 97.0%`,
          ),
          '… and 3 more',
        ].join('\n'),
      }),
    };
  };

  for (const width of [320, 450]) {
    it(`fit a ${width} px column, every Delete… opened, under Teams' 28 KB`, async () => {
      const { settingsCard } = await import('../src/chat/teams/settingsCard.js');
      const cards = {
        settings: settingsCard(
          { ...conversation, digests },
          {
            news: { text: 'Saved: r-01JDQ7M2ZK8Y3W5V9X4T6B1N0C, version 12.', tone: 'good' },
          },
        ),
        'settings, nothing visible': settingsCard(undefined),
        'settings, 40 rules and 40 digests': settingsCard({
          ...conversation,
          rules: Array.from({ length: 40 }, () => conversation.rules[1]!),
          digests: Array.from({ length: 40 }, () => digests[1]!),
        }),
        ...(await forms()),
      };
      for (const [name, card] of Object.entries(cards)) {
        expect((await renderTeamsCard(page, card, width)).overflows, `${name} at ${width} px`).toEqual([]);
        expect(Buffer.byteLength(JSON.stringify(card)), name).toBeLessThan(28 * 1024);
      }
    });
  }
});

describe('Slack messages', () => {
  it('stay within Block Kit limits, with monospace rows a phone shows whole and mrkdwn escaped', () => {
    for (const message of messages) expect(blockKitViolations(message.slack as never), message.name).toEqual([]);
  });
});

/** How a chart names what a band shows, as the README promises: "+1 631 555 1000 ▼ 72%", "India ▼ 88%". */
function named(a: Pick<Anomaly, 'kind' | 'scope' | 'observed'>): string {
  const scope =
    a.scope.kind === 'account'
      ? 'All traffic'
      : a.scope.kind === 'country'
        ? a.scope.label.replace(/^[A-Z]{2} \((.+)\)$/, '$1')
        : a.scope.label;
  const pct = `${(a.observed * 100).toFixed(0)}%`;
  if (a.kind === 'delivery_drop') return `${scope} ▼ ${pct}`;
  if (a.kind === 'failure_burst') return `${scope} ▲ ${pct} failing`;
  if (a.kind === 'volume_drop')
    return a.observed < 1 ? `${scope} stopped sending` : `${scope} sending ▼ ${a.observed.toLocaleString('en-US')}`;
  return `${scope} sending ▲ ${a.observed.toLocaleString('en-US')}`;
}

describe('charts', () => {
  it('letter at least 9 px tall as shown in a 420 px card', () => {
    for (const message of messages.filter((m) => m.chart)) {
      expect(message.chart!.subarray(1, 4).toString(), message.name).toBe('PNG');
    }
    // Every chart's smallest letters, scaled to the width the chat shows the image at.
    for (const chart of charts) {
      expect((smallestFont(chart.spec) * CHART_DISPLAY_WIDTH) / chart.spec.width, chart.name).toBeGreaterThanOrEqual(9);
    }
  });

  it('read clearly: titles whole, ticks apart, days named, every band labelled, no label over another, the data or the axes', async () => {
    expect(charts.map((c) => c.name)).toEqual([
      'report',
      'report (why messages failed)',
      'digest',
      'digest (why messages failed)',
      'daily-digest',
      'daily-digest (why messages failed)',
      'alert',
      'alert-acknowledged',
      'failure-alert',
      'thirty days, twelve bands',
      'two days by half hour, eight bands',
      'globex-support daily',
      'initech-alerts daily',
      'backtest of a Graph rule, last 7 days',
      'backtest of a Graph rule, last 48 hours (ending on settling buckets)',
      'backtest of a status-webhook rule, a week with two days of statuses',
    ]);
    for (const chart of charts) expect((await chartLegibility(chart)).problems, chart.name).toEqual([]);
  });

  it('name what each band shows, with its scope and figure', async () => {
    for (const chart of charts.filter((c) => c.shows?.length)) {
      const texts = (await chartLegibility(chart)).layout.labels.map((l) => l.text).join(' | ');
      for (const shown of chart.shows!) expect(texts, chart.name).toContain(named(shown));
    }
    // The headline incident, on the daily report: the number to India at 13:00–17:30.
    const report = charts.find((c) => c.name === 'report')!;
    expect((await chartLegibility(report)).layout.labels.map((l) => l.text)).toContain('+1 631 555 1000 ▼ 75%');
  });

  it('of a backtest: its alerts by what they measured, buckets still settling shaded and off the rate line', async () => {
    const webhooks = charts.find((c) => c.name.startsWith('backtest of a status-webhook rule'))!;
    expect(webhooks.spec.config.data.datasets.map((d) => d.label)).toEqual(['Not failed %', 'Not failed', 'Attempts']);
    const texts = (await chartLegibility(webhooks)).layout.labels.map((l) => l.text);
    expect(texts.filter((t) => t.includes('failing')).length).toBeGreaterThan(0);
    expect(texts.join(' ')).not.toContain('sending');
    const edge = charts.find((c) => c.name.includes('ending on settling buckets'))!;
    const { layout } = await chartLegibility(edge);
    const settling = layout.bands.find((b) => b.id.endsWith('-settling'))!;
    expect(settling.right).toBeCloseTo(layout.plot.right, 0);
    expect(layout.labels.map((l) => l.text).join(' ')).toContain('settling');
    const rates = edge.spec.config.data.datasets[0]!.data as Array<number | null>;
    const annotations = (edge.spec.config.options!.plugins as { annotation: { annotations: Record<string, { xMin?: number }> } }).annotation
      .annotations;
    const from = Object.entries(annotations).find(([id]) => id.endsWith('-settling'))![1].xMin!;
    expect(from).toBeGreaterThan(rates.length - 10);
    expect(rates.slice(Math.ceil(from))).toEqual(rates.slice(Math.ceil(from)).map(() => null));
  });
});

describe('the screenshots in docs/', () => {
  it('show what the code sends today (npm run docs:screenshots redraws them)', () => {
    const manifest = 'docs/screenshots/messages.json';
    expect(existsSync(manifest), 'run npm run docs:screenshots').toBe(true);
    const recorded = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, string>;
    expect(setup.map((s) => [s.name, Boolean(s.slack), Boolean(s.teams)])).toEqual([
      ['app-home', true, true],
      ['rule-form', true, true],
      ['digest-form', true, true],
    ]);
    const now = screenshotManifest(messages, setup);
    expect(now, 'the messages changed: run npm run docs:screenshots').toEqual(recorded);
  });

  it('of the settings surfaces show views Slack takes and cards that fit Teams, the Preview answered', async () => {
    for (const surface of setup.filter((s) => s.slack)) expect(viewViolations(surface.slack), surface.name).toEqual([]);
    for (const surface of setup.filter((s) => s.teams))
      expect((await renderTeamsCard(page, surface.teams!, 450)).overflows, surface.name).toEqual([]);
    const form = JSON.stringify(setup.find((s) => s.name === 'rule-form')!.slack);
    expect(form).toMatch(/This rule would have alerted \d+ times? in 30 days/);
    const home = JSON.stringify(setup.find((s) => s.name === 'app-home')!.slack);
    for (const shown of [':rotating_light: Open: A-', ':lock: ', ':bell: ', ':calendar: ', '*Recent changes*'])
      expect(home).toContain(shown);
  });
});
