import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { BreakdownDimension } from '../analytics/breakdown.js';
import type { ReportSpec } from '../compose/reportPlan.js';
import { lookupAccount } from '../config/accounts.js';
import type { AccountConfig, Config } from '../config/load.js';
import { resolveRange } from '../query/range.js';
import type { ChatTarget, Subscription } from '../store/types.js';
import { type Occurrence, occurrencesBetween } from './schedule.js';

/**
 * A digest, wherever it was defined: under `digests:` in the config file, or by a chat
 * `subscribe`. One shape, one scheduler path, one way its report is built — `serve`, `check` and
 * the demo all read digests through here.
 */
export interface DigestDefinition {
  /** Stable across restarts and replicas: the job its runs are claimed under. */
  job: string;
  source: 'config' | 'chat';
  /** Where the definition sits, for messages: `digests[0]`, or the subscription id. */
  origin: string;
  accountId: string;
  every: 'daily' | 'weekly';
  at: string;
  /** ISO weekday of a weekly digest: 1 = Monday. */
  weekday: number;
  timezone: string;
  by: BreakdownDimension | undefined;
  target: ChatTarget;
  /** Occurrences before this are not owed (a subscription made today owes no earlier digest). */
  since: number;
}

/** The config's `day` as an ISO weekday. */
export const WEEKDAYS = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 } as const;

/** Each config digest's targets as definitions of their own: each target is posted (and claimed) once. */
export function configDigests(config: Config): DigestDefinition[] {
  return config.digests.flatMap((d, i) => {
    const account = lookupAccount(config.accounts, d.account)!; // validated on load
    const timezone = d.timezone ?? account.timezone;
    return d.targets.map((target) => {
      // The job is named by what the digest is, so editing another digest never renames this one.
      const identity = JSON.stringify([
        account.id,
        d.every,
        d.at,
        d.every === 'weekly' ? d.day : '',
        timezone,
        d.by ?? '',
        target.platform,
        target.conversation,
      ]);
      const job = `digest:config:${createHash('sha256').update(identity).digest('base64url').slice(0, 16)}`;
      return {
        job,
        source: 'config' as const,
        origin: `digests[${i}]`,
        accountId: account.id,
        every: d.every,
        at: d.at,
        weekday: WEEKDAYS[d.day],
        timezone,
        by: d.by,
        target,
        since: 0,
      };
    });
  });
}

export function subscriptionDigest(s: Subscription): DigestDefinition {
  return {
    job: `digest:${s.id}`,
    source: 'chat',
    origin: s.id,
    accountId: s.accountId,
    every: s.every,
    at: s.at,
    weekday: s.weekday,
    timezone: s.timezone,
    by: s.by,
    target: { platform: s.platform, conversation: s.conversation },
    since: s.createdAt,
  };
}

/**
 * Every digest to run: the config's, and the chat subscriptions' — except a subscription the
 * config already covers (same conversation, account and period), so no channel gets two.
 */
export function allDigests(config: Config, subscriptions: readonly Subscription[]): DigestDefinition[] {
  const fromConfig = configDigests(config);
  const covered = new Set(fromConfig.map((d) => coverageKey(d)));
  return [...fromConfig, ...subscriptions.map(subscriptionDigest).filter((d) => !covered.has(coverageKey(d)))];
}

export function coverageKey(d: Pick<DigestDefinition, 'target' | 'accountId' | 'every'>): string {
  return `${d.target.platform}|${d.target.conversation}|${d.accountId}|${d.every}`;
}

export function digestOccurrences(d: DigestDefinition, fromMs: number, toMs: number): Occurrence[] {
  return occurrencesBetween({ every: d.every, at: d.at, timezone: d.timezone, weekday: d.weekday }, fromMs, toMs).filter(
    (o) => o.at >= d.since,
  );
}

/** The next time the digest is due after `nowMs`. */
export function nextOccurrence(d: DigestDefinition, nowMs: number): Occurrence | undefined {
  return digestOccurrences(d, nowMs, nowMs + 8 * 86_400_000)[0];
}

/**
 * The report a digest occurrence posts: the day before it (daily) or the seven whole days before
 * it (weekly), in the account's zone — fixed by when it was due, not when it ran.
 */
export function digestReport(d: Pick<DigestDefinition, 'every' | 'by'>, account: AccountConfig, dueAtMs: number): ReportSpec {
  const { range } = resolveRange(d.every === 'daily' ? { preset: 'yesterday' } : { last: '7d' }, account.timezone, dueAtMs);
  return { range: { from: String(range.start), to: String(range.end) }, by: d.by };
}

/** "daily at 09:00 Asia/Kolkata", "weekly on Monday at 08:30 Europe/Berlin". */
export function describeSchedule(d: Pick<DigestDefinition, 'every' | 'at' | 'weekday' | 'timezone'>): string {
  const day = d.every === 'weekly' ? ` on ${DateTime.fromObject({ weekday: d.weekday as 1 }).toFormat('cccc')}` : '';
  return `${d.every}${day} at ${d.at} ${d.timezone}`;
}
