import { DateTime } from 'luxon';
import { type BacktestEpisode, type BacktestResult, minutesToAlert, runBacktest, runWebhookBacktest } from '../alerts/backtest/run.js';
import type { DropRule } from '../alerts/checker.js';
import { curveFromStats, DEFAULT_SETTLE_CURVE, type SettleCurve } from '../analytics/settle.js';
import { toIso } from '../analytics/time.js';
import { namesAccount } from '../config/accounts.js';
import { type AccountConfig, type Config, findAccount } from '../config/load.js';
import { defaultAlertRule } from '../config/schema.js';
import { accountToken } from '../config/tokens.js';
import { loadConfig } from '../configure.js';
import { UsageError } from '../errors.js';
import { GRAPH_LOOKBACK_SECONDS } from '../graph/defaults.js';
import { firstWholeDay } from '../graph/lookback.js';
import type { Logger } from '../log.js';
import { type OutputFile, OutputFolder } from '../output/folder.js';
import { endingByNow, resolveRange } from '../query/range.js';
import { buildReport } from '../report/build.js';
import { formatDuration, formatRange, formatRate } from '../report/format.js';
import { DEFAULT_SQLITE_PATH, storeExists } from '../store/location.js';
import { openStore } from '../store/sql.js';
import { quoted } from '../text.js';
import type { CliIo } from './io.js';
import { parseFormat } from './options.js';
import { graphClientFor } from './sources.js';

export interface BacktestOptions {
  account?: string;
  rule?: string;
  from?: string;
  to?: string;
  last?: string;
  format?: string;
  out?: string;
}

/** Longest window a backtest replays: a month of half hours. */
const MAX_DAYS = 31;
/** Days of baseline the first check needs before the window. */
const HISTORY_DAYS = 8;

/** The rule named, the account's first Graph rule, or the defaults every rule starts from. */
function ruleFor(config: Config, account: AccountConfig, name: string | undefined): DropRule {
  const ofAccount = config.alerts.filter((r) => namesAccount(account, r.account));
  if (name !== undefined) {
    const found = ofAccount.find((r) => r.name?.toLowerCase() === name.toLowerCase());
    if (found?.kind === 'health')
      throw new UsageError(
        `alert rule ${quoted(name)} is a health rule: it opens on health webhooks as they come, there is nothing to replay`,
        'name a drop rule (source: graph or webhooks), or see waba-pulse health --account for its events',
      );
    if (found) return found;
    const names = ofAccount.map((r) => r.name).filter(Boolean);
    throw new UsageError(
      `no alert rule ${quoted(name)} for account "${account.name}"`,
      names.length
        ? `rules for it: ${names.join(', ')}; or leave out --rule for the first`
        : 'it has no named rules under alerts: — leave out --rule to replay the defaults',
    );
  }
  return ofAccount.find((r): r is DropRule => r.kind === 'drop' && r.source === 'graph') ?? defaultAlertRule(account.name);
}

/** The account's learned settle curve, when a store is configured and has one; else the default. */
async function settleCurve(io: CliIo, config: Config, account: AccountConfig): Promise<SettleCurve> {
  const url = config.env.databaseUrl;
  if (!storeExists(url, io.cwd)) return DEFAULT_SETTLE_CURVE;
  try {
    const store = await openStore(url, { cwd: io.cwd, migrate: false });
    try {
      const stats = await store.buckets.settleStats(account.id);
      return stats ? curveFromStats(stats) : DEFAULT_SETTLE_CURVE;
    } finally {
      await store.close();
    }
  } catch {
    return DEFAULT_SETTLE_CURVE;
  }
}

export function planBacktest(config: Config, opts: BacktestOptions, nowMs: number) {
  if (!opts.account) throw new UsageError('--account is required', `name one of: ${config.accounts.map((a) => a.name).join(', ')}`);
  const format = parseFormat(opts.format);
  const account = findAccount(config, opts.account);
  const rule = ruleFor(config, account, opts.rule);
  const resolved = resolveRange(
    { from: opts.from, to: opts.to, last: opts.from === undefined && opts.to === undefined ? (opts.last ?? '30d') : opts.last },
    account.timezone,
    nowMs,
  );
  const ending = endingByNow(resolved.range, account.timezone, nowMs);
  const range = ending.range;
  const days = (range.end - range.start) / 86_400;
  if (days > MAX_DAYS)
    throw new UsageError(
      `a backtest of ${Math.round(days)} days is longer than ${MAX_DAYS}`,
      `replay up to ${MAX_DAYS} days at a time (Graph serves half hours for shorter spans)`,
    );
  // Graph keeps a year; status webhooks are replayed from the store, as far back as it holds them.
  const oldest = Math.floor(nowMs / 1000) - GRAPH_LOOKBACK_SECONDS + HISTORY_DAYS * 86_400;
  if (rule.source === 'graph' && range.start < oldest) {
    // Named by the first day that starts after the oldest instant: the oldest's own day begins before it.
    const day = firstWholeDay(oldest, account.timezone);
    throw new UsageError(
      `the range starts ${DateTime.fromSeconds(range.start, { zone: account.timezone }).toISODate()}, too far back: Graph keeps a year, and each check needs ${HISTORY_DAYS} days before it`,
      `start on or after ${day}`,
      'E_RANGE_TOO_OLD',
    );
  }
  return { account, rule, range, format, notes: ending.note ? [ending.note] : [] };
}

function episodeJson(e: BacktestEpisode, tz: string) {
  return {
    alert: e.shortId,
    scope: e.scope,
    scopes: e.scopes,
    kind: e.kind,
    severity: e.severity,
    firstBucketStart: toIso(e.firstBucketStart, tz),
    openedAt: toIso(Math.floor(e.openedAt / 1000), tz),
    minutesToAlert: Math.round(Math.max(0, (e.openedAt - e.firstBucketEnd * 1000) / 60_000)),
    resolvedAt: e.resolvedAt === null ? null : toIso(Math.floor(e.resolvedAt / 1000), tz),
    reminders: e.reminders,
    updates: e.updates,
    resumes: e.resumes,
    observed: Number(e.observed.toFixed(6)),
    expected: Number(e.expected.toFixed(6)),
    explanation: e.explanation,
  };
}

function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The days of the window that had data (first to last bucket with a message): a rule's alerts
 * per 30 days are counted over these, not over days the store or Graph had nothing for.
 */
export function daysWithData(r: Pick<BacktestResult, 'series'>): number {
  const withData = r.series.filter((p) => p.sent > 0);
  if (withData.length === 0) return 0;
  return (withData.at(-1)!.end - withData[0]!.start) / 86_400;
}

export function backtestJson(r: BacktestResult) {
  const tz = r.account.timezone;
  const days = daysWithData(r);
  const delay = median(minutesToAlert(r.episodes));
  return {
    account: { id: r.account.id, name: r.account.name, displayName: r.account.displayName },
    rule: {
      name: r.rule.name,
      checkEvery: formatDuration(r.rule.checkEvery),
      remindEvery: formatDuration(r.rule.remindEvery),
      minSent: r.rule.minSent,
      rateFloor: r.rule.rateFloor ?? null,
      sensitivity: r.rule.sensitivity,
      drillDown: r.rule.drillDown,
    },
    source: r.source,
    range: { start: toIso(r.range.start, tz), end: toIso(r.range.end, tz), timezone: tz },
    checks: r.checks,
    graphCalls: r.graphCalls,
    episodes: r.episodes.map((e) => episodeJson(e, tz)),
    totals: {
      episodes: r.episodes.length,
      episodesPer30Days: days > 0 ? Number(((r.episodes.length / days) * 30).toFixed(2)) : 0,
      daysWithData: Number(days.toFixed(2)),
      medianMinutesToAlert: delay === null ? null : Math.round(delay),
    },
    notes: r.notes,
  };
}

/** ", over the 2.0 days with statuses" when the data covers noticeably less than the window. */
function coverage(r: BacktestResult, days: number): string {
  const window = (r.range.end - r.range.start) / 86_400;
  if (days >= window * 0.95) return '';
  return `, counted over the ${days.toFixed(1)} of ${Math.round(window)} days with ${r.source === 'webhooks' ? 'statuses' : 'messages'}`;
}

export function backtestText(r: BacktestResult): string {
  const tz = r.account.timezone;
  const json = backtestJson(r);
  const lines = [
    `Backtest of rule "${r.rule.name}" on ${r.account.displayName}, ${formatRange(r.range, tz)} (${tz})`,
    r.source === 'webhooks'
      ? `${r.checks.toLocaleString('en-US')} checks every ${formatDuration(r.rule.checkEvery)} · status webhooks from the store · sensitivity ${r.rule.sensitivity} · drill-down ${r.rule.drillDown.join(', ') || 'none'}`
      : `${r.checks.toLocaleString('en-US')} checks every ${formatDuration(r.rule.checkEvery)} · ${r.graphCalls} Graph calls · sensitivity ${r.rule.sensitivity} · minSent ${r.rule.minSent}${r.rule.rateFloor !== undefined ? ` · floor ${formatRate(r.rule.rateFloor)}` : ''} · drill-down ${r.rule.drillDown.join(', ') || 'none'}`,
    '',
  ];
  const bucket = r.source === 'webhooks' ? 'minute' : 'half hour';
  if (r.sent === 0 && r.source === 'graph') lines.push('Note: the account sent nothing in this window; there was nothing to judge.');
  const delay = json.totals.medianMinutesToAlert;
  lines.push(
    `${r.episodes.length} alert${r.episodes.length === 1 ? '' : 's'} (${json.totals.episodesPer30Days} per 30 days${coverage(r, json.totals.daysWithData)})${delay === null ? '' : `; median ${delay} min from the end of the first bad ${bucket} to the alert`}`,
  );
  const at = (ms: number) => DateTime.fromMillis(ms, { zone: tz }).toFormat('ccc d LLL HH:mm');
  for (const e of r.episodes) {
    const wait = Math.round(Math.max(0, (e.openedAt - e.firstBucketEnd * 1000) / 60_000));
    const extra = [
      e.updates ? `${e.updates} update${e.updates > 1 ? 's' : ''}` : '',
      e.reminders ? `${e.reminders} reminder${e.reminders > 1 ? 's' : ''}` : '',
      e.resumes ? `resolved too soon and open again${e.resumes > 1 ? ` ${e.resumes} times` : ''}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${e.shortId}  ${e.severity.padEnd(8)} ${e.scope.label}: opened ${at(e.openedAt)} (${wait} min after the first bad ${bucket})${extra ? `, ${extra}` : ''}, ${e.resolvedAt === null ? 'still open at the end' : `resolved ${at(e.resolvedAt)}`}`,
    );
    lines.push(`          ${e.explanation}`);
    if (e.scopes.length > 1)
      lines.push(
        `          also: ${e.scopes
          .filter((s) => s.key !== e.scope.key || s.kind !== e.scope.kind)
          .map((s) => s.label)
          .join(', ')}`,
      );
  }
  for (const note of r.notes) lines.push(`Note: ${note}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The chart of a backtest: the account's half hours over the window with each alert shaded, from
 * its first bad bucket to its resolution, and labelled with its scope and worst figure; buckets
 * whose deliveries were still arriving when the window was fetched (`settleMs`) marked settling.
 */
export async function backtestChartSpec(r: BacktestResult, nowMs: number, settleMs: number) {
  const webhooks = r.source === 'webhooks';
  const report = buildReport({
    account: { id: r.account.id, name: r.account.name, displayName: r.account.displayName },
    range: r.range,
    timezone: r.account.timezone,
    granularity: 'half_hour',
    nowMs,
    settleMs,
    points: r.series,
  });
  report.anomalies = r.episodes.map((e) => ({
    kind: e.kind,
    scope: { kind: e.scope.kind, key: e.scope.key, label: e.scope.label },
    start: e.firstBucketStart,
    // Resolved by the check just after a bucket ended: the band ends with that bucket.
    end: e.resolvedAt === null ? r.range.end : Math.max(e.firstBucketEnd, Math.floor(e.resolvedAt / 60_000) * 60),
    detectedAt: Math.floor(e.openedAt / 1000),
    observed: e.observed,
    expected: e.expected,
    expectedLow: e.expected,
    expectedHigh: e.expected,
    severity: e.severity,
    sent: 0,
    delivered: 0,
    explanation: e.explanation,
  }));
  // Chart.js and the canvas are loaded only when a chart is asked for.
  const { chartSpec } = await import('../charts/spec.js');
  return chartSpec(report, {
    title: {
      parts: [`Backtest of ${quoted(r.rule.name)} on ${r.account.displayName}`, formatRange(r.range, r.account.timezone)],
      separator: ', ',
    },
    // Status webhooks count attempts and failures: what did not fail stands where delivered would.
    series: webhooks
      ? { sent: 'Attempts', delivered: 'Not failed', rate: 'Not failed %' }
      : { sent: 'Sent', delivered: 'Delivered', rate: 'Delivery rate %' },
  });
}

async function backtestChart(r: BacktestResult, nowMs: number, settleMs: number) {
  const [spec, { LocalChartRenderer }] = await Promise.all([backtestChartSpec(r, nowMs, settleMs), import('../charts/render.js')]);
  return new LocalChartRenderer().render(spec);
}

export async function runBacktestCommand(
  opts: BacktestOptions,
  io: CliIo,
  configPath: string | undefined,
  logger: Logger,
): Promise<number> {
  const now = io.now;
  const config = loadConfig(io.env, configPath);
  const plan = planBacktest(config, opts, now());
  if (plan.rule.source === 'webhooks') return runWebhookBacktestCommand(plan, opts, io, config, now);
  const token = accountToken(plan.account, io.env);
  // Checked before any Graph call: a folder that cannot take the files costs nothing.
  const out = opts.out ? OutputFolder.open(opts.out, '--out') : undefined;
  const curve = await settleCurve(io, config, plan.account);
  // One account, fetched once: more calls in flight than a service shares across accounts.
  const graph = graphClientFor({ ...config, graph: { ...config.graph, concurrency: Math.max(config.graph.concurrency, 12) } }, logger, io);
  try {
    const maxCalls = Math.max(config.graph.callsPerReport, Math.floor(config.graph.callsPerHour / 2));
    const result = await runBacktest(graph, { config, account: plan.account, token, rule: plan.rule, range: plan.range, curve, maxCalls });
    return await writeBacktest({ ...result, notes: [...plan.notes, ...result.notes] }, plan.format, out, io, now, plan.account.settleMs);
  } finally {
    await graph.close();
  }
}

/** The result on stdout, and with --out its chart and JSON: both files or neither. */
async function writeBacktest(
  result: BacktestResult,
  format: string,
  out: OutputFolder | undefined,
  io: CliIo,
  now: () => number,
  settleMs: number,
) {
  const json = backtestJson(result);
  const text =
    format === 'json'
      ? `${JSON.stringify(json, null, 2)}
`
      : backtestText(result);
  let written: string[] = [];
  if (out) {
    const chart = await backtestChart(result, now(), settleMs);
    const files: OutputFile[] = chart.kind === 'png' ? [{ name: 'chart.png', data: chart.png }] : [];
    written = out.write([
      ...files,
      {
        name: 'backtest.json',
        data: `${JSON.stringify(json, null, 2)}
`,
      },
    ]);
  }
  io.stdout.write(text);
  if (written.length) io.stderr.write(`wrote ${written.join(', ')}\n`);
  return 0;
}

/** A `source: webhooks` rule: replayed over the status counts in the store `serve` writes to. */
async function runWebhookBacktestCommand(
  plan: ReturnType<typeof planBacktest>,
  opts: BacktestOptions,
  io: CliIo,
  config: Config,
  now: () => number,
): Promise<number> {
  const url = config.env.databaseUrl;
  if (!storeExists(url, io.cwd))
    throw new UsageError(
      `rule "${plan.rule.name ?? 'defaults'}" judges status webhooks, and there is no store to replay them from`,
      `set DATABASE_URL to the store waba-pulse serve counts them into (without it, ${DEFAULT_SQLITE_PATH})`,
    );
  const out = opts.out ? OutputFolder.open(opts.out, '--out') : undefined;
  const store = await openStore(url, { cwd: io.cwd, migrate: false });
  try {
    const result = await runWebhookBacktest(store, { config, account: plan.account, rule: plan.rule, range: plan.range });
    // Statuses arrive within seconds of what they report: nothing settles.
    return await writeBacktest({ ...result, notes: [...plan.notes, ...result.notes] }, plan.format, out, io, now, 0);
  } finally {
    await store.close();
  }
}
