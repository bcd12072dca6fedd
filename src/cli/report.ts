import type { BreakdownDimension } from '../analytics/breakdown.js';
import { composeReport } from '../compose/composeReport.js';
import { planReportRequest } from '../compose/reportPlan.js';
import { type Config, findAccount } from '../config/load.js';
import { accountToken } from '../config/tokens.js';
import { loadConfig } from '../configure.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { type OutputFile, OutputFolder } from '../output/folder.js';
import { reportJson } from '../report/json.js';
import type { Report } from '../report/model.js';
import { reportText } from '../report/text.js';
import { quoted } from '../text.js';
import type { CliIo } from './io.js';
import { parseFormat, type ReportOptions } from './options.js';
import { graphClientFor, storeWithStatuses } from './sources.js';

export function parseBy(value: string | undefined): BreakdownDimension | undefined {
  if (value === undefined) return undefined;
  const by = value.toLowerCase();
  if (by === 'phone' || by === 'phone_number' || by === 'number') return 'phone';
  if (by === 'country') return 'country';
  throw new UsageError(`unknown --by ${quoted(value)}`, 'use phone or country');
}

/** Everything the flags say, checked before any network call (the same planner as chat). */
export function planReport(config: Config, opts: ReportOptions, nowMs: number) {
  if (!opts.account) throw new UsageError('--account is required', `name one of: ${config.accounts.map((a) => a.name).join(', ')}`);
  const format = parseFormat(opts.format);
  const by = parseBy(opts.by);
  const account = findAccount(config, opts.account);
  const planned = planReportRequest(
    account,
    { range: { from: opts.from, to: opts.to, last: opts.last }, granularity: opts.granularity, by },
    nowMs,
    config.graph,
  );
  return { account, format, ...planned };
}

/**
 * chart.png, summary.txt and report.json (plus failures.png with failure reasons, chart-url.txt
 * with QuickChart), drawn in memory: written as one set by the output folder, or not at all.
 */
export async function reportFiles(report: Report, config: Config): Promise<OutputFile[]> {
  // Chart.js and the canvas load only when a chart is drawn (--out, the demo), not for a report.
  const [{ chartSpec, failureChartSpec }, { LocalChartRenderer, QuickChartRenderer }] = await Promise.all([
    import('../charts/spec.js'),
    import('../charts/render.js'),
  ]);
  const spec = chartSpec(report);
  const files: OutputFile[] = [];
  const png = await new LocalChartRenderer().render(spec);
  if (png.kind === 'png') files.push({ name: 'chart.png', data: png.png });
  if (config.env.chartRenderer === 'quickchart')
    files.push({ name: 'chart-url.txt', data: `${new QuickChartRenderer(config.env.quickchartUrl).url(spec)}\n` });
  const failures = failureChartSpec(report);
  const failuresPng = failures ? await new LocalChartRenderer().render(failures) : undefined;
  if (failuresPng?.kind === 'png') files.push({ name: 'failures.png', data: failuresPng.png });
  files.push({ name: 'summary.txt', data: reportText(report) });
  files.push({ name: 'report.json', data: `${JSON.stringify(reportJson(report), null, 2)}\n` });
  return files;
}

export async function runReport(opts: ReportOptions, io: CliIo, configPath: string | undefined, logger: Logger): Promise<number> {
  if (opts.view !== undefined || opts.template !== undefined) {
    const views = await import('./views.js');
    const view = views.parseView(opts.view);
    if (view !== 'delivery') return views.runView(view, opts, io, configPath, logger);
    if (opts.template !== undefined) throw new UsageError('--template is for the templates view', 'add --view templates');
  }
  const now = io.now;
  const config = loadConfig(io.env, configPath);
  const plan = planReport(config, opts, now());
  const token = accountToken(plan.account, io.env);
  // Checked before any Graph call: a folder that cannot take the files costs nothing.
  const out = opts.out ? OutputFolder.open(opts.out, '--out') : undefined;
  const graph = graphClientFor(config, logger, io);
  // Failure reasons come from the store `serve` keeps status webhooks in, when there is one; so
  // does the bucket cache it keeps, so a repeat costs only what has not settled yet.
  const store = await storeWithStatuses(io, config);
  const source = store ? new (await import('../cache/bucketCache.js')).CachedAnalytics(graph, store, now, logger) : graph;
  try {
    const report = await composeReport(
      { graph: source, now, statuses: store?.statuses, webhooksConfigured: Boolean(config.env.whatsapp.appSecret) },
      {
        account: plan.account,
        token,
        range: plan.range,
        granularity: plan.granularity,
        by: plan.by,
        maxCalls: config.graph.callsPerReport,
        limits: config.graph,
        notes: plan.notes,
      },
    );
    io.stdout.write(plan.format === 'json' ? `${JSON.stringify(reportJson(report), null, 2)}\n` : reportText(report));
    if (out) io.stderr.write(`wrote ${out.write(await reportFiles(report, config)).join(', ')}\n`);
    return 0;
  } finally {
    await graph.close();
    await store?.close();
  }
}
