/**
 * `npm run docs:screenshots`: draws every message type as Slack and Teams show it into
 * docs/screenshots/, and the README's chart pictures into docs/, from the product's own code and
 * the sandbox (see messages.ts), and records what each shows so the rendering test can tell when
 * they are out of date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, renderTeamsCard, slackHtml } from './browser.js';
import { fingerprint, sampleImages, sampleMessages } from './messages.js';

const OUT = 'docs/screenshots';
const WIDTHS = { teams: 450, slack: 600 } as const;

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const messages = await sampleMessages();
  const images = sampleImages(messages);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    const index: string[] = [];
    for (const message of messages) {
      const rendered = await renderTeamsCard(page, message.teams.card, WIDTHS.teams, images, { openShowCards: false });
      if (rendered.overflows.length) throw new Error(`${message.name}: ${rendered.overflows.join('; ')}`);
      await page.locator('#card').screenshot({ path: join(OUT, `${message.name}-teams.png`) });
      await page.setViewportSize({ width: WIDTHS.slack, height: 900 });
      await page.setContent(slackHtml(message.slack, images, WIDTHS.slack));
      await page.locator('.msg').screenshot({ path: join(OUT, `${message.name}-slack.png`) });
      index.push(message.name);
      console.log(`${message.name}: ${message.title}`);
    }
    // Phone widths too, for the report.
    const report = messages.find((m) => m.name === 'report')!;
    await renderTeamsCard(page, report.teams.card, 320, images, { openShowCards: false });
    await page.locator('#card').screenshot({ path: join(OUT, 'report-teams-phone.png') });
    await page.setViewportSize({ width: 360, height: 900 });
    await page.setContent(slackHtml(report.slack, images, 360));
    await page.locator('.msg').screenshot({ path: join(OUT, 'report-slack-phone.png') });
    // The README's pictures of a chart: the daily digest's (the report sample, yesterday by number) and its failure reasons.
    writeFileSync('docs/chart-acme-daily.png', report.chart!);
    writeFileSync('docs/failures-acme-daily.png', report.failureChart!);
    writeFileSync(
      join(OUT, 'messages.json'),
      `${JSON.stringify(Object.fromEntries(messages.map((m) => [m.name, fingerprint(m)])), null, 2)}\n`,
    );
    console.log(`wrote ${index.length * 2 + 2} screenshots to ${OUT}/, and docs/chart-acme-daily.png, docs/failures-acme-daily.png`);
  } finally {
    await browser.close();
  }
}

await main();
