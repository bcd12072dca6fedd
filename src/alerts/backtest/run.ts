import { attemptsOf, isAttempt, statusScopeOf, withinScope } from '../../analytics/failures.js';
import type { SettleCurve } from '../../analytics/settle.js';
import { fixedCurves } from '../../cache/settleLearning.js';
import { type GraphAccounts, graphAccount, graphAccountsWith } from '../../compose/graphAccount.js';
import type { AccountConfig, Config } from '../../config/load.js';
import type { AnalyticsSource } from '../../graph/client.js';
import { silentLogger } from '../../log.js';
import { openStore } from '../../store/sql.js';
import type { StoreWith } from '../../store/types.js';
import type { DataPoint, TimeRange } from '../../vocabulary/series.js';
import type { StatusCount } from '../../vocabulary/statuses.js';
import { AlertChecker, type CheckOutcome, type DropRule as Rule } from '../checker.js';
import type { Judgement } from '../judge/graph.js';
import { checkWindow, withinBudget } from '../judge/graph.js';
import { judgeStatuses, statusWindow } from '../judge/webhooks.js';
import { type BacktestEpisode, EpisodeLog } from './episodeLog.js';
import { RecordingDelivery } from './recordingDelivery.js';
import { type Filter, filterKey, ReplaySource } from './replaySource.js';
import { StatusReplay } from './statusReplay.js';
import { judgeInParallel, startJudges } from './threads.js';

/**
 * `waba-pulse backtest`: an alert rule replayed over a past window on a simulated clock, through
 * the scheduler's own code — `AlertChecker.tick` every `checkEvery`, with its drill-downs,
 * lifecycle, reminders and resolution, on a store in memory, posting nothing. The window is
 * fetched from Graph once; each check then sees the data as it looked at that moment: nothing
 * after the check time, and buckets younger than the settle time with only the share of their
 * deliveries the settle curve says had arrived.
 */
export interface BacktestRequest {
  config: Config;
  account: AccountConfig;
  token: string;
  rule: Rule;
  range: TimeRange;
  curve: SettleCurve;
  /** Most Graph calls the one fetch may make (drill-downs are trimmed to fit). */
  maxCalls: number;
  /** Let young buckets' arrived share vary within the curve's spread (evaluation), not sit on it. */
  arrivalSpread?: boolean | undefined;
}

export type { BacktestEpisode } from './episodeLog.js';

export interface BacktestResult {
  account: { id: string; name: string; displayName: string; timezone: string };
  /** What the rule judges: Graph's half hours, or the status webhooks' minutes from the store. */
  source: 'graph' | 'webhooks';
  rule: {
    name: string;
    checkEvery: number;
    remindEvery: number;
    minSent: number;
    rateFloor: number | undefined;
    sensitivity: string;
    drillDown: string[];
  };
  range: TimeRange;
  checks: number;
  graphCalls: number;
  episodes: BacktestEpisode[];
  /** Drill-down keys left out to stay within the call budget, and other things to know. */
  notes: string[];
  /** Drill-downs (`phone|key`, `country|key`) checks left for a later check (the call budget), and when. */
  unjudged?: Array<{ key: string; at: number[] }>;
  /** Sent in the window's account scope (zero: an account without data). */
  sent: number;
  /** The account scope's series over the window (for the chart). */
  series: DataPoint[];
}

const HALF_HOUR = 1800;

export interface Prefetched {
  data: Map<string, { points: DataPoint[]; phoneNumbers: string[]; countryCodes: string[] }>;
  calls: number;
  notes: string[];
  accountPoints: DataPoint[];
}

/** Everything the rule's checks will read, fetched once: the account scope and each drill-down key. */
export async function prefetch(source: AnalyticsSource, req: BacktestRequest): Promise<Prefetched> {
  const { account, rule } = req;
  const range = { start: checkWindow(req.range.start * 1000).start, end: req.range.end };
  const target = graphAccount(account, req.token);
  const phoneNumbers = rule.scope?.phoneNumbers ?? account.phoneNumbers;
  const countryCodes = rule.scope?.countries ?? account.countries;
  const base: Filter = { phoneNumbers, countryCodes, productTypes: account.productTypes };
  const data: Prefetched['data'] = new Map();
  const main = await source.fetchAnalytics(target, { range, granularity: 'HALF_HOUR', ...base });
  data.set(filterKey(base), { points: main.points, phoneNumbers: main.phoneNumbers, countryCodes: main.countryCodes });
  let calls = main.requests;
  const notes: string[] = [];
  const perScope = Math.max(1, main.requests);
  const keys = rule.drillDown.flatMap((by) =>
    (by === 'phone'
      ? phoneNumbers.length
        ? phoneNumbers
        : main.phoneNumbers
      : countryCodes.length
        ? countryCodes
        : main.countryCodes
    ).map((key) => ({ by, key })),
  );
  const affordable = Math.max(0, Math.floor((req.maxCalls - calls) / perScope));
  if (keys.length > affordable)
    notes.push(`Drill-down limited to ${affordable} of ${keys.length} numbers and countries to stay within ${req.maxCalls} Graph calls.`);
  const fetched = await Promise.all(
    keys.slice(0, affordable).map(async ({ by, key }) => {
      const filter: Filter = by === 'phone' ? { ...base, phoneNumbers: [key] } : { ...base, countryCodes: [key] };
      return { filter, result: await source.fetchAnalytics(target, { range, granularity: 'HALF_HOUR', ...filter }) };
    }),
  );
  for (const { filter, result } of fetched) {
    data.set(filterKey(filter), { points: result.points, phoneNumbers: result.phoneNumbers, countryCodes: result.countryCodes });
    calls += result.requests;
  }
  return { data, calls, notes, accountPoints: main.points };
}

/** What a replay needs besides the rule: the moments to check, and how each is judged. */
export interface ReplayPlan {
  config: Config;
  rule: Rule;
  checkTimes: number[];
  judge: (now: number) => Judgement | Promise<Judgement>;
  /** A bucket's length, in seconds: the first bad bucket's end is its start plus this. */
  bucketSeconds: number;
  /** The checker's context besides config and clock (Graph replays need their source and curve). */
  ctx?: {
    accounts: GraphAccounts;
    graph: AnalyticsSource;
    settleCurves?: ReturnType<typeof fixedCurves>;
    onClock?: (now: number) => void;
  };
  /** The account's zone: when a joining incident began is said in it. */
  tz: string;
  /** Run the lifecycle only for checks that can change something: an anomaly found, or an alert open. */
  skipQuiet?: boolean;
}

/** The rule's checks, in order, through the scheduler's own lifecycle on a store in memory: its alert episodes. */
export async function replayChecks(
  plan: ReplayPlan,
): Promise<{ episodes: BacktestEpisode[]; checks: number; unjudged: Map<string, number[]> }> {
  const { rule, bucketSeconds } = plan;
  const store = await openStore('sqlite::memory:');
  // One rule, one target: every notice counted once, nothing sent anywhere.
  const replayRule: Rule = { ...rule, targets: [{ platform: 'backtest', conversation: 'BACKTEST' }] };
  const config: Config = { ...plan.config, alerts: [replayRule] };
  let clock = plan.checkTimes[0] ?? 0;
  const log = new EpisodeLog(bucketSeconds, plan.tz);
  const unjudged = new Map<string, number[]>();
  const onCheck = (_rule: string, outcome: CheckOutcome, now: number) => {
    for (const d of outcome.judgement?.unjudged ?? []) {
      const key = `${d.dimension}|${d.key}`;
      unjudged.set(key, [...(unjudged.get(key) ?? []), now]);
    }
    log.record(outcome, now);
  };
  let judged: Judgement | undefined;
  const checker = new AlertChecker({
    store,
    ctx: { config, accounts: plan.ctx?.accounts ?? graphAccountsWith(''), graph: plan.ctx?.graph ?? noGraph, now: () => clock },
    delivery: new RecordingDelivery(),
    logger: silentLogger,
    owner: 'backtest',
    settleCurves: plan.ctx?.settleCurves,
    onCheck,
    // Judged ahead, every scope: each check then keeps what its call budget would have fetched.
    judge: async (_rule, _account, _now, _drillDown, budget) => withinBudget(judged!, budget),
  });
  let checks = 0;
  try {
    for (const t of plan.checkTimes) {
      clock = t;
      plan.ctx?.onClock?.(t);
      judged = await plan.judge(t);
      checks++;
      // Nothing found and nothing open: the lifecycle would only record the check.
      if (plan.skipQuiet && !log.open && judged.ongoing.length === 0 && !judged.settling?.length) continue;
      await checker.tick(clock);
    }
  } finally {
    await store.close();
  }
  return { episodes: log.episodes, checks, unjudged };
}

/** A webhook replay asks Graph nothing. */
const noGraph: AnalyticsSource = {
  fetchAnalytics: () => Promise.reject(new Error('a status webhook backtest does not call Graph')),
};

/**
 * When the scheduler would have run a rule's checks over `range` (ms): at the start of each of its
 * periods, as its tick fires at second 0 of each minute — a Graph check reads the half hour that
 * just ended through the settle curve, a webhook check whole minutes.
 */
function checkTimesOf(range: TimeRange, checkEvery: number): number[] {
  const times: number[] = [];
  for (let t = Math.ceil((range.start * 1000) / checkEvery) * checkEvery; t < range.end * 1000; t += checkEvery) times.push(t);
  return times;
}

export async function runBacktest(source: AnalyticsSource, req: BacktestRequest): Promise<BacktestResult> {
  const { account, rule } = req;
  const checkTimes = checkTimesOf(req.range, rule.checkEvery);
  // The judging threads load their modules while Graph is asked (0.1 s of a 30-day backtest's 2.9).
  const judges = startJudges(checkTimes.length);
  let judgements: Map<number, Judgement>;
  let fetched: Prefetched;
  try {
    fetched = await prefetch(source, req);
    // The judgements are made ahead of the clock, on every core; the lifecycle then runs them in
    // order through the scheduler's own tick (claims, store, decisions, notices).
    judgements = new Map(
      await judgeInParallel(
        {
          data: [...fetched.data],
          curve: req.curve,
          account,
          rule,
          token: req.token,
          drillDown: rule.drillDown.length > 0,
          checkTimes,
          arrivalSpread: req.arrivalSpread ?? false,
        },
        judges,
      ),
    );
  } finally {
    for (const judge of judges) judge.stop();
  }
  const replay = new ReplaySource(fetched.data, req.curve, account.settleMs, req.arrivalSpread);
  const { episodes, checks, unjudged } = await replayChecks({
    config: req.config,
    rule,
    tz: account.timezone,
    checkTimes,
    judge: (now) => judgements.get(now)!,
    bucketSeconds: HALF_HOUR,
    ctx: {
      accounts: graphAccountsWith(req.token),
      graph: replay,
      settleCurves: fixedCurves(req.curve),
      onClock: (now) => {
        replay.asOfMs = now;
      },
    },
  });
  const accountSeries = fetched.accountPoints.filter((p) => p.start >= req.range.start && p.start < req.range.end);
  return {
    account: { id: account.id, name: account.name, displayName: account.displayName, timezone: account.timezone },
    rule: ruleSummary(rule, account),
    source: 'graph',
    range: req.range,
    checks,
    graphCalls: fetched.calls,
    episodes,
    notes: [...fetched.notes, ...spreadNote(unjudged, checks)],
    unjudged: [...unjudged].map(([key, at]) => ({ key, at })),
    sent: accountSeries.reduce((sum, p) => sum + p.sent, 0),
    series: accountSeries,
  };
}

function ruleSummary(rule: Rule, account: AccountConfig): BacktestResult['rule'] {
  return {
    name: rule.name ?? `${account.name} (defaults)`,
    checkEvery: rule.checkEvery,
    remindEvery: rule.remindEvery,
    minSent: rule.minSent,
    rateFloor: rule.rateFloor,
    sensitivity: rule.sensitivity,
    drillDown: [...rule.drillDown],
  };
}

/**
 * A `source: webhooks` rule replayed over the status counts the store holds: every check sees
 * what the store would have answered then (the day before summed, the last hour by minute), with
 * the alert checks' own judge and lifecycle. Statuses arrive within seconds of what they report,
 * so there is nothing to settle.
 */
export async function runWebhookBacktest(
  store: StoreWith<'statuses'>,
  req: Pick<BacktestRequest, 'config' | 'account' | 'rule' | 'range'>,
): Promise<BacktestResult> {
  const { account, rule, range } = req;
  const [historyFrom] = statusWindow(range.start * 1000).baseline;
  const rows = await store.statuses.statusCounts(account.id, historyFrom, range.end);
  // The rule's (or the account's) numbers and countries only: the same traffic its minute checks judge.
  const statusScope = statusScopeOf(account, rule);
  const replay = new StatusReplay(withinScope(rows, statusScope));
  const checkTimes = checkTimesOf(range, rule.checkEvery);
  const drillDown = rule.drillDown.length > 0 ? rule.drillDown : [];
  const { episodes, checks } = await replayChecks({
    config: req.config,
    rule,
    tz: account.timezone,
    checkTimes,
    judge: (now) => judgeStatuses(replay.windowAt(now), now, { drillDown, sensitivity: rule.sensitivity, statusScope }),
    bucketSeconds: 60,
    skipQuiet: true,
  });
  const notes: string[] = [];
  const inRange = rows.filter((r) => r.minute >= range.start && r.minute < range.end);
  if (inRange.length === 0) notes.push('No WhatsApp status webhooks in the store for this range: nothing to replay.');
  else if (rows.reduce((m, r) => Math.min(m, r.minute), Number.POSITIVE_INFINITY) > historyFrom + 3600)
    notes.push('The store holds less than a day of statuses before the range: the first checks had a short baseline.');
  return {
    account: { id: account.id, name: account.name, displayName: account.displayName, timezone: account.timezone },
    rule: ruleSummary(rule, account),
    source: 'webhooks',
    range,
    checks,
    graphCalls: 0,
    episodes,
    notes,
    sent: replay.sentIn(range.start, range.end),
    series: halfHoursOf(inRange, range),
  };
}

/** Status counts as half-hour points for the backtest chart: attempts as sent, those that did not fail as delivered. */
function halfHoursOf(rows: readonly StatusCount[], range: TimeRange): DataPoint[] {
  const points = new Map<number, { sent: number; failed: number }>();
  for (const r of rows) {
    if (r.status === 'delivered' || r.status === 'read') continue;
    const start = range.start + Math.floor((r.minute - range.start) / HALF_HOUR) * HALF_HOUR;
    const p = points.get(start) ?? { sent: 0, failed: 0 };
    if (isAttempt(r.status)) p.sent += r.count;
    else p.failed += r.count;
    points.set(start, p);
  }
  const out: DataPoint[] = [];
  for (let start = range.start; start < range.end; start += HALF_HOUR) {
    const p = points.get(start) ?? { sent: 0, failed: 0 };
    const attempts = attemptsOf(p.sent, p.failed);
    out.push({ start, end: start + HALF_HOUR, sent: attempts, delivered: attempts - p.failed });
  }
  return out;
}

/** What the checks left for later to keep to their share of the WABA's calls, said once. */
function spreadNote(unjudged: ReadonlyMap<string, number[]>, checks: number): string[] {
  if (unjudged.size === 0) return [];
  const most = Math.max(...[...unjudged.values()].map((at) => at.length));
  return [
    `Drill-downs spread over checks to keep to the rule's share of the WABA's Graph calls: ${unjudged.size} numbers and countries were each left for the next check in up to ${most} of ${checks} checks.`,
  ];
}

/** Minutes from the end of each episode's first bad bucket to its alert. */
export function minutesToAlert(episodes: readonly BacktestEpisode[]): number[] {
  return episodes.map((e) => Math.max(0, (e.openedAt - e.firstBucketEnd * 1000) / 60_000));
}
