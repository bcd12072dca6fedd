/**
 * What waba-pulse keeps between requests. One interface; the chat surfaces and the scheduler use
 * nothing else. One implementation on SQL: SQLite (default) or PostgreSQL (src/store/sql.ts).
 */
import type { ChatTarget, Platform } from '../vocabulary/chat.js';
import type { HealthEventRecord } from '../vocabulary/health.js';
import type { StatusCount, StatusTotal } from '../vocabulary/statuses.js';

export type { ChatTarget, Platform };

export interface Subscription extends ChatTarget {
  id: string;
  accountId: string;
  every: 'daily' | 'weekly';
  /** HH:MM local time. */
  at: string;
  timezone: string;
  createdBy: string;
  createdAt: number;
}

export interface AlertSetting extends ChatTarget {
  accountId: string;
  enabled: boolean;
  mutedUntil: number | null;
}

export type AlertStatus = 'open' | 'acknowledged' | 'muted' | 'resolved';

export interface AlertAction {
  status: AlertStatus;
  by: string;
  at: number;
  mutedUntil?: number | undefined;
}

/** Where a Teams bot may post proactively: the conversation reference it was given. */
export interface ConversationRecord {
  conversation: string;
  /** Bot Framework ConversationReference, as JSON. */
  reference: Record<string, unknown>;
  tenant: string | null;
  active: boolean;
  /** Why it went inactive (the connector's answer), when it did. */
  inactiveReason: string | null;
  updatedAt: number;
}

export type RunStatus = 'claimed' | 'posted' | 'failed' | 'skipped';

/** One scheduled run (a digest for a period, an alert notification), claimed before it posts. */
export interface RunRecord {
  job: string;
  period: string;
  status: RunStatus;
  claimedBy: string;
  claimedAt: number;
  finishedAt: number | null;
  attempts: number;
  /** What happened: the error of a failure, why it was skipped. */
  detail: string | null;
}

export interface CachedBucket {
  start: number;
  end: number;
  sent: number;
  delivered: number;
}

export interface BucketCoverage {
  start: number;
  end: number;
  phoneNumbers: string[];
  countryCodes: string[];
}

/** The current (or last) episode of an alert rule. */
export interface AlertEpisode {
  rule: string;
  alertKey: string;
  status: 'open' | 'resolved';
  openedAt: number;
  lastNotifiedAt: number;
  reminders: number;
  /** Consecutive checks without an anomaly: resolution needs two (no flapping). */
  cleanChecks: number;
  resolvedAt: number | null;
  /** JSON of what was last posted (the grouped anomalies). */
  summary: string;
}

/** An alert as it was raised: what its buttons act on and what its messages are redrawn from. */
export interface StoredAlert {
  /** Unguessable: the only thing a button carries. */
  key: string;
  /** What people read and say: "A-7K3F". */
  shortId: string;
  rule: string;
  accountId: string;
  status: 'open' | 'resolved';
  /** JSON of what the alert says now (its anomalies); messages are redrawn from this alone. */
  content: string;
  openedAt: number;
  updatedAt: number;
}

/** One alert's message in one conversation: where to edit it, and that it was posted there. */
export interface AlertMessage extends ChatTarget {
  alertKey: string;
  /** Slack message ts, or Teams activity id. */
  ref: string;
  postedAt: number;
}

export type { StatusCount, StatusTotal } from '../vocabulary/statuses.js';

export interface Store {
  /** A cheap round trip: /healthz asks it. */
  ping(): Promise<void>;

  /**
   * Count status events once each: in one transaction, mark their keys seen (until `now +
   * ttlMs`) and add to the per-minute counts only the events not seen before. Durable when it
   * resolves.
   */
  recordStatuses(
    events: ReadonlyArray<Omit<StatusCount, 'count'> & { dedupeKey: string; sentKey?: string | undefined }>,
    now: number,
    ttlMs: number,
    /** PostgreSQL: the transaction's statement and lock timeout; past it, StoreTimeoutError. */
    options?: { statementTimeoutMs?: number | undefined },
  ): Promise<{ counted: number; duplicates: number }>;
  /** Per-minute counts of an account in [from, to) (UNIX seconds). */
  statusCounts(accountId: string, from: number, to: number): Promise<StatusCount[]>;
  /** The same counts summed over [from, to) per number, country, status, code and category: a day in a few rows. */
  statusTotals(accountId: string, from: number, to: number): Promise<StatusTotal[]>;
  /** The first minute any status was counted for the account, if ever. */
  firstStatusMinute(accountId: string): Promise<number | undefined>;

  /**
   * Keep health notifications once each: in one transaction, insert those whose key (a hash of
   * the notification's account, time, field and value) is not kept yet. Durable when it resolves.
   */
  recordHealthEvents(
    events: ReadonlyArray<HealthEventRecord & { dedupeKey: string }>,
    options?: { statementTimeoutMs?: number | undefined },
  ): Promise<{ recorded: number; duplicates: number }>;
  /** An account's health events in [from, to) (UNIX seconds), newest first, at most `limit`. */
  healthEvents(accountId: string, from: number, to: number, limit?: number): Promise<HealthEventRecord[]>;

  addSubscription(subscription: Omit<Subscription, 'id' | 'createdAt'>, now: number): Promise<Subscription>;
  /** Removes every subscription of the target to the account; returns how many. */
  removeSubscriptions(target: ChatTarget, accountId: string): Promise<number>;
  listSubscriptions(target?: ChatTarget): Promise<Subscription[]>;

  setAlertsEnabled(target: ChatTarget, accountId: string, enabled: boolean): Promise<void>;
  muteAlerts(target: ChatTarget, accountId: string, until: number): Promise<void>;
  alertSettings(target: ChatTarget): Promise<AlertSetting[]>;

  /** Record who acknowledged or muted an alert (by its key), newest last. */
  recordAlertAction(alertKey: string, action: AlertAction): Promise<void>;
  alertHistory(alertKey: string): Promise<AlertAction[]>;

  /**
   * Claim a run for this process: true if it is ours to do. A claim left unfinished for longer
   * than `leaseMs` (its process died) may be taken over.
   */
  claimRun(job: string, period: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  finishRun(
    job: string,
    period: string,
    outcome: { status: Exclude<RunStatus, 'claimed'>; detail?: string | undefined; attempts: number },
    now: number,
  ): Promise<void>;
  /** Give back unfinished claims of this process (graceful shutdown). */
  releaseRuns(owner: string): Promise<number>;
  /** Give back one unfinished claim (its run failed on the store): the next tick retries it. */
  releaseRun(job: string, period: string, owner: string): Promise<void>;
  listRuns(options?: { limit?: number; job?: string }): Promise<RunRecord[]>;

  /** The span of settled buckets cached for a key (UNIX seconds), if any, and what Graph listed. */
  bucketCoverage(key: string): Promise<BucketCoverage | undefined>;
  readBuckets(key: string, start: number, end: number): Promise<CachedBucket[]>;
  /**
   * Keep Graph's settled buckets of `span` for a key (`points`: all Graph had there, empty
   * buckets omitted). The key's span grows by it where the two meet or overlap (only the part not
   * kept yet is written: settled buckets are final), and is replaced by it otherwise; buckets
   * before `keepFrom` are dropped. Writers of one key take turns, on every replica, so concurrent
   * reports never collide. Returns the key's coverage now.
   */
  writeBuckets(
    key: string,
    span: { start: number; end: number },
    points: readonly CachedBucket[],
    listed: Pick<BucketCoverage, 'phoneNumbers' | 'countryCodes'>,
    keepFrom?: number,
  ): Promise<BucketCoverage>;

  alertEpisode(rule: string): Promise<AlertEpisode | undefined>;
  saveAlertEpisode(episode: AlertEpisode): Promise<void>;

  /** Keep where a conversation can be reached; `overwrite: false` keeps a reference already stored. */
  saveConversation(record: Omit<ConversationRecord, 'active' | 'inactiveReason'>, options?: { overwrite?: boolean }): Promise<void>;
  markConversationInactive(conversation: string, reason: string, now: number): Promise<void>;
  conversation(conversation: string): Promise<ConversationRecord | undefined>;
  listConversations(options?: { activeOnly?: boolean }): Promise<ConversationRecord[]>;

  saveAlert(alert: StoredAlert): Promise<void>;
  alert(key: string): Promise<StoredAlert | undefined>;
  saveAlertMessage(message: AlertMessage): Promise<void>;
  alertMessage(alertKey: string, target: ChatTarget): Promise<AlertMessage | undefined>;

  /**
   * Of `keys`, the ones not seen within their time to live (and now marked seen until
   * `now + ttlMs`): replays and duplicate deliveries are recognised across replicas and restarts.
   */
  firstSeen(keys: readonly string[], now: number, ttlMs: number): Promise<Set<string>>;

  /** How an account's deliveries arrive after a bucket ends (see analytics/settle.ts), as JSON. */
  settleStats(accountId: string): Promise<string | undefined>;
  /** Change an account's stats from what is stored now (`update` gets it, or undefined), one writer at a time. */
  updateSettleStats(accountId: string, update: (stats: string | undefined) => string, now: number): Promise<void>;

  close(): Promise<void>;
}
