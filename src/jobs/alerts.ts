import { DateTime } from 'luxon';
import type { Anomaly } from '../analytics/anomalies.js';
import type { CommandContext } from '../chat/commands.js';
import type { AlertContent, PostOutcome } from '../chat/surface.js';
import { newAlertKey, newShortId } from './alertKeys.js';
import { isStoreUnavailable } from '../store/sql.js';
import { composeReport } from '../compose/composeReport.js';
import { accountToken, type AccountConfig, type Config } from '../config/load.js';
import type { Target } from '../config/schema.js';
import type { Logger } from '../log.js';
import { formatRate } from '../report/format.js';
import { redactSecrets } from '../secrets.js';
import type { AlertEpisode, ChatTarget, Store } from '../store/types.js';

/** Posts an alert (or a reminder, or a resolution) to one target. */
export type AlertPoster = (target: ChatTarget, alert: AlertContent, kind: 'open' | 'remind' | 'resolve') => Promise<PostOutcome>;

export interface AlertCheckerOptions {
  store: Store;
  ctx: CommandContext;
  post: AlertPoster;
  logger: Logger;
  owner: string;
  leaseMs?: number;
  /** Consecutive clean checks before an alert resolves (hysteresis). */
  cleanChecksToResolve?: number;
  /** The Graph client's view of each WABA's hourly call budget, to degrade before it runs out. */
  budget?: { callsInLastHour(wabaId: string): number; callsPerHour: number };
  metrics?: { posts: { inc(labels: { platform: string; outcome: string }): void } };
}

type Rule = Config['alerts'][number];

export function ruleId(rule: Rule, index: number): string {
  return rule.name ? `${rule.account}:${rule.name}` : `${rule.account}:${index}`;
}

function targetOf(t: Target): ChatTarget {
  return 'slack' in t ? { platform: 'slack', conversation: t.slack.channel } : { platform: 'teams', conversation: t.teams.conversation };
}

/**
 * The alert lifecycle: every `checkEvery`, one replica (by claim) checks each rule's account and
 * drill-downs over the last day; anomalies still going on open an alert — all of an account's at
 * once, grouped in one message — that is posted once, reminded every `remindEvery` while nobody
 * acknowledged or muted it, and resolved with a message after two clean checks in a row, so one
 * quiet bucket in a noisy series does not close and reopen it.
 */
export class AlertChecker {
  private readonly leaseMs: number;
  private readonly cleanToResolve: number;

  constructor(private readonly options: AlertCheckerOptions) {
    this.leaseMs = options.leaseMs ?? 10 * 60_000;
    this.cleanToResolve = options.cleanChecksToResolve ?? 2;
  }

  async tick(now = this.options.ctx.now()): Promise<void> {
    const { ctx } = this.options;
    await Promise.all(
      ctx.config.alerts.map(async (rule, index) => {
        const id = ruleId(rule, index);
        const period = String(Math.floor(now / rule.checkEvery));
        if (!(await this.options.store.claimRun(`alert-check:${id}`, period, this.options.owner, now, this.leaseMs))) return;
        // The config's validation guarantees the rule's account exists.
        const account = ctx.config.accounts.find((a) => a.id === rule.account || a.name.toLowerCase() === rule.account.toLowerCase())!;
        // Nearly out of budget: defer this check (a longer interval) rather than be throttled.
        const budget = this.options.budget;
        if (budget && budget.callsInLastHour(account.id) >= budget.callsPerHour * 0.9) {
          this.options.logger.warn({ rule: id }, 'alert check deferred to stay within the Graph budget');
          await this.options.store.finishRun(`alert-check:${id}`, period, { status: 'skipped', detail: 'degraded: check deferred, the Graph call budget is nearly spent', attempts: 0 }, ctx.now());
          return;
        }
        try {
          const outcome = await this.check(rule, id, account, now);
          await this.options.store.finishRun(`alert-check:${id}`, period, { status: 'posted', detail: outcome, attempts: 1 }, ctx.now());
        } catch (err) {
          const detail = redactSecrets((err as Error).message);
          if (isStoreUnavailable(err)) {
            // The store failed mid-check: give the claim back so the next tick (a minute on)
            // runs the check again. If even that fails, the lease hands it over later.
            this.options.logger.warn({ rule: id, err: detail }, 'alert check failed on the store; will retry');
            await this.options.store.releaseRun(`alert-check:${id}`, period, this.options.owner).catch(() => undefined);
            return;
          }
          this.options.logger.warn({ rule: id, err: detail }, 'alert check failed');
          await this.options.store.finishRun(`alert-check:${id}`, period, { status: 'failed', detail, attempts: 1 }, ctx.now());
        }
      }),
    );
  }

  /** Anomalies of the rule's account (and drill-downs) still going on at `now`; `degraded` when drill-downs were dropped for the budget. */
  private async currentAnomalies(rule: Rule, account: AccountConfig, now: number): Promise<{ anomalies: Anomaly[]; degraded: boolean }> {
    const { ctx } = this.options;
    const scoped: AccountConfig = {
      ...account,
      phoneNumbers: rule.scope?.phoneNumbers ?? account.phoneNumbers,
      countries: rule.scope?.countries ?? account.countries,
    };
    const range = { start: Math.floor(now / 1000) - 86_400, end: Math.floor(now / 1000) };
    const detection = { minSent: rule.minSent, ...(rule.rateFloor !== undefined ? { rateFloor: rule.rateFloor } : {}) };
    const token = accountToken(account, ctx.env);
    const found: Anomaly[] = [];
    // Each drill-down costs a call per number or country: near the WABA's budget, check the
    // account as a whole only, rather than get it throttled.
    const budget = this.options.budget;
    const degraded = Boolean(budget && rule.drillDown.length && budget.callsInLastHour(account.id) >= budget.callsPerHour * 0.6);
    // Every report also judges the account as a whole: take that from the first one only, so a
    // rule with drill-downs does not fetch the account's own series once more.
    const dimensions: Array<'phone' | 'country' | undefined> = degraded || rule.drillDown.length === 0 ? [undefined] : rule.drillDown;
    for (const [i, by] of dimensions.entries()) {
      const report = await composeReport({ graph: ctx.graph, now: () => now }, { account: scoped, token, range, granularity: 'half_hour', by, detection });
      found.push(...report.anomalies.filter((a) => (a.scope.kind === 'account' ? i === 0 : a.scope.kind === by)));
    }
    // Still going on: it reaches the newest buckets that have settled.
    const recent = now / 1000 - account.settleMs / 1000 - rule.checkEvery / 1000 - 1800;
    return { anomalies: found.filter((a) => a.end > recent), degraded };
  }

  private async check(rule: Rule, id: string, account: AccountConfig, now: number): Promise<string> {
    const { anomalies, degraded } = await this.currentAnomalies(rule, account, now);
    if (degraded) this.options.logger.warn({ rule: id }, 'alert check degraded to stay within the Graph budget');
    const outcome = await this.advance(rule, id, account, anomalies, now);
    return degraded ? `${outcome}; degraded: drill-downs skipped to stay within the Graph call budget` : outcome;
  }

  /** Move the rule's episode on: open, remind, keep, count a clean check, or resolve. */
  private async advance(rule: Rule, id: string, account: AccountConfig, anomalies: Anomaly[], now: number): Promise<string> {
    const { store } = this.options;
    const episode = await store.alertEpisode(id);
    const open = episode?.status === 'open' ? episode : undefined;

    if (anomalies.length) {
      const stored = open ? await store.alert(open.alertKey) : undefined;
      const alertKey = open?.alertKey ?? newAlertKey();
      const content: AlertContent = {
        key: alertKey,
        shortId: stored?.shortId ?? newShortId(),
        accountId: account.id,
        accountName: account.displayName,
        timezone: account.timezone,
        anomalies: anomalies.map((a) => ({ severity: a.severity, explanation: a.explanation })),
      };
      // The alert is durable before anything is posted about it: a store failure here posts
      // nothing, and the retried check finds the alert and posts it then.
      await store.saveAlert({ key: alertKey, shortId: content.shortId, rule: id, accountId: account.id, status: 'open', content: JSON.stringify(content), openedAt: open?.openedAt ?? now, updatedAt: now });
      if (!open) {
        await store.saveAlertEpisode({ rule: id, alertKey, status: 'open', openedAt: now, lastNotifiedAt: now, reminders: 0, cleanChecks: 0, resolvedAt: null, summary: JSON.stringify(content) });
        await this.notify(rule, content, 'open', now);
        return `opened ${content.shortId} (${anomalies.length} anomal${anomalies.length === 1 ? 'y' : 'ies'})`;
      }
      // Posts claimed but never made (a crash between saving and posting) are made now.
      await this.notify(rule, content, 'open', now);
      const history = await store.alertHistory(alertKey);
      const last = history[history.length - 1];
      const quiet = last?.status === 'acknowledged' || (last?.status === 'muted' && (last.mutedUntil ?? 0) > now);
      if (!quiet && now - open.lastNotifiedAt >= rule.remindEvery) {
        await this.notify(rule, content, 'remind', now, `remind-${open.reminders + 1}`);
        await store.saveAlertEpisode({ ...open, lastNotifiedAt: now, reminders: open.reminders + 1, cleanChecks: 0, summary: JSON.stringify(content) });
        return `reminded ${alertKey}`;
      }
      await store.saveAlertEpisode({ ...open, cleanChecks: 0, summary: JSON.stringify(content) });
      return `still open ${alertKey}${quiet ? ` (${last?.status})` : ''}`;
    }

    if (!open) return 'clear';
    const cleanChecks = open.cleanChecks + 1;
    if (cleanChecks < this.cleanToResolve) {
      await store.saveAlertEpisode({ ...open, cleanChecks });
      return `clean check ${cleanChecks} for ${open.alertKey}`;
    }
    const since = DateTime.fromMillis(now - (cleanChecks - 1) * rule.checkEvery - account.settleMs, { zone: account.timezone }).toFormat('HH:mm');
    const rate = await this.recentRate(rule, account, now);
    const previous = JSON.parse(open.summary) as AlertContent;
    const resolution: AlertContent = { ...previous, resolved: true, anomalies: [{ severity: 'warning', explanation: `Resolved: delivery back to ${formatRate(rate)} since ${since} (${account.timezone}).` }] };
    await store.saveAlert({ key: open.alertKey, shortId: previous.shortId, rule: id, accountId: account.id, status: 'resolved', content: JSON.stringify(resolution), openedAt: open.openedAt, updatedAt: now });
    await store.saveAlertEpisode({ ...open, status: 'resolved', cleanChecks, resolvedAt: now });
    await this.notify(rule, resolution, 'resolve', now);
    return `resolved ${open.alertKey}`;
  }

  /** The account's delivery rate over the settled hour before `now`. */
  private async recentRate(rule: Rule, account: AccountConfig, now: number): Promise<number | null> {
    const end = Math.floor((now - account.settleMs) / 1000);
    const report = await composeReport(
      { graph: this.options.ctx.graph, now: () => now },
      { account, token: accountToken(account, this.options.ctx.env), range: { start: end - 3600, end }, granularity: 'half_hour', detection: { minSent: rule.minSent } },
    );
    return report.totals.deliveryRate;
  }

  /** Post to every target of the rule that has alerts on and is not muted, each exactly once. */
  private async notify(rule: Rule, content: AlertContent, kind: 'open' | 'remind' | 'resolve', now: number, step: string = kind): Promise<void> {
    const { store, logger } = this.options;
    for (const t of rule.targets) {
      const target = targetOf(t);
      const setting = (await store.alertSettings(target)).find((s) => s.accountId === content.accountId);
      if (setting && (!setting.enabled || (kind !== 'resolve' && (setting.mutedUntil ?? 0) > now))) continue;
      const job = `alert-post:${content.key}:${target.platform}:${target.conversation}`;
      if (!(await store.claimRun(job, step, this.options.owner, now, this.leaseMs))) continue;
      let outcome: PostOutcome;
      try {
        outcome = await this.options.post(target, content, kind);
      } catch (err) {
        const detail = redactSecrets((err as Error).message);
        logger.warn({ alert: content.shortId, platform: target.platform, conversation: target.conversation, kind, err: detail }, 'alert post failed');
        this.options.metrics?.posts.inc({ platform: target.platform, outcome: 'failed' });
        await store.finishRun(job, step, { status: 'failed', detail, attempts: 1 }, now);
        continue;
      }
      this.options.metrics?.posts.inc({ platform: target.platform, outcome: outcome.delivered ? 'posted' : 'gone' });
      if (outcome.delivered) {
        // Where the alert went: an action counts only in a conversation that got the alert.
        await store.saveAlertMessage({ alertKey: content.key, platform: target.platform, conversation: target.conversation, ref: outcome.ref, postedAt: now });
        await store.finishRun(job, step, { status: 'posted', attempts: 1 }, now);
      } else {
        logger.warn({ alert: content.shortId, platform: target.platform, conversation: target.conversation }, 'alert not posted: the conversation is gone');
        await store.finishRun(job, step, { status: 'failed', detail: 'the conversation is gone', attempts: 1 }, now);
      }
    }
  }
}
