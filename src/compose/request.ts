import type { ChartRenderer, RenderedChart } from '../charts/render.js';
import { chartSpec, failureChartSpec } from '../charts/spec.js';
import type { AccountConfig, Config } from '../config/load.js';
import type { AnalyticsSource } from '../graph/client.js';
import type { DigestViews } from '../report/accountViews.js';
import type { Report } from '../report/model.js';
import type { ViewsContext } from './accountViews.js';
import { composeReport, type StatusSource } from './composeReport.js';
import type { GraphAccounts } from './graphAccount.js';
import { planReportRequest, type ReportSpec } from './reportPlan.js';

/** What making a report needs: the config, Graph (through the cache), the accounts' tokens, the status counts, charts and the clock. */
export interface ReportDeps {
  config: Config;
  accounts: GraphAccounts;
  graph: AnalyticsSource;
  /** Where status webhooks are counted, for "Why messages failed". */
  store: { statuses: StatusSource };
  charts: ChartRenderer;
  now: () => number;
  /**
   * Where health, cost and templates are read (Graph's WABA node, the settled days kept in
   * memory, the health webhooks): `serve` gives it; without it, chat says those views are not
   * served here and digests leave their sections out.
   */
  views?: Pick<ViewsContext, 'graph' | 'cache' | 'events'> | undefined;
}

/** A report with its charts drawn: what chat posts and digests send. */
export interface ChartedReport {
  type: 'report';
  report: Report;
  chart: RenderedChart;
  failureChart?: RenderedChart | undefined;
  /** A daily digest's health, cost and top templates beside delivery. */
  digest?: DigestViews | undefined;
}

/**
 * The one way a report is asked for outside the CLI — a chat command, a digest, an alert's "Show by
 * phone number": planned as the CLI plans it (the same ranges, bounds and call budget), composed,
 * and drawn.
 */
export async function chartedReport(deps: ReportDeps, account: AccountConfig, spec: ReportSpec): Promise<ChartedReport> {
  const limits = deps.config.graph;
  const plan = planReportRequest(account, spec, deps.now(), limits);
  const report = await composeReport(
    { graph: deps.graph, now: deps.now, statuses: deps.store.statuses, webhooksConfigured: Boolean(deps.config.env.whatsapp.appSecret) },
    {
      account,
      token: deps.accounts(account).token,
      range: plan.range,
      granularity: plan.granularity,
      by: plan.by,
      maxCalls: limits.callsPerReport,
      limits,
      notes: plan.notes,
    },
  );
  const failures = failureChartSpec(report);
  const [chart, failureChart] = await Promise.all([
    deps.charts.render(chartSpec(report)),
    failures ? deps.charts.render(failures) : undefined,
  ]);
  return { type: 'report', report, chart, ...(failureChart ? { failureChart } : {}) };
}
