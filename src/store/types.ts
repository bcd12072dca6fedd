/**
 * What waba-pulse keeps between requests: a repository per concern (runs, alerts, preferences, rules,
 * conversations, buckets, statuses, seen-marks, health events), each consumer given only the
 * ones it uses (`StoreWith<'runs' | 'alerts'>`). One implementation on SQL: SQLite (default) or
 * PostgreSQL (src/store/sql.ts, src/store/*Repository.ts).
 */
import type { ChatTarget, Platform } from '../vocabulary/chat.js';
import type { HealthEventRecord } from '../vocabulary/health.js';
import type { StatusCount, StatusTotal } from '../vocabulary/statuses.js';
import type { AlertDocument, EpisodeSummary, SettleStatsDocument } from './documents.js';

export type {
  AlertChartDocument,
  AlertDocument,
  AlertLineDocument,
  AlertStatusDocument,
  EpisodeSummary,
  SettleStatsDocument,
} from './documents.js';
export type { ChatTarget, Platform };

export interface Subscription extends ChatTarget {
  id: string;
  accountId: string;
  every: 'daily' | 'weekly';
  /** HH:MM local time. */
  at: string;
  timezone: string;
  /** ISO weekday a weekly digest goes out on (1 = Monday, what `subscribe` makes). */
  weekday: number;
  /** The digest's breakdown, as the config's `by` (none: totals only). */
  by: 'phone' | 'country' | undefined;
  createdBy: string;
  createdAt: number;
  /** Each change made in a form makes the next version; an edit names the one it started from. */
  version: number;
  updatedBy: string;
  updatedAt: number;
}

/** A subscription as `subscribe` or a form asks for it (weekday and breakdown optional). */
export type NewSubscription = Omit<Subscription, 'id' | 'createdAt' | 'version' | 'updatedBy' | 'updatedAt' | 'weekday' | 'by'> & {
  weekday?: number | undefined;
  by?: Subscription['by'];
};

/** What a digest form changes of a stored subscription (its conversation stays). */
export type DigestFields = Pick<Subscription, 'accountId' | 'every' | 'at' | 'timezone' | 'weekday' | 'by'>;

/** One change of a digest made in a form: who, when, and its fields before and after (null when absent). */
export interface DigestChange {
  digestId: string;
  version: number;
  action: 'create' | 'update' | 'delete';
  by: string;
  at: number;
  /** The digest's fields and its conversation (the log outlives the digest). */
  before: (DigestFields & ChatTarget) | null;
  after: (DigestFields & ChatTarget) | null;
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

/** Whether a key's span holds the bucket at `start` (a cached read may begin there). */
export function coversStart(coverage: BucketCoverage | undefined, start: number): coverage is BucketCoverage {
  return coverage !== undefined && coverage.start <= start && start < coverage.end;
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
  /** What it announced so far, and its bad stretch. */
  summary: EpisodeSummary;
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
  /** What the alert says now (its anomalies); messages are redrawn from this alone. */
  content: AlertDocument;
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

/** Scheduled runs (digests for a period, alert checks and notifications): claimed before they post. */
export interface RunRepository {
  /**
   * Claim a run for this process: true if it is ours to do. A claim left unfinished for longer
   * than `leaseMs` (its process died) may be taken over.
   */
  claimRun(job: string, period: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  finishRun(job: string, period: string, outcome: RunOutcome, now: number): Promise<void>;
  /** Give back unfinished claims of this process (graceful shutdown). */
  releaseRuns(owner: string): Promise<number>;
  /** Give back one unfinished claim (its run failed on the store): the next tick retries it. */
  releaseRun(job: string, period: string, owner: string): Promise<void>;
  listRuns(options?: { limit?: number; job?: string }): Promise<RunRecord[]>;
}

export interface RunOutcome {
  status: Exclude<RunStatus, 'claimed'>;
  detail?: string | undefined;
  attempts: number;
}

/** Alerts as raised, the episode of each rule, who acted on them, and where they were posted. */
export interface AlertRepository {
  saveAlert(alert: StoredAlert): Promise<void>;
  alert(key: string): Promise<StoredAlert | undefined>;
  /** The alerts open now on these accounts, newest first. */
  openAlerts(accountIds: readonly string[]): Promise<StoredAlert[]>;
  alertEpisode(rule: string): Promise<AlertEpisode | undefined>;
  saveAlertEpisode(episode: AlertEpisode): Promise<void>;
  /** Record who acknowledged or muted an alert (by its key), newest last. */
  recordAlertAction(alertKey: string, action: AlertAction): Promise<void>;
  alertHistory(alertKey: string): Promise<AlertAction[]>;
  saveAlertMessage(message: AlertMessage): Promise<void>;
  alertMessage(alertKey: string, target: ChatTarget): Promise<AlertMessage | undefined>;
}

/** What each conversation asked for: digest subscriptions, and alerts on, off or muted per account. */
export interface PreferenceRepository {
  /** `subscribe`: one subscription per target, account and period; subscribing again updates it. */
  addSubscription(subscription: NewSubscription, now: number): Promise<Subscription>;
  /**
   * A digest from a form: refused (DigestTakenError) when the conversation already has one for the
   * account and period; logged.
   */
  createDigest(subscription: NewSubscription, now: number): Promise<Subscription>;
  /**
   * Change a subscription still at `expectedVersion` (StaleDigestError otherwise, DigestNotFoundError
   * when gone, DigestTakenError when it would double another); logged.
   */
  updateDigest(id: string, expectedVersion: number, fields: DigestFields, by: string, now: number): Promise<Subscription>;
  /** Delete a subscription still at `expectedVersion` (StaleDigestError, DigestNotFoundError otherwise); logged. */
  deleteDigest(id: string, expectedVersion: number, by: string, now: number): Promise<void>;
  subscription(id: string): Promise<Subscription | undefined>;
  digestChanges(id: string): Promise<DigestChange[]>;
  /** The latest changes of every digest, newest first. */
  recentDigestChanges(limit: number): Promise<DigestChange[]>;
  /** Removes every subscription of the target to the account; returns how many. */
  removeSubscriptions(target: ChatTarget, accountId: string, change?: { by: string; now: number }): Promise<number>;
  listSubscriptions(target?: ChatTarget): Promise<Subscription[]>;
  setAlertsEnabled(target: ChatTarget, accountId: string, enabled: boolean): Promise<void>;
  muteAlerts(target: ChatTarget, accountId: string, until: number): Promise<void>;
  alertSettings(target: ChatTarget): Promise<AlertSetting[]>;
}

/** Where a bot may post proactively (Teams conversation references), and which went quiet. */
export interface ConversationRepository {
  /** Keep where a conversation can be reached; `overwrite: false` keeps a reference already stored. */
  saveConversation(record: Omit<ConversationRecord, 'active' | 'inactiveReason'>, options?: { overwrite?: boolean }): Promise<void>;
  markConversationInactive(conversation: string, reason: string, now: number): Promise<void>;
  conversation(conversation: string): Promise<ConversationRecord | undefined>;
  listConversations(options?: { activeOnly?: boolean }): Promise<ConversationRecord[]>;
}

/** Graph's settled buckets per cache key, and what the cache learns of how deliveries settle. */
export interface BucketRepository {
  /** The span of settled buckets cached for a key (UNIX seconds), if any, and what Graph listed. */
  bucketCoverage(key: string): Promise<BucketCoverage | undefined>;
  readBuckets(key: string, start: number, end: number): Promise<CachedBucket[]>;
  /**
   * What the cache holds from `start`: the key's span, when it covers `start`, and its buckets
   * from `start` to the span's end or `end` — read together, so the buckets are all the span promises.
   */
  readCovered(key: string, start: number, end: number): Promise<{ coverage: BucketCoverage; points: CachedBucket[] } | undefined>;
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
  /** How an account's deliveries arrive after a bucket ends (see analytics/settle.ts). */
  settleStats(accountId: string): Promise<SettleStatsDocument | undefined>;
  /** Change an account's stats from what is stored now (`update` gets it, or undefined), one writer at a time. */
  updateSettleStats(accountId: string, update: (stats: SettleStatsDocument | undefined) => SettleStatsDocument, now: number): Promise<void>;
}

/** Status webhook events counted per minute, number, country, status and failure code. */
export interface StatusRepository {
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
   * Drop status counts older than `before` (UNIX seconds), account by account (the key starts
   * with the account, so each delete is a range of the primary key, not a scan).
   */
  pruneStatuses(accountIds: readonly string[], before: number): Promise<number>;
}

/** Keys already handled (request signatures, command ids, webhook events), until they expire. */
export interface SeenRepository {
  /**
   * Of `keys`, the ones not seen within their time to live (and now marked seen until
   * `now + ttlMs`): replays and duplicate deliveries are recognised across replicas and restarts.
   */
  firstSeen(keys: readonly string[], now: number, ttlMs: number): Promise<Set<string>>;
  /** Drop expired seen-marks (called now and then by the service). */
  pruneSeen(now: number): Promise<number>;
}

/** Account, number and template health notifications, each kept once. */
export interface HealthEventRepository {
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
  /** Drop health events older than `before` (UNIX seconds): kept as long as status counts. */
  pruneHealthEvents(before: number): Promise<number>;
}

/**
 * An alert rule made in chat: the rule as a person would write it under `alerts:` in the YAML
 * (validated by the config's own schema before it is stored, and again before it runs), the
 * conversation it belongs to, and its version (each change makes the next one).
 */
export interface StoredRule {
  id: string;
  /** The conversation whose rule it is (and where it posts). */
  owner: ChatTarget;
  /** The YAML shape of the rule (`{ account, source, minSent, targets: [{ slack: C… }] }`). */
  definition: Record<string, unknown>;
  version: number;
  createdBy: string;
  createdAt: number;
  updatedBy: string;
  updatedAt: number;
}

export type RuleChangeAction = 'create' | 'update' | 'delete';

/** One change of a chat-made rule: who, when, and the rule before and after (null when absent). */
export interface RuleChange {
  ruleId: string;
  /** The version the change made (a delete makes one too: the log has one entry per version). */
  version: number;
  action: RuleChangeAction;
  by: string;
  at: number;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Alert rules made in chat, and the log of every change to them. */
export interface RuleRepository {
  createRule(input: { owner: ChatTarget; definition: Record<string, unknown>; by: string }, now: number): Promise<StoredRule>;
  /**
   * Replace a rule's definition, if it is still at `expectedVersion`: otherwise StaleRuleError
   * (someone else changed it first; nothing is written), or RuleNotFoundError.
   */
  updateRule(id: string, expectedVersion: number, definition: Record<string, unknown>, by: string, now: number): Promise<StoredRule>;
  /** Delete a rule still at `expectedVersion` (StaleRuleError, RuleNotFoundError otherwise). */
  deleteRule(id: string, expectedVersion: number, by: string, now: number): Promise<void>;
  rule(id: string): Promise<StoredRule | undefined>;
  /** Every rule, or those of one conversation, oldest first. */
  listRules(owner?: ChatTarget): Promise<StoredRule[]>;
  /** A rule's changes, oldest first (kept after it is deleted). */
  ruleChanges(id: string): Promise<RuleChange[]>;
  /** The latest changes of every chat-made rule, newest first. */
  recentRuleChanges(limit: number): Promise<RuleChange[]>;
}

/** Every repository, by the name a consumer asks for it by. */
export interface Repositories {
  runs: RunRepository;
  alerts: AlertRepository;
  preferences: PreferenceRepository;
  conversations: ConversationRepository;
  buckets: BucketRepository;
  statuses: StatusRepository;
  seen: SeenRepository;
  health: HealthEventRepository;
  rules: RuleRepository;
}

/** What a consumer is given: only the repositories it names. */
export type StoreWith<K extends keyof Repositories> = Pick<Repositories, K>;

/** The store as opened: every repository on one database, and the database's lifecycle. */
export interface Store extends Repositories {
  readonly dialect: 'sqlite' | 'postgres';
  /** Bring the schema up to date; returns the versions applied now. */
  migrate(): Promise<string[]>;
  /** A cheap round trip: /healthz asks it. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
