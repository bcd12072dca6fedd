/**
 * `npm run docs:screenshots`: draws every message type as Slack and Teams show it into
 * docs/screenshots/, and the README's chart pictures into docs/, from the product's own code and
 * the sandbox (see messages.ts), and records what each shows so the rendering test can tell when
 * they are out of date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, renderTeamsCard, slackHtml, slackViewHtml } from './browser.js';
import { sampleImages, sampleMessages } from './messages.js';
import { screenshotManifest, setupSamples } from './setup.js';

const OUT = 'docs/screenshots';
/** Slack's modals are narrower than its message column; its Home tab as wide. */
const WIDTHS = { teams: 450, slack: 600, slackModal: 520 } as const;

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const messages = await sampleMessages();
  const setup = await setupSamples();
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
    // The setup-from-chat surfaces: Slack's Home and modals in their frames, Teams' cards.
    for (const surface of setup) {
      if (surface.slack) {
        const width = surface.slack.type === 'modal' ? WIDTHS.slackModal : WIDTHS.slack;
        await page.setViewportSize({ width, height: 900 });
        await page.setContent(slackViewHtml(surface.slack, width));
        await page.locator('.view').screenshot({ path: join(OUT, `${surface.name}-slack.png`) });
      }
      if (surface.teams) {
        const rendered = await renderTeamsCard(page, surface.teams, WIDTHS.teams, {}, { openShowCards: false });
        if (rendered.overflows.length) throw new Error(`${surface.name}: ${rendered.overflows.join('; ')}`);
        await page.locator('#card').screenshot({ path: join(OUT, `${surface.name}-teams.png`) });
      }
      index.push(surface.name);
      console.log(`${surface.name}: ${surface.title}`);
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
    writeFileSync(join(OUT, 'messages.json'), `${JSON.stringify(screenshotManifest(messages, setup), null, 2)}\n`);
    console.log(
      `wrote screenshots of ${index.length} messages and settings surfaces to ${OUT}/ (the report at a phone's width too), and docs/chart-acme-daily.png, docs/failures-acme-daily.png`,
    );
  } finally {
    await browser.close();
  }
}

await main();
