import { createHash } from 'node:crypto';
import { RecordingDelivery } from '../../src/alerts/backtest/recordingDelivery.js';
import { alertChartSpec } from '../../src/alerts/chart.js';
import { AlertChecker } from '../../src/alerts/checker.js';
import type { AlertContent } from '../../src/alerts/model.js';
import { alertSummary } from '../../src/alerts/presentation.js';
import { LocalChartRenderer } from '../../src/charts/render.js';
import { type ChartSpec, chartSpec, failureChartSpec } from '../../src/charts/spec.js';
import { reportSummary } from '../../src/chat/presentation.js';
import { alertMessage, reportMessage, type SlackMessage } from '../../src/chat/slack/render.js';
import { alertCard, type Card, reportCard } from '../../src/chat/teams/cards.js';
import { ViewCache } from '../../src/compose/accountViews.js';
import { composeReport } from '../../src/compose/composeReport.js';
import { digestViews } from '../../src/compose/digestViews.js';
import { graphAccountsFrom } from '../../src/compose/graphAccount.js';
import { buildConfig } from '../../src/configure.js';
import { GraphClient } from '../../src/graph/client.js';
import { silentLogger } from '../../src/log.js';
import { resolveRange } from '../../src/query/range.js';
import type { DigestViews } from '../../src/report/accountViews.js';
import type { Report } from '../../src/report/model.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../../src/sandbox/accounts.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { StatusWebhookEmitter } from '../../src/sandbox/statusWebhooks.js';
import { openStore } from '../../src/store/sql.js';
import type { Store } from '../../src/store/types.js';
import { startStatusReceiver } from '../../src/whatsapp/receiver.js';

/**
 * The messages waba-pulse sends, made by the product's own code from the sandbox at a fixed
 * moment: a report, a digest, an alert while the sandbox's incident is going on (acknowledged,
 * too) and its resolution, for Slack and for Teams. What the rendering test checks in a real
 * browser, and what `npm run docs:screenshots` draws into docs/.
 */
export interface SampleMessage {
  name: string;
  title: string;
  slack: SlackMessage;
  teams: { card: Card; summary: string };
  /** The chart, for screenshots (cards reference it as `chart:<name>`, Slack as file id `F<name>`), and how it was specified. */
  chart?: Buffer | undefined;
  /** "Why messages failed" as bars (`chart:<name>-failures`, `F<name>-failures`). */
  failureChart?: Buffer | undefined;
  spec?: ChartSpec | undefined;
  failureSpec?: ChartSpec | undefined;
  /** What the message was drawn from, for variations (a longer name, more rows). */
  report?: Report | undefined;
  alertContent?: AlertContent | undefined;
}

/** The images the messages reference, by name: charts, and "Why messages failed" bars. */
export function sampleImages(messages: readonly SampleMessage[]): Record<string, Buffer> {
  const images: Record<string, Buffer> = {};
  for (const m of messages) {
    if (m.chart) images[m.name] = m.chart;
    if (m.failureChart) images[`${m.name}-failures`] = m.failureChart;
  }
  return images;
}

/** What a screenshot shows of a message: its blocks, card and charts, the alert key (random each run) aside. */
export function fingerprint(message: SampleMessage): string {
  const charts = [message.spec, message.failureSpec].map((spec) => spec && { width: spec.width, height: spec.height, config: spec.config });
  const stable = JSON.stringify({ slack: message.slack, teams: message.teams, charts })
    .replace(/\\"key\\":\\"[A-Za-z0-9_-]{16}\\"/g, 'KEY')
    .replace(/"key":"[A-Za-z0-9_-]{16}"/g, 'KEY')
    .replace(/A-[0-9A-Z]{4}/g, 'A-XXXX');
  return createHash('sha256').update(stable).digest('hex').slice(0, 16);
}

/** Acme's statuses from `from` to `to` (UNIX seconds), signed by the sandbox and taken into `store` as `serve` takes them. */
export async function takeStatuses(store: Store, now: number, from: number, to: number): Promise<void> {
  const receiver = await startStatusReceiver({
    store,
    accounts: [sampleAccounts(now)[0]!.id],
    appSecret: 'samples',
    log: silentLogger,
    now: () => now,
  });
  const emitter = new StatusWebhookEmitter({
    accounts: sampleAccounts(now).slice(0, 1),
    url: receiver.url,
    appSecret: 'samples',
    batch: 500,
    reads: false,
  });
  try {
    await emitter.emit(from, to);
  } finally {
    await emitter.stop();
    await receiver.close();
  }
}

/** Wed 25 Nov 2026, 09:30 in Kolkata: the sandbox's incidents happened yesterday. */
export const SAMPLE_NOW = Date.UTC(2026, 10, 25, 4, 0);

/** The sample accounts on the sandbox at `graphUrl`, with these alert rules. */
export function sampleConfig(graphUrl: string, alerts: Array<Record<string, unknown>>) {
  const accounts = sampleAccounts(SAMPLE_NOW).map((a) => ({
    id: a.id,
    name: a.name,
    displayName: a.displayName,
    token: '${T}',
    timezone: a.timezone,
  }));
  return buildConfig({ accounts, alerts }, { GRAPH_API_URL: graphUrl });
}

export async function sampleMessages(): Promise<SampleMessage[]> {
  let clock = SAMPLE_NOW;
  const sandbox = await startSandbox({ accounts: sampleAccounts(SAMPLE_NOW), now: () => clock, callsPerHour: 1_000_000 });
  const config = sampleConfig(sandbox.url, [
    {
      name: 'delivery',
      account: 'acme-retail',
      drillDown: ['phone', 'country'],
      targets: [{ slack: { channel: 'C0OPS' } }, { teams: { conversation: '19:ops@thread.tacv2' } }],
    },
  ]);
  const graph = new GraphClient({ ...config.graph, now: () => clock });
  const charts = new LocalChartRenderer();
  const store = await openStore('sqlite::memory:');
  const out: SampleMessage[] = [];
  try {
    const day = Date.UTC(2026, 10, 23, 18, 30) / 1000; // Tue 24 Nov 00:00 in Kolkata
    // Acme's status webhooks from Monday 09:00 (the failure alert's baseline day) through Tuesday: reasons for failures.
    await takeStatuses(store, clock, day - 15 * 3600, day + 86_400);
    const acme = config.accounts[0]!;
    const report = async (
      name: string,
      title: string,
      asked: Parameters<typeof resolveRange>[0],
      by: 'phone' | 'country',
      digest?: DigestViews,
    ) => {
      const { range, granularity } = resolveRange(asked, acme.timezone, clock);
      const r = await composeReport(
        { graph, now: () => clock, statuses: store.statuses, webhooksConfigured: true },
        { account: acme, token: SANDBOX_TOKEN, range, granularity, by },
      );
      const spec = chartSpec(r);
      const png = await charts.render(spec);
      const failures = failureChartSpec(r);
      const failurePng = failures ? await charts.render(failures) : undefined;
      out.push({
        name,
        title,
        slack: reportMessage(r, { fileId: `F${name}` }, failurePng ? { fileId: `F${name}-failures` } : undefined, digest),
        teams: {
          card: reportCard(r, `chart:${name}`, failurePng ? `chart:${name}-failures` : undefined, digest),
          summary: reportSummary(r),
        },
        chart: png.kind === 'png' ? png.png : undefined,
        failureChart: failurePng?.kind === 'png' ? failurePng.png : undefined,
        spec,
        failureSpec: failures,
        report: r,
      });
    };
    await report('report', 'A report: `/waba report acme-retail yesterday by phone`', { preset: 'yesterday' }, 'phone');
    await report('digest', 'A weekly digest, by country', { last: '7d' }, 'country');
    // The daily digest, with the numbers' health, yesterday's cost and the top templates under delivery.
    const sections = await digestViews(
      {
        config,
        accounts: graphAccountsFrom({ T: SANDBOX_TOKEN }),
        graph,
        store,
        charts,
        now: () => clock,
        views: { graph, cache: new ViewCache() },
      },
      acme,
      SAMPLE_NOW,
    );
    await report('daily-digest', 'A daily digest, with health, cost and top templates', { preset: 'yesterday' }, 'phone', sections);

    // The alert checks as the scheduler runs them, every half hour through yesterday's incident.
    const delivery = new RecordingDelivery();
    const checker = new AlertChecker({
      store,
      ctx: { config, accounts: graphAccountsFrom({ T: SANDBOX_TOKEN }), graph, now: () => clock },
      owner: 'samples',
      logger: silentLogger,
      delivery,
    });
    const kolkata = (hours: number) => Date.UTC(2026, 10, 24, 0, 0) - 5.5 * 3_600_000 + hours * 3_600_000;
    for (let t = kolkata(12); t <= kolkata(23); t += 30 * 60_000) {
      clock = t;
      await checker.tick(t);
    }
    clock = SAMPLE_NOW;
    const slackEvents = delivery.events.filter((e) => e.target.platform === 'slack');
    const opened = slackEvents.find((e) => e.action === 'post')?.alert;
    const resolved = [...slackEvents].reverse().find((e) => e.alert.resolved)?.alert;
    if (!opened || !resolved) throw new Error('the sandbox incident raised no alert: the samples cannot be drawn');
    const latest = [...slackEvents].reverse().find((e) => !e.alert.resolved)!.alert;
    const alert = async (name: string, title: string, content: AlertContent) => {
      const spec = alertChartSpec(content);
      const png = spec ? await charts.render(spec) : undefined;
      out.push({
        name,
        title,
        slack: alertMessage(content, png ? { fileId: `F${name}` } : undefined),
        teams: { card: alertCard(content, png ? `chart:${name}` : undefined), summary: alertSummary(content) },
        chart: png?.kind === 'png' ? png.png : undefined,
        spec,
        alertContent: content,
      });
    };
    await alert('alert', 'An alert, as it opens', opened);
    await alert('alert-acknowledged', 'The alert after Acknowledge', {
      ...latest,
      status: { action: 'acknowledged', by: 'U0ALICE', byName: 'Alice', at: latest.openedAt! + 20 * 60_000, timezone: latest.timezone },
    });
    await alert('resolution', 'The resolution, edited into the alert', resolved);

    // A `source: webhooks` rule checked every minute through the start of the 131049 burst (10:00 IST).
    const failureConfig = {
      ...config,
      alerts: [{ ...config.alerts[0]!, name: 'failures', source: 'webhooks' as const, checkEvery: 60_000 }],
    };
    const failureDelivery = new RecordingDelivery();
    const minutes = new AlertChecker({
      store,
      ctx: { config: failureConfig, accounts: graphAccountsFrom({ T: SANDBOX_TOKEN }), graph, now: () => clock },
      owner: 'samples-minutes',
      logger: silentLogger,
      delivery: failureDelivery,
    });
    for (let t = kolkata(10) - 5 * 60_000; t <= kolkata(10) + 10 * 60_000 && !failureDelivery.events.length; t += 60_000) {
      clock = t + 5_000;
      await minutes.tick(clock);
    }
    clock = SAMPLE_NOW;
    const failureAlert = failureDelivery.events.find((e) => e.target.platform === 'slack' && e.action === 'post')?.alert;
    if (!failureAlert) throw new Error('the sandbox burst raised no failure alert: the samples cannot be drawn');
    await alert('failure-alert', 'An alert from status webhooks (`source: webhooks`), as it opens', failureAlert);
    return out;
  } finally {
    await store.close();
    await graph.close();
    await sandbox.close();
  }
}
