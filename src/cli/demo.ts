import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { formatMoney } from '../analytics/cost.js';
import { composeAccountViews, planCost, planTemplates, ViewCache } from '../compose/accountViews.js';
import { composeReport } from '../compose/composeReport.js';
import { planReportRequest } from '../compose/reportPlan.js';
import { buildConfig } from '../configure.js';
import { configDigests, digestReport } from '../jobs/digests.js';
import type { Logger } from '../log.js';
import { type OutputFile, OutputFolder } from '../output/folder.js';
import { type AccountViews, costJson, costText, healthJson, healthText, templatesJson, templatesText } from '../report/accountViews.js';
import { formatCount, formatRate } from '../report/format.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../sandbox/accounts.js';
import { SANDBOX_TOKEN_ENV, sandboxConfigDocument } from '../sandbox/config.js';
import { startSandbox } from '../sandbox/server.js';
import { StatusWebhookEmitter } from '../sandbox/statusWebhooks.js';
import { startStatusReceiver } from '../whatsapp/receiver.js';
import type { CliIo } from './io.js';
import { reportFiles } from './report.js';
import { graphClientFor } from './sources.js';

/** Anomalies listed per digest on the console; summary.txt holds them all. */
const SHOWN_ANOMALIES = 3;

/**
 * The product with no Meta account: the sandbox on a free loopback port, and what each sample
 * account's configured digests (a daily one by number, a weekly one by country: see
 * `sandboxConfigDocument`) would post if they went out now — built as the scheduler builds
 * them — with files under ./out/demo/<account>/<daily|weekly>/, written as one set at the end.
 */
export async function runDemo(opts: { out?: string }, io: CliIo, logger: Logger): Promise<number> {
  const now = io.now;
  // Checked before the sandbox starts: a folder that cannot take the files costs nothing.
  // Absolute, so what it prints can be opened from anywhere.
  const out = OutputFolder.open(resolve(io.cwd, opts.out ?? join('out', 'demo')), '--out');
  const files: OutputFile[] = [];
  const accounts = sampleAccounts(now());
  const sandbox = await startSandbox({ accounts, now, logger });
  const env = { ...io.env, GRAPH_API_URL: sandbox.url, GRAPH_API_VERSION: undefined, [SANDBOX_TOKEN_ENV]: SANDBOX_TOKEN };
  const config = buildConfig(sandboxConfigDocument(accounts, sandbox.url), env, '<demo>');
  const graph = graphClientFor(config, logger, io);
  const cache = new ViewCache();
  io.stdout.write(`waba-pulse demo: sandbox Graph at ${sandbox.url} with ${accounts.length} sample accounts\n`);
  // Yesterday's status webhooks, signed by the sandbox and taken in by the same route `serve`
  // mounts, into a store of the demo's own: the reports say why messages failed.
  const { openStore } = await import('../store/sql.js');
  const store = await openStore('sqlite::memory:');
  const appSecret = 'demo-app-secret';
  const receiver = await startStatusReceiver({ store, accounts: accounts.map((a) => a.id), appSecret, log: logger, now });
  const emitter = new StatusWebhookEmitter({ accounts, url: receiver.url, appSecret, batch: 100, duplicateRate: 0.05, reads: false });
  try {
    // Each account's yesterday, in its own zone: what the daily digests cover.
    // The week's health notifications (a number flagged, a template paused, a pricing tier reached), kept as serve keeps them.
    const health = new StatusWebhookEmitter({ accounts, url: receiver.url, appSecret, statuses: false });
    const notified = await health.emit(Math.floor(now() / 1000) - 7 * 86_400, Math.floor(now() / 1000));
    await health.stop();
    const sent = await emitter.emit((account) => {
      const today = DateTime.fromMillis(now(), { zone: account.timezone }).startOf('day');
      return [today.minus({ days: 1 }).toSeconds(), today.toSeconds()];
    });
    io.stdout.write(
      `status webhooks: ${sent.statuses.toLocaleString('en-US')} statuses of yesterday's messages in ${sent.notifications.toLocaleString('en-US')} signed notifications (${sent.duplicates} sent twice, counted once), and ${Object.values(notified.health).reduce((a, b) => a + b, 0)} health notifications of the week\n\n`,
    );
    for (const account of config.accounts) {
      io.stdout.write(`${account.displayName} (${account.timezone})\n`);
      for (const digest of configDigests(config).filter((d) => d.accountId === account.id)) {
        const plan = planReportRequest(account, digestReport(digest, account, now()), now(), config.graph);
        const started = performance.now();
        const report = await composeReport(
          { graph, now, statuses: store.statuses, webhooksConfigured: true },
          { account, token: SANDBOX_TOKEN, range: plan.range, granularity: plan.granularity, by: plan.by, notes: plan.notes },
        );
        for (const file of await reportFiles(report, config)) files.push({ ...file, name: join(account.name, digest.every, file.name) });
        const ms = Math.round(performance.now() - started);
        const what = `${digest.every} digest (${digest.every === 'daily' ? 'yesterday' : 'last 7 days'}, by ${digest.by === 'phone' ? 'phone number' : 'country'})`;
        io.stdout.write(
          `  ${what}: ${formatRate(report.totals.deliveryRate)} of ${report.totals.sent.toLocaleString('en-US')} delivered, ` +
            `${report.anomalies.length} anomal${report.anomalies.length === 1 ? 'y' : 'ies'} (${ms} ms)\n`,
        );
        // Worst first (the report's order); the rest counted, never dropped without a word.
        for (const a of report.anomalies.slice(0, SHOWN_ANOMALIES)) io.stdout.write(`    [${a.severity}] ${a.explanation}\n`);
        const more = report.anomalies.length - SHOWN_ANOMALIES;
        if (more > 0) io.stdout.write(`    …and ${more} more in ${join(out.path, account.name, digest.every, 'summary.txt')}\n`);
        const top = report.failures?.byCode[0];
        if (top && report.failures) {
          io.stdout.write(
            `    why messages failed: ${report.failures.failed.toLocaleString('en-US')} failed, mostly ${top.code} (${Math.round(top.share * 100)}%) ${top.title}\n`,
          );
        }
      }
      // Health, cost and templates of the last 7 days, composed as `health` and `report --view` compose them.
      const range = { last: '7d' };
      const views = await composeAccountViews(
        { graph, now, cache, events: store },
        {
          account,
          token: SANDBOX_TOKEN,
          health: { since: Math.floor(now() / 1000) - 7 * 86_400 },
          cost: planCost(account, range, now()),
          templates: planTemplates(account, range, now()),
        },
      );
      for (const line of viewLines(views)) io.stdout.write(`  ${line}\n`);
      for (const [name, data] of [
        ['health.json', `${JSON.stringify(healthJson(views), null, 2)}\n`],
        ['health.txt', healthText(views, now())],
        ['cost.json', `${JSON.stringify(costJson(views), null, 2)}\n`],
        ['cost.txt', costText(views)],
        ['templates.json', `${JSON.stringify(templatesJson(views), null, 2)}\n`],
        ['templates.txt', templatesText(views)],
      ])
        files.push({ name: join(account.name, 'account', name!), data: data! });
      io.stdout.write('\n');
    }
    const written = out.write(files);
    io.stdout.write(
      `Done: ${sandbox.stats.requests} Graph requests; ${written.length} files written. Each digest folder under ${out.path}/ holds chart.png, summary.txt and report.json (and failures.png); each account/ folder health, cost and templates as .json and .txt.\n`,
    );
    return 0;
  } finally {
    await emitter.stop();
    await receiver.close();
    await store.close();
    await graph.close();
    await sandbox.close();
  }
}

/** A few lines for the console: what health, cost and templates say of an account's week. */
function viewLines(views: AccountViews): string[] {
  const lines: string[] = [];
  const h = views.health!;
  const limits = [...new Set(h.numbers.map((n) => n.messagingLimit ?? '—'))].join(', ');
  const ratings = h.numbers.map((n) => n.qualityRating ?? '—').join('/');
  lines.push(
    `health: ${h.numbers.length} number${h.numbers.length === 1 ? '' : 's'} (${ratings}), messaging limit ${limits}; templates ${h.templates.paused.length} paused, ${h.templates.disabled.length} disabled, ${h.templates.qualityLow.length} rated YELLOW or RED; ${h.events.length} health events this week`,
  );
  for (const p of h.problems.slice(0, 2)) lines.push(`  ${p.severity === 'critical' ? '!!' : '! '} ${p.text}`);
  const c = views.cost!.summary;
  const top = c.byCategory[0];
  lines.push(
    c.total === null
      ? `cost (last 7 days): not reported (${c.notes[0]?.startsWith('Graph reports volumes') ? "a partner's credit line" : 'no pricing data'}), ${formatCount(c.volume)} messages`
      : `cost (last 7 days): ${formatMoney(c.total, c.currency)}, ${formatMoney(c.perDelivered, c.currency, 4)} per delivered message${top ? `; ${top.category} ${formatMoney(top.cost, c.currency)}` : ''}`,
  );
  for (const a of c.anomalies) lines.push(`  ! ${a.explanation}`);
  const t = views.templates!;
  const best = t.funnels[0];
  lines.push(
    !t.enabled
      ? `templates (last 7 days): insights off — ${t.funnels.length} templates listed by name and status`
      : best
        ? `templates (last 7 days): busiest ${best.name}, ${formatCount(best.sent)} sent, ${formatRate(best.rates.delivered, 0)} delivered, ${formatRate(best.rates.read, 0)} read, ${formatRate(best.rates.clicked, 0)} clicked`
        : 'templates (last 7 days): none',
  );
  return lines;
}
