import type { AnomalyScope } from '../analytics/anomalies.js';
import { statusScopeOf } from '../analytics/failures.js';
import { SettledWork } from '../analytics/settledWork.js';
import type { SettleCurves } from '../cache/settleLearning.js';
import { type GraphAccounts, graphAccount } from '../compose/graphAccount.js';
import type { AccountConfig } from '../config/load.js';
import type { AnalyticsSource } from '../graph/client.js';
import { breakdownLabel } from '../report/format.js';
import type { StatusRepository, StoreWith } from '../store/types.js';
import type { StatusCount, StatusTotal } from '../vocabulary/statuses.js';
import {
  type AlertRuleView,
  type CheckBudget,
  checkWindow,
  chooseDrillDowns,
  type DrillDown,
  drillDownsOf,
  isDropping,
  type Judgement,
  type JudgeOptions,
  judgeAlertScopes,
  ruleDetection,
  type ScopeData,
} from './judge/graph.js';
import {
  HEALTH_AHEAD_SECONDS,
  HEALTH_LOOKBACK_SECONDS,
  HEALTH_NOTE_SECONDS,
  type HealthJudgement,
  type HealthNote,
  judgeHealth,
  recentHealthNote,
} from './judge/health.js';
import { judgeStatuses, statusWindow, WINDOW_MINUTES } from './judge/webhooks.js';

/** Most health events a check reads (newest first): far more than an account gets in 90 days. */
const HEALTH_EVENTS_READ = 5_000;

/**
 * What a check reads before it judges: a `graph` rule's scopes from Graph (through the bucket
 * cache, within the check's share of the call budget), a `webhooks` rule's counts from the
 * store, a `health` rule's health events from the store. The judging itself is pure
 * (`judge/graph.ts`, `judge/webhooks.ts`, `judge/health.ts`).
 */

export interface FetchedScopes {
  scopes: ScopeData[];
  /** Drill-downs left for a later check (the call budget). */
  left: DrillDown[];
}

export async function fetchAlertScopes(
  source: AnalyticsSource,
  account: AccountConfig,
  token: string,
  rule: AlertRuleView,
  nowMs: number,
  drillDown: boolean,
  budget?: CheckBudget,
  /** Whether the account's own series shows a drop going on (then the check may spend more). */
  dropping?: (account: ScopeData) => boolean,
): Promise<FetchedScopes> {
  const { start, end } = checkWindow(nowMs);
  const target = graphAccount(account, token);
  const phoneNumbers = rule.scope?.phoneNumbers ?? account.phoneNumbers;
  const countryCodes = rule.scope?.countries ?? account.countries;
  const base = { phoneNumbers, countryCodes, productTypes: account.productTypes };
  const request = (filter: typeof base) => ({ range: { start, end }, granularity: 'HALF_HOUR' as const, ...filter });
  const planned = (filter: typeof base) => (source.plannedCalls ? source.plannedCalls(target, request(filter)) : Promise.resolve(1));
  const accountCalls = budget ? await planned(base) : 0;
  const main = await source.fetchAnalytics(target, request(base));
  const accountScope: AnomalyScope = {
    kind: 'account',
    key: null,
    label: phoneNumbers.length || countryCodes.length ? 'the configured scope' : 'all traffic',
  };
  const out: ScopeData[] = [{ scope: accountScope, dimension: 'account', points: main.points }];
  if (!drillDown) return { scopes: out, left: [] };
  const filterOf = (d: DrillDown) => (d.dimension === 'phone' ? { ...base, phoneNumbers: [d.key] } : { ...base, countryCodes: [d.key] });
  let wanted = drillDownsOf(rule, account, main);
  let left: DrillDown[] = [];
  if (budget) {
    const costs = await Promise.all(wanted.map((d) => planned(filterOf(d))));
    const calls = dropping?.(out[0]!) ? budget.urgent : budget.allowance;
    ({ chosen: wanted, left } = chooseDrillDowns(wanted, costs, calls - accountCalls, budget.turn, new Set(budget.pinned)));
  }
  const children = await Promise.all(
    wanted.map(async (d): Promise<ScopeData> => {
      const result = await source.fetchAnalytics(target, request(filterOf(d)));
      const label = breakdownLabel(d.dimension, d.key);
      const scope: AnomalyScope =
        d.dimension === 'phone'
          ? { kind: 'phone', key: d.key, label, phone: d.key }
          : { kind: 'country', key: d.key, label, country: d.key };
      return { scope, dimension: d.dimension, points: result.points };
    }),
  );
  return { scopes: [...out, ...children], left };
}

/** How a rule's scopes are judged at a moment: what `AlertChecker` runs for every check. */
export type JudgeFn = (
  rule: AlertRuleView,
  account: AccountConfig,
  now: number,
  drillDown: boolean,
  budget?: CheckBudget,
) => Promise<Judgement>;

/** The judgement a check makes: the rule's scopes fetched, then judged against the settle curve. */
export function defaultJudge(ctx: { accounts: GraphAccounts; graph: AnalyticsSource }, curves: SettleCurves): JudgeFn {
  const work = new SettledWork();
  return async (rule, account, now, drillDown, budget) => {
    const curve = await curves.curve(account.id);
    const detection = ruleDetection(rule);
    // Two rules on one scope with other settings keep their work apart rather than take turns scoring afresh.
    const key = `${account.id}|${JSON.stringify(rule.scope ?? null)}|${JSON.stringify(detection)}`;
    const options: JudgeOptions = {
      nowMs: now,
      settleMs: account.settleMs,
      curve,
      tz: account.timezone,
      detection,
      settled: { work, key },
    };
    const { scopes, left } = await fetchAlertScopes(ctx.graph, account, ctx.accounts(account).token, rule, now, drillDown, budget, (own) =>
      isDropping(judgeAlertScopes([own], options)),
    );
    return { ...judgeAlertScopes(scopes, options), ...(left.length ? { unjudged: left } : {}) };
  };
}

/** Minutes of the last hour read again at every check: the judged window and one more (statuses arrive seconds late). */
const REREAD_MINUTES = WINDOW_MINUTES + 1;

/**
 * The judge the alert checks use for `source: webhooks` rules: the store's counts, then
 * `judgeStatuses`. What fifteen checks in a row would read alike is kept in between: each
 * account's baseline day (summed once a quarter hour) and its last hour (only the newest minutes
 * read again), so a minute's checks of many accounts cost the store little.
 */
export function webhookJudge(store: { statuses: Pick<StatusRepository, 'statusCounts' | 'statusTotals'> }) {
  const baselines = new Map<string, { from: number; totals: Promise<StatusTotal[]> }>();
  const hours = new Map<string, { until: number; byMinute: Map<number, StatusCount[]> }>();

  const baselineOf = (accountId: string, [from, to]: [number, number]) => {
    const cached = baselines.get(accountId);
    if (cached?.from === from) return cached.totals;
    const entry = { from, totals: store.statuses.statusTotals(accountId, from, to) };
    baselines.set(accountId, entry);
    // A failed read is not kept: the next check asks again.
    entry.totals.catch(() => baselines.get(accountId) === entry && baselines.delete(accountId));
    return entry.totals;
  };

  const lastHourOf = async (accountId: string, [from, to]: [number, number]) => {
    let kept = hours.get(accountId);
    // A clock that went back, or a gap longer than the hour: read it all again.
    if (!kept || kept.until > to || kept.until <= from) kept = { until: from, byMinute: new Map() };
    const readFrom = Math.max(from, kept.until - REREAD_MINUTES * 60);
    const rows = await store.statuses.statusCounts(accountId, readFrom, to);
    const byMinute = new Map([...kept.byMinute].filter(([m]) => m >= from && m < readFrom));
    for (const row of rows) {
      const list = byMinute.get(row.minute);
      if (list) list.push(row);
      else byMinute.set(row.minute, [row]);
    }
    hours.set(accountId, { until: to, byMinute });
    return [...byMinute.values()].flat();
  };

  return async (
    rule: AlertRuleView,
    account: Pick<AccountConfig, 'id'> & Partial<Pick<AccountConfig, 'phoneNumbers' | 'countries'>>,
    nowMs: number,
    drillDown: boolean,
  ): Promise<Judgement> => {
    const { baseline, recent } = statusWindow(nowMs);
    const [totals, minutes] = await Promise.all([baselineOf(account.id, baseline), lastHourOf(account.id, recent)]);
    return judgeStatuses({ baseline: totals, recent: minutes }, nowMs, {
      ...rule,
      drillDown: drillDown ? rule.drillDown : [],
      statusScope: statusScopeOf(account, rule),
    });
  };
}

/**
 * The judge of `kind: health` rules: the account's health events of the last 90 days from the
 * store (where the webhook route keeps them once each), folded into what stands now. No Graph
 * calls: a check a minute costs one indexed read.
 */
export function healthJudge(store: StoreWith<'health'>) {
  return async (account: Pick<AccountConfig, 'id'>, nowMs: number): Promise<HealthJudgement> => {
    const nowS = Math.floor(nowMs / 1000);
    const events = await store.health.healthEvents(
      account.id,
      nowS - HEALTH_LOOKBACK_SECONDS,
      nowS + HEALTH_AHEAD_SECONDS,
      HEALTH_EVENTS_READ,
    );
    return judgeHealth(events, nowMs);
  };
}

/** The health line of a drop alert: the account's flags, quality falls and pauses of the last day. */
export async function healthNoteFor(
  store: StoreWith<'health'>,
  accountId: string,
  nowMs: number,
  phones: readonly string[],
): Promise<HealthNote | undefined> {
  const nowS = Math.floor(nowMs / 1000);
  const events = await store.health.healthEvents(accountId, nowS - HEALTH_NOTE_SECONDS, nowS + HEALTH_AHEAD_SECONDS, HEALTH_EVENTS_READ);
  return recentHealthNote(events, nowMs, phones);
}
