import type { BreakdownDimension } from '../analytics/breakdown.js';
import type { DetectionSettings } from '../analytics/detectionSettings.js';
import { statusScopeOf, withinScope } from '../analytics/failures.js';
import type { AccountConfig } from '../config/load.js';
import type { AnalyticsSource } from '../graph/client.js';
import type { AnalyticsFilter } from '../graph/fields.js';
import type { BuildInput } from '../report/build.js';
import type { Report } from '../report/model.js';
import { fetchWindow, judgedWindow, reportEdges } from '../report/window.js';
import type { StatusTotal } from '../store/types.js';
import type { Granularity, TimeRange } from '../vocabulary/series.js';
import { type BreakdownFetch, fetchBreakdown } from './breakdownFetch.js';
import { planFetch } from './fetchPlan.js';
import { graphAccount } from './graphAccount.js';
import { type ReportLimits, reportCallsPerScope } from './reportPlan.js';

/**
 * The one way a report is made — for the CLI, a slash command, a digest or an alert check:
 * fetch what the report needs from Graph, then hand it to the pure `buildReport`.
 */
export interface ReportRequest {
  account: AccountConfig;
  token: string;
  range: TimeRange;
  granularity: Granularity;
  by?: BreakdownDimension | undefined;
  detection?: Partial<DetectionSettings> | undefined;
  /** Graph calls this report may cost (uncached): a breakdown is trimmed to fit. Unbounded if unset. */
  maxCalls?: number | undefined;
  /** Chunk sizes the client cuts requests into (to count calls). */
  limits?: ReportLimits | undefined;
  /** Notes from planning, shown with the report's own. */
  notes?: string[] | undefined;
}

/** Where the status webhooks' counts are kept (the store), for "Why messages failed". */
export interface StatusSource {
  statusTotals(accountId: string, from: number, to: number): Promise<StatusTotal[]>;
  firstStatusMinute(accountId: string): Promise<number | undefined>;
}

export interface ReportContext {
  graph: AnalyticsSource;
  now: () => number;
  statuses?: StatusSource | undefined;
  /** Status webhooks are set up (WHATSAPP_APP_SECRET): a range without any is worth saying. */
  webhooksConfigured?: boolean | undefined;
}

/** The status counts of the report's range, read while Graph answers. */
async function statusesFor(ctx: ReportContext, account: AccountConfig, range: TimeRange, notes: string[]): Promise<BuildInput['statuses']> {
  const accountId = account.id;
  if (!ctx.statuses) return undefined;
  try {
    // Summed in the store: a week of an account's minutes is a few hundred rows, not a million.
    // The same numbers and countries as the Graph half of the report.
    const rows = withinScope(await ctx.statuses.statusTotals(accountId, range.start, range.end), statusScopeOf(account));
    const since = await ctx.statuses.firstStatusMinute(accountId);
    return { rows, webhooksKnown: Boolean(ctx.webhooksConfigured) || since !== undefined, since };
  } catch {
    notes.push('Failure reasons are left out: the store holding the status webhooks did not answer.');
    return undefined;
  }
}

/** Most rows a breakdown fetches; each one is a Graph call against the WABA's budget. */
export const MAX_BREAKDOWN_KEYS = 50;

export async function composeReport(ctx: ReportContext, req: ReportRequest): Promise<Report> {
  const nowMs = ctx.now();
  const { account } = req;
  const window = fetchWindow(req.range, req.granularity, account.timezone);
  const plan = planFetch(
    req.granularity,
    account.timezone,
    account.wabaTimezone,
    window,
    reportEdges(req.range, req.granularity, account.timezone),
  );
  const target = graphAccount(account, req.token);
  const scope: AnalyticsFilter = {
    phoneNumbers: account.phoneNumbers,
    countryCodes: account.countries,
    productTypes: account.productTypes,
  };
  const fetch = (filter: AnalyticsFilter) =>
    ctx.graph.fetchAnalytics(target, { range: window, granularity: plan.graphGranularity, ...filter });

  // What the report's own scope costs, counted before it is fetched (a cache may hold it all).
  const mainCalls =
    req.maxCalls === undefined
      ? 0
      : ctx.graph.plannedCalls
        ? await ctx.graph.plannedCalls(target, { range: window, granularity: plan.graphGranularity, ...scope })
        : reportCallsPerScope(account, req.range, req.granularity, nowMs, req.limits);
  const first = fetch(scope);
  const statusNotes: string[] = [];
  const statuses = statusesFor(ctx, account, req.range, statusNotes);
  // The analysis (detector, report builder) loads while Graph answers: a one-off CLI report
  // does not wait for both in turn. In a running service it is loaded already.
  const building = import('../report/build.js');
  const main = await first;
  const notes = [...(req.notes ?? []), ...(plan.note ? [plan.note] : []), ...main.notes];

  let breakdown: BreakdownFetch | undefined;
  if (req.by) {
    const configured = req.by === 'phone' ? account.phoneNumbers : account.countries;
    const discovered = req.by === 'phone' ? main.phoneNumbers : main.countryCodes;
    let keys = configured.length ? configured : discovered;
    if (keys.length === 0) {
      notes.push(
        req.by === 'phone'
          ? 'Graph listed no phone numbers for this account.'
          : 'Graph listed no countries for this account; set countries: in the config to break down by country.',
      );
    }
    const beyond = keys.slice(MAX_BREAKDOWN_KEYS);
    if (beyond.length) {
      notes.push(
        `Breakdown limited to ${MAX_BREAKDOWN_KEYS} of ${keys.length} ${req.by === 'phone' ? 'phone numbers' : 'countries'}: the others are not judged (listed under breakdown.unjudged); ask for them in smaller groups (phoneNumbers: or countries: in the config).`,
      );
      keys = keys.slice(0, MAX_BREAKDOWN_KEYS);
    }
    // Each row costs calls too: what the report's own scope left of its budget.
    breakdown = await fetchBreakdown({
      source: ctx.graph,
      target,
      scope,
      by: req.by,
      keys,
      granularity: plan.graphGranularity,
      range: req.range,
      window,
      judgedWindow: judgedWindow(req.range, req.granularity, account.timezone),
      budget: req.maxCalls === undefined ? Number.POSITIVE_INFINITY : Math.max(0, req.maxCalls - mainCalls),
      reportBudget: req.maxCalls,
      limits: req.limits,
    });
    notes.push(...breakdown.notes);
    for (const key of beyond)
      breakdown.unjudged.push({ key, judgedBy: null, reason: `not judged: a breakdown has at most ${MAX_BREAKDOWN_KEYS} rows` });
  }

  return (await building).buildReport({
    account: { id: account.id, name: account.name, displayName: account.displayName },
    range: req.range,
    timezone: account.timezone,
    granularity: req.granularity,
    bucketTimezone: plan.bucketTimezone,
    scope: { phoneNumbers: account.phoneNumbers, countries: account.countries },
    nowMs,
    settleMs: account.settleMs,
    points: main.points,
    breakdown,
    statuses: await statuses,
    notes: [...new Set([...notes, ...statusNotes])],
    detection: req.detection,
  });
}
