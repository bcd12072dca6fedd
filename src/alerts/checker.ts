import type { Anomaly } from '../analytics/anomalies.js';
import { rankAnomalies } from '../analytics/ranking.js';
import { fixedCurves, type SettleCurves } from '../cache/settleLearning.js';
import type { GraphAccounts } from '../compose/graphAccount.js';
import { lookupAccount } from '../config/accounts.js';
import type { AccountConfig, Config } from '../config/load.js';
import type { AnalyticsSource } from '../graph/client.js';
import type { Logger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import { OwedWrites } from '../store/owedWrites.js';
import type { StoreWith } from '../store/types.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { chartData, line, recovered, recoveryLines, settledEnd } from './content.js';
import { anomalyKey, parseAnomalyKey, scopeKeyOf } from './judge/anomalyKey.js';
import { anomaliesToAlert, type CheckBudget, type Judgement } from './judge/graph.js';
import type { HealthJudgement } from './judge/health.js';
import { newAlertKey, newShortId } from './keys.js';
import { advance, type Decision, decide, type EpisodeState } from './lifecycle.js';
import type { AlertContent, AlertDelivery, AlertFollowUp } from './model.js';
import { AlertNotifier } from './notify.js';
import { defaultJudge, healthJudge, healthNoteFor, type JudgeFn, webhookJudge } from './sources.js';

/** How alerts reach a chat conversation: the chat surfaces in `serve`, a recorder in a backtest. */
/** What an alert check needs of the service around it. */
export interface AlertContext {
  config: Config;
  accounts: GraphAccounts;
  graph: AnalyticsSource;
  now: () => number;
}

export interface AlertCheckerOptions {
  store: StoreWith<'runs' | 'alerts' | 'preferences' | 'statuses' | 'health'>;
  ctx: AlertContext;
  delivery: AlertDelivery;
  logger: Logger;
  owner: string;
  leaseMs?: number;
  /** Consecutive clean checks before an alert resolves (hysteresis). */
  cleanChecksToResolve?: number;
  /** The Graph client's view of each WABA's hourly call budget, to degrade before it runs out. */
  budget?: { callsInLastHour(wabaId: string): number; callsPerHour: number } | undefined;
  metrics?: { posts: { inc(labels: { platform: string; outcome: string }): void } } | undefined;
  /** Each account's settle curve (learned by the bucket cache; the default otherwise). */
  settleCurves?: SettleCurves | undefined;
  /** Told of every check's outcome (backtests collect episodes from it). */
  onCheck?: ((ruleId: string, outcome: CheckOutcome, now: number) => void) | undefined;
  /**
   * How a rule's scopes are judged at `now` (default: fetch them and judge them here, or read the
   * status webhooks' counts for `source: webhooks`). A backtest makes the same judgements ahead of
   * the clock and hands them in.
   */
  judge?: JudgeFn | undefined;
  /**
   * The rules to check at a tick, each with the id its claims and episodes go by (default: the
   * config's `alerts:`). `serve` adds the rules made in chat, read again every tick.
   */
  rules?: ((now: number) => Promise<ReadonlyArray<{ id: string; rule: Rule }>>) | undefined;
}

/** How a `kind: health` rule's account is judged at a moment (default: its health events in the store). */
export type HealthJudgeFn = (account: Pick<AccountConfig, 'id'>, now: number) => Promise<HealthJudgement>;

/**
 * A rule's share of its WABA's hourly Graph calls for its checks (40 of 200 an hour: a check every
 * 30 minutes may make 20); past 60% of the budget used a check takes at most half of what is left
 * before 90%, where checks are deferred.
 */
const ALERT_SHARE = 0.2;
const SQUEEZE_AT = 0.6;
const DEFER_AT = 0.9;

export type Rule = Config['alerts'][number];
/** A rule on drops in delivery, sending or failures (`source: graph` or `webhooks`). */
export type DropRule = Extract<Rule, { kind: 'drop' }>;

export function ruleId(rule: Pick<Rule, 'account' | 'name'>, index: number): string {
  return rule.name ? `${rule.account}:${rule.name}` : `${rule.account}:${index}`;
}

/** The config's own rules, by the ids their claims and episodes have always gone by. */
export function configRules(config: Pick<Config, 'alerts'>): Array<{ id: string; rule: Rule }> {
  return config.alerts.map((rule, index) => ({ id: ruleId(rule, index), rule }));
}

/**
 * What a decision posts — each step claimed once per alert and target, so a step a second time
 * (a second reminder, a resolution after a resumption) has its own name — and what the run says.
 */
function noticeOf(
  decision: Decision,
  episode: EpisodeState,
  found: readonly Anomaly[],
  escalates: boolean,
): { kind: 'open' | AlertFollowUp; step: string; detail: string } {
  const id = episode.shortId;
  switch (decision.kind) {
    case 'open':
    case 'reopen':
      return { kind: 'open', step: 'open', detail: `opened ${id} (${found.length} anomal${found.length === 1 ? 'y' : 'ies'})` };
    case 'update':
      return {
        kind: escalates ? 'escalate' : 'update',
        step: `update-${episode.announced.length}`,
        detail: `${escalates ? 'escalated' : 'updated'} ${id}: ${decision.added.map((a) => a.scope.label).join(', ')}`,
      };
    case 'resume':
      // Said in the channel too (saidInChannel): its resolution told people to stop looking.
      return { kind: 'resume', step: `resume-${episode.resumes ?? 0}`, detail: `resumed ${id}: it had resolved too soon` };
    case 'remind':
      return { kind: 'remind', step: `remind-${episode.reminders}`, detail: `reminded ${id}` };
    case 'resolve':
      return { kind: 'resolve', step: episode.resumes ? `resolve-${episode.resumes}` : 'resolve', detail: `resolved ${id}` };
    default:
      // Posts claimed but never made (a crash between saving and posting) are made now.
      return { kind: 'open', step: 'open', detail: `still open ${id}` };
  }
}

/** What an alert check did, for the run record (and for backtests). */
export interface CheckOutcome {
  decision: Decision['kind'];
  detail: string;
  alert?: AlertContent | undefined;
  judgement?: Judgement | undefined;
  /** What the check acted on (see `anomaliesToAlert`). */
  found?: Anomaly[] | undefined;
  /** The earliest its alert's bad stretch may start (the lifecycle's `after`): where the one before it ended. */
  after?: number | undefined;
}

/**
 * The alert lifecycle: every `checkEvery`, one replica (by claim) checks each rule's account and
 * drill-downs (`alertScopes.ts`), and the pure rules in `alertLifecycle.ts` decide what happens:
 * an alert opens (all of an account's anomalies in one message), is updated in place at once
 * when a new scope or kind appears (with a short reply in its thread), is reminded in its thread
 * every `remindEvery` while nobody acknowledged or muted it, and resolves — the message redrawn,
 * and a reply — after two clean checks in a row; should its drop turn out to have gone on, the
 * same alert resumes, said in its thread and the channel. Everything is stored before it is
 * posted, and every post is claimed per alert, target and step, so replicas and restarts post it
 * once.
 */
export class AlertChecker {
  private readonly leaseMs: number;
  private readonly cleanToResolve: number;
  private readonly judge: JudgeFn;
  /** `source: webhooks` rules: the status webhooks' counts in the store, minute by minute. */
  private readonly judgeWebhooks: JudgeFn;
  /** `kind: health` rules: the health webhooks' events in the store. */
  private readonly judgeHealth: HealthJudgeFn;
  private readonly notifier: AlertNotifier;
  /**
   * What the store could not take while it was away — posts' records, and the claims of checks
   * that failed on it — made first thing at the next tick: the alert is not posted again, and the
   * check runs again a minute on rather than when its lease runs out.
   */
  private readonly owed = new OwedWrites();

  constructor(private readonly options: AlertCheckerOptions) {
    this.leaseMs = options.leaseMs ?? 10 * 60_000;
    this.notifier = new AlertNotifier({ ...options, leaseMs: this.leaseMs, owed: this.owed });
    this.cleanToResolve = options.cleanChecksToResolve ?? 2;
    this.judge = options.judge ?? defaultJudge(options.ctx, options.settleCurves ?? fixedCurves());
    this.judgeWebhooks = options.judge ?? webhookJudge(options.store);
    this.judgeHealth = healthJudge(options.store);
  }

  async tick(now = this.options.ctx.now()): Promise<void> {
    const { ctx, store, logger } = this.options;
    // What the store missed while it was away comes first; still away, nothing else can be done.
    if (!(await this.owed.settle())) return;
    const rules = this.options.rules ? await this.options.rules(now) : configRules(ctx.config);
    await Promise.all(
      rules.map(async ({ id, rule }) => {
        const period = String(Math.floor(now / rule.checkEvery));
        const job = `alert-check:${id}`;
        if (!(await store.runs.claimRun(job, period, this.options.owner, now, this.leaseMs))) return;
        // The config's validation (and the chat rules' own) guarantees the rule's account exists.
        const account = lookupAccount(ctx.config.accounts, rule.account)!;
        // Nearly out of budget: defer this check (a longer interval) rather than be throttled.
        const budget = this.options.budget;
        // (Rules on status or health webhooks make no Graph calls.)
        if (
          budget &&
          rule.kind === 'drop' &&
          rule.source === 'graph' &&
          budget.callsInLastHour(account.id) >= budget.callsPerHour * DEFER_AT
        ) {
          logger.warn({ rule: id }, 'alert check deferred to stay within the Graph budget');
          await store.runs.finishRun(
            job,
            period,
            { status: 'skipped', detail: 'degraded: check deferred, the Graph call budget is nearly spent', attempts: 0 },
            ctx.now(),
          );
          return;
        }
        try {
          const outcome = await this.check(rule, id, account, now);
          this.options.onCheck?.(id, outcome, now);
          await store.runs.finishRun(job, period, { status: 'posted', detail: outcome.detail, attempts: 1 }, ctx.now());
        } catch (err) {
          const detail = redactSecrets((err as Error).message);
          if (isStoreUnavailable(err)) {
            // The store failed mid-check: give the claim back so the next tick (a minute on)
            // runs the check again. If even that fails, the next tick gives it back first.
            logger.warn({ rule: id, err: detail }, 'alert check failed on the store; will retry');
            const release = () => store.runs.releaseRun(job, period, this.options.owner);
            await release().catch(() => this.owed.owe(`release\u0000${job}\u0000${period}`, release));
            return;
          }
          logger.warn({ rule: id, err: detail }, 'alert check failed');
          await store.runs.finishRun(job, period, { status: 'failed', detail, attempts: 1 }, ctx.now());
        }
      }),
    );
  }

  /**
   * What a check may spend on Graph calls: the rule's share of the WABA's hourly budget, less when
   * the WABA has used much of it (half of what is left before checks are deferred); more when the
   * account itself is dropping. A drill-down that does not fit waits for the next check, in turn.
   */
  private checkBudget(rule: DropRule, account: AccountConfig, episode: EpisodeState | undefined, now: number): CheckBudget {
    const perHour = this.options.budget?.callsPerHour ?? this.options.ctx.config.graph.callsPerHour;
    const used = this.options.budget?.callsInLastHour(account.id) ?? 0;
    const room = Math.max(0, Math.floor(perHour * DEFER_AT - used));
    const share = Math.max(2, Math.floor((perHour * ALERT_SHARE * rule.checkEvery) / 3_600_000));
    const allowance = Math.min(share, used >= perHour * SQUEEZE_AT ? Math.floor(room / 2) : room);
    const pinned = episode?.status === 'open' ? [...new Set(episode.announced.map((key) => scopeKeyOf(parseAnomalyKey(key))))] : [];
    return { allowance, urgent: Math.max(allowance, Math.floor(room / 2)), pinned, turn: Math.floor(now / rule.checkEvery) };
  }

  /** What a rule finds at `now`: a drop rule's scopes judged, or a health rule's events folded. */
  private async judgeRule(rule: Rule, account: AccountConfig, episode: EpisodeState | undefined, now: number): Promise<Judgement> {
    if (rule.kind === 'health') return this.judgeHealth(account, now);
    const webhooks = rule.source === 'webhooks';
    const judge = webhooks ? this.judgeWebhooks : this.judge;
    const budget = webhooks ? undefined : this.checkBudget(rule, account, episode, now);
    return judge(rule, account, now, rule.drillDown.length > 0, budget);
  }

  /** One check of one rule at `now`: judge, decide, store, post. */
  async check(rule: Rule, id: string, account: AccountConfig, now: number): Promise<CheckOutcome> {
    const episode = await this.loadEpisode(id);
    const judgement = await this.judgeRule(rule, account, episode, now);
    const left = judgement.unjudged?.length ?? 0;
    if (left) this.options.logger.info({ rule: id, left }, 'drill-downs left for the next check to stay within the Graph budget');
    // Headline first, by the one rule messages, charts and backtests share.
    const found = rankAnomalies(anomaliesToAlert(judgement, episode, now, account.settleMs));

    const quiet = episode?.status === 'open' ? await this.isQuiet(episode.alertKey, now) : false;
    // A health problem is undone by an event (UNFLAGGED, UPGRADE, REINSTATED): one clean check is enough.
    const health = rule.kind === 'health';
    const decision = decide(
      episode,
      found,
      now,
      {
        remindEvery: rule.remindEvery,
        cleanChecksToResolve: health ? 1 : this.cleanToResolve,
        // A health problem is a state, not a stretch of buckets: it never starts another incident.
        ...(health ? {} : { freshAfter: (this.cleanToResolve * rule.checkEvery) / 1000 }),
      },
      quiet,
      episode && !health ? recovered(episode, judgement, rule) : true,
    );
    const fresh = decision.kind === 'open' || decision.kind === 'reopen';
    const ids = fresh
      ? { alertKey: newAlertKey(), shortId: newShortId() }
      : { alertKey: episode?.alertKey ?? '', shortId: episode?.shortId ?? '' };
    if (decision.kind === 'reopen' && episode) {
      // The incident it told of is over: resolved first, so its thread ends before the new one starts.
      const ended = advance(episode, { kind: 'resolve' }, [], now, ids);
      await this.carryOut(rule, id, account, { kind: 'resolve' }, ended, found, judgement, now);
    }
    const next = advance(episode, decision, found, now, ids);
    const outcome = await this.carryOut(rule, id, account, decision, next, found, judgement, now);
    const judged = judgement.now.length - 1;
    return {
      ...outcome,
      judgement,
      found,
      after: next?.after,
      detail: left
        ? `${outcome.detail}; degraded: ${left} of ${judged + left} drill-downs left for the next check to stay within the Graph call budget`
        : outcome.detail,
    };
  }

  private async carryOut(
    rule: Rule,
    id: string,
    account: AccountConfig,
    decision: Decision,
    episode: EpisodeState | undefined,
    found: Anomaly[],
    judgement: Judgement,
    now: number,
  ): Promise<CheckOutcome> {
    const { store } = this.options;
    if (decision.kind === 'none' || !episode) return { decision: decision.kind, detail: 'clear' };
    if (decision.kind === 'clean') {
      await this.saveEpisode(id, episode);
      return { decision: decision.kind, detail: `clean check ${episode.cleanChecks} for ${episode.shortId}` };
    }
    // Who acknowledged or muted it stays on every redraw (until undone).
    const previous = await store.alerts.alert(episode.alertKey);
    const status = previous?.content.status;
    const base = {
      key: episode.alertKey,
      shortId: episode.shortId,
      accountId: account.id,
      accountName: account.displayName,
      timezone: account.timezone,
      openedAt: episode.openedAt,
      firstBucketStart: episode.firstBucketStart,
      lastBadEnd: episode.lastBadEnd,
      ...(status ? { status } : {}),
    };
    let content: AlertContent;
    if (decision.kind === 'resolve') {
      content = {
        ...base,
        resolved: true,
        lastBadEnd: settledEnd(episode, judgement),
        // Anything found at a resolution is what a reopen opens the next alert with.
        anomalies: recoveryLines(episode, judgement, found.length ? { found, timezone: account.timezone } : undefined),
      };
    } else {
      const added = decision.kind === 'update' ? new Set(decision.added.map(anomalyKey)) : new Set<string>();
      const chart = chartData(found, judgement);
      // A drop on an account just flagged, or with a template paused, says so: the likely cause.
      const phones = found.flatMap((a) => (a.scope.phone ? [a.scope.phone] : []));
      const healthNote = rule.kind === 'drop' ? await healthNoteFor(store, account.id, now, phones) : undefined;
      content = {
        ...base,
        anomalies: found.map((a) => line(a, added.has(anomalyKey(a)))),
        ...(chart ? { chart } : {}),
        ...(healthNote ? { healthNote } : {}),
      };
    }
    // Durable before anything is posted: a store failure here posts nothing, and the retried
    // check finds the alert and posts it then.
    await store.alerts.saveAlert({
      key: episode.alertKey,
      shortId: episode.shortId,
      rule: id,
      accountId: account.id,
      status: episode.status,
      content,
      openedAt: episode.openedAt,
      updatedAt: now,
    });
    await this.saveEpisode(id, episode);
    // Made critical by what it adds: said in the channel, not only in the thread.
    const escalates =
      decision.kind === 'update' &&
      !previous?.content.anomalies.some((a) => a.severity === 'critical') &&
      found.some((a) => a.severity === 'critical');
    const notice = noticeOf(decision, episode, found, escalates);
    await this.notifier.notify(rule, content, notice.kind, now, notice.step);
    return { decision: decision.kind, alert: content, detail: notice.detail };
  }

  private async isQuiet(alertKey: string, now: number): Promise<boolean> {
    const history = await this.options.store.alerts.alertHistory(alertKey);
    const last = history[history.length - 1];
    return last?.status === 'acknowledged' || (last?.status === 'muted' && (last.mutedUntil ?? 0) > now);
  }

  private async loadEpisode(id: string): Promise<EpisodeState | undefined> {
    const row = await this.options.store.alerts.alertEpisode(id);
    if (!row) return undefined;
    // An episode from before the lifecycle kept its state in the summary reads as an empty one: it starts afresh.
    const { summary } = row;
    return {
      alertKey: row.alertKey,
      shortId: summary.shortId ?? row.alertKey.slice(0, 6),
      status: row.status,
      openedAt: row.openedAt,
      lastNotifiedAt: row.lastNotifiedAt,
      reminders: row.reminders,
      cleanChecks: row.cleanChecks,
      resolvedAt: row.resolvedAt,
      announced: summary.announced,
      firstBucketStart: summary.firstBucketStart ?? row.openedAt / 1000,
      lastBadEnd: summary.lastBadEnd ?? row.openedAt / 1000,
      ...(summary.after !== undefined ? { after: summary.after } : {}),
      ...(summary.resumes !== undefined ? { resumes: summary.resumes } : {}),
    };
  }

  private async saveEpisode(id: string, e: EpisodeState): Promise<void> {
    const summary = {
      shortId: e.shortId,
      announced: e.announced,
      firstBucketStart: e.firstBucketStart,
      lastBadEnd: e.lastBadEnd,
      ...(e.after !== undefined ? { after: e.after } : {}),
      ...(e.resumes !== undefined ? { resumes: e.resumes } : {}),
    };
    await this.options.store.alerts.saveAlertEpisode({
      rule: id,
      alertKey: e.alertKey,
      status: e.status,
      openedAt: e.openedAt,
      lastNotifiedAt: e.lastNotifiedAt,
      reminders: e.reminders,
      cleanChecks: e.cleanChecks,
      resolvedAt: e.resolvedAt,
      summary,
    });
  }
}
