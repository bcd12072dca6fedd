import { existsSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_DISPLAY_WIDTH, smallestFont } from '../src/charts/spec.js';
import { blockKitViolations } from './fakes/slack.js';
import { launchBrowser, renderTeamsCard } from './render/browser.js';
import { fingerprint, type SampleMessage, sampleImages, sampleMessages } from './render/messages.js';

/**
 * Every message type, drawn by Microsoft's Adaptive Cards renderer in Chromium at a phone's
 * width and Teams' desktop column: no action title cut, no text past its column. Slack's are
 * held to its limits and to rows a phone shows whole.
 */
let browser: Browser;
let page: Page;
let messages: SampleMessage[];

beforeAll(async () => {
  messages = await sampleMessages();
  browser = await launchBrowser();
  page = await browser.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const images = () => sampleImages(messages);

describe('Teams cards in a real renderer', () => {
  for (const width of [320, 450]) {
    it(`fit a ${width} px column: every action title and text whole`, async () => {
      expect(messages.map((m) => m.name)).toEqual(['report', 'digest', 'alert', 'alert-acknowledged', 'resolution', 'failure-alert']);
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

describe('Slack messages', () => {
  it('stay within Block Kit limits, with monospace rows a phone shows whole and mrkdwn escaped', () => {
    for (const message of messages) expect(blockKitViolations(message.slack as never), message.name).toEqual([]);
  });
});

describe('charts', () => {
  it('letter at least 9 px tall as shown in a 420 px card', () => {
    for (const message of messages.filter((m) => m.chart)) {
      expect(message.chart!.subarray(1, 4).toString(), message.name).toBe('PNG');
    }
    // Every chart's smallest letters, scaled to the width the chat shows the image at.
    for (const message of messages.filter((m) => m.spec)) {
      const spec = message.spec!;
      expect((smallestFont(spec) * CHART_DISPLAY_WIDTH) / spec.width, message.name).toBeGreaterThanOrEqual(9);
    }
  });
});

describe('the screenshots in docs/', () => {
  it('show what the code sends today (npm run docs:screenshots redraws them)', () => {
    const manifest = 'docs/screenshots/messages.json';
    expect(existsSync(manifest), 'run npm run docs:screenshots').toBe(true);
    const recorded = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, string>;
    const now = Object.fromEntries(messages.map((m) => [m.name, fingerprint(m)]));
    expect(now, 'the messages changed: run npm run docs:screenshots').toEqual(recorded);
  });
});
