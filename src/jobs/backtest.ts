import { availableParallelism } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Anomaly, AnomalyScope } from '../analytics/anomalies.js';
import type { SettleCurve } from '../analytics/settle.js';
import { graphAccount } from '../compose/graphAccount.js';
import { fixedCurves } from '../compose/settleLearning.js';
import type { AccountConfig, Config } from '../config/load.js';
import type { AnalyticsSource } from '../graph/client.js';
import { silentLogger } from '../log.js';
import type { DataPoint, TimeRange } from '../series.js';
import { openStore } from '../store/sql.js';
import type { Judgement } from './alertScopes.js';
import { checkWindow } from './alertScopes.js';
import { AlertChecker, type CheckOutcome, type Rule, ruleId } from './alerts.js';
import { type JudgeJob, judgeChecks } from './backtestJudge.js';
import { RecordingDelivery } from './recordingDelivery.js';
import { type Filter, filterKey, ReplaySource } from './replaySource.js';

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

export interface BacktestEpisode {
  alertKey: string;
  shortId: string;
  /** The headline: the worst anomaly of the episode. */
  scope: Pick<AnomalyScope, 'kind' | 'key' | 'label'>;
  kind: Anomaly['kind'];
  severity: Anomaly['severity'];
  /** Every scope the episode named. */
  scopes: Array<Pick<AnomalyScope, 'kind' | 'key' | 'label'>>;
  /** UNIX seconds: the first bad bucket's start and end. */
  firstBucketStart: number;
  firstBucketEnd: number;
  /** UNIX ms. */
  openedAt: number;
  resolvedAt: number | null;
  reminders: number;
  updates: number;
  observed: number;
  expected: number;
  explanation: string;
  /** Everything the episode found, by scope and kind, with the span each covered. */
  found: Array<Pick<Anomaly, 'kind' | 'start' | 'end'> & { scope: Pick<AnomalyScope, 'kind' | 'key' | 'label'>; seenAt: number }>;
}

export interface BacktestResult {
  account: { id: string; name: string; displayName: string; timezone: string };
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
  /** Sent in the window's account scope (zero: an account without data). */
  sent: number;
  /** The account scope's series over the window (for the chart). */
  series: DataPoint[];
}

const HALF_HOUR = 1800;

interface Prefetched {
  data: Map<string, { points: DataPoint[]; phoneNumbers: string[]; countryCodes: string[] }>;
  calls: number;
  notes: string[];
  accountPoints: DataPoint[];
}

/** Everything the rule's checks will read, fetched once: the account scope and each drill-down key. */
async function prefetch(source: AnalyticsSource, req: BacktestRequest): Promise<Prefetched> {
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

function headline(anomalies: readonly Anomaly[]): Anomaly {
  const gap = (a: Anomaly) => (a.kind === 'delivery_drop' ? a.expected - a.observed : a.kind === 'volume_drop' ? 1 : 0);
  return [...anomalies].sort((a, b) => (a.severity === b.severity ? gap(b) - gap(a) : a.severity === 'critical' ? -1 : 1))[0]!;
}

export async function runBacktest(source: AnalyticsSource, req: BacktestRequest): Promise<BacktestResult> {
  const { account, rule } = req;
  const fetched = await prefetch(source, req);
  const replay = new ReplaySource(fetched.data, req.curve, account.settleMs, req.arrivalSpread);
  const store = await openStore('sqlite::memory:');
  const _id = ruleId(rule, 0);
  // One rule, one target: every notice counted once, nothing sent anywhere.
  const replayRule: Rule = { ...rule, targets: [{ slack: { channel: 'BACKTEST' } }] };
  const config: Config = { ...req.config, alerts: [replayRule] };
  let clock = req.range.start * 1000;
  const episodes: BacktestEpisode[] = [];
  let current: BacktestEpisode | undefined;
  const seen = new Map<string, Anomaly>();
  const onCheck = (_rule: string, outcome: CheckOutcome, now: number) => {
    const found = outcome.judgement?.ongoing ?? [];
    if (outcome.decision === 'open') {
      seen.clear();
      const worst = headline(found);
      const first = found.reduce((a, b) => (b.start < a.start ? b : a), found[0]!);
      current = {
        alertKey: outcome.alert!.key,
        shortId: outcome.alert!.shortId,
        scope: { kind: worst.scope.kind, key: worst.scope.key, label: worst.scope.label },
        kind: worst.kind,
        severity: worst.severity,
        scopes: [],
        firstBucketStart: first.start,
        firstBucketEnd: Math.min(first.end, first.start + HALF_HOUR),
        openedAt: now,
        resolvedAt: null,
        reminders: 0,
        updates: 0,
        observed: worst.observed,
        expected: worst.expected,
        explanation: worst.explanation,
        found: [],
      };
      episodes.push(current);
    }
    if (!current) return;
    for (const a of found) {
      const key = `${a.kind}|${a.scope.kind}|${a.scope.key}`;
      if (!seen.has(key)) current.scopes.push({ kind: a.scope.kind, key: a.scope.key, label: a.scope.label });
      seen.set(key, a);
      const known = current.found.find((f) => f.kind === a.kind && f.scope.kind === a.scope.kind && f.scope.key === a.scope.key);
      if (known) {
        known.start = Math.min(known.start, a.start);
        known.end = Math.max(known.end, a.end);
      } else
        current.found.push({
          kind: a.kind,
          start: a.start,
          end: a.end,
          scope: { kind: a.scope.kind, key: a.scope.key, label: a.scope.label },
          seenAt: now,
        });
      if (a.start < current.firstBucketStart) {
        current.firstBucketStart = a.start;
        current.firstBucketEnd = a.start + HALF_HOUR;
      }
    }
    if (found.length) {
      const worst = headline([...seen.values()]);
      Object.assign(current, {
        scope: { kind: worst.scope.kind, key: worst.scope.key, label: worst.scope.label },
        kind: worst.kind,
        severity: worst.severity,
        observed: worst.observed,
        expected: worst.expected,
        explanation: worst.explanation,
      });
    }
    if (outcome.decision === 'remind') current.reminders++;
    if (outcome.decision === 'update') current.updates++;
    if (outcome.decision === 'resolve') {
      current.resolvedAt = now;
      current = undefined;
    }
  };
  // The judgements are made ahead of the clock, on every core; the lifecycle then runs them in
  // order through the scheduler's own tick (claims, store, decisions, notices).
  const first = Math.ceil((req.range.start * 1000) / rule.checkEvery) * rule.checkEvery;
  const checkTimes: number[] = [];
  for (let t = first; t < req.range.end * 1000; t += rule.checkEvery) checkTimes.push(t + 10_000);
  const judgements = new Map(
    await judgeInParallel({
      data: [...fetched.data],
      curve: req.curve,
      account,
      rule,
      token: req.token,
      drillDown: rule.drillDown.length > 0,
      checkTimes,
      arrivalSpread: req.arrivalSpread ?? false,
    }),
  );
  const checker = new AlertChecker({
    store,
    ctx: { config, env: { [account.tokenEnv]: req.token }, graph: replay, now: () => clock },
    delivery: new RecordingDelivery(),
    logger: silentLogger,
    owner: 'backtest',
    settleCurves: fixedCurves(req.curve),
    onCheck,
    judge: async (_rule, _account, now) => judgements.get(now)!,
  });
  let checks = 0;
  try {
    for (const t of checkTimes) {
      clock = t;
      replay.asOfMs = clock;
      await checker.tick(clock);
      checks++;
    }
  } finally {
    await store.close();
  }
  const accountSeries = fetched.accountPoints.filter((p) => p.start >= req.range.start && p.start < req.range.end);
  return {
    account: { id: account.id, name: account.name, displayName: account.displayName, timezone: account.timezone },
    rule: {
      name: rule.name ?? `${account.name} (defaults)`,
      checkEvery: rule.checkEvery,
      remindEvery: rule.remindEvery,
      minSent: rule.minSent,
      rateFloor: rule.rateFloor,
      sensitivity: rule.sensitivity,
      drillDown: [...rule.drillDown],
    },
    range: req.range,
    checks,
    graphCalls: fetched.calls,
    episodes,
    notes: fetched.notes,
    sent: accountSeries.reduce((sum, p) => sum + p.sent, 0),
    series: accountSeries,
  };
}

/** Minutes from the end of each episode's first bad bucket to its alert. */
export function minutesToAlert(episodes: readonly BacktestEpisode[]): number[] {
  return episodes.map((e) => Math.max(0, (e.openedAt - e.firstBucketEnd * 1000) / 60_000));
}

/** Judge the checks on worker threads, one share per core (in this thread if workers cannot start). */
async function judgeInParallel(job: JudgeJob): Promise<Array<[number, Judgement]>> {
  const cores = Math.min(availableParallelism(), 4);
  if (cores < 2 || job.checkTimes.length < 48) return judgeChecks(job);
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const script = join(dirname(here), `backtestWorker${ext}`);
  // Under tsx (tests, development) the worker needs the TypeScript loader too.
  const execArgv =
    ext === '.ts' && !process.execArgv.join(' ').includes('tsx') ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
  const size = Math.ceil(job.checkTimes.length / cores);
  try {
    const shares = await Promise.all(
      Array.from({ length: cores }, (_, k) => {
        const worker = new Worker(script, { workerData: { ...job, checkTimes: job.checkTimes.slice(k * size, (k + 1) * size) }, execArgv });
        return new Promise<Array<[number, Judgement]>>((resolve, reject) => {
          worker.once('message', (result: Array<[number, Judgement]>) => {
            resolve(result);
            void worker.terminate();
          });
          worker.once('error', reject);
          worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`backtest worker exited ${code}`))));
        });
      }),
    );
    return shares.flat();
  } catch {
    return judgeChecks(job);
  }
}
