import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, type MigrationProvider, Migrator, SqliteDialect, sql, type Transaction } from 'kysely';
import { ConfigError, StoreError, StoreTimeoutError, StoreUnavailableError, WabaPulseError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import type { HealthEventRecord } from '../vocabulary/health.js';
import { storeLocation } from './location.js';
import { migrationsFor } from './migrations.js';
import { OwnSchemaPostgresDialect } from './schemaIntrospector.js';
import type {
  AlertAction,
  AlertEpisode,
  AlertMessage,
  AlertSetting,
  BucketCoverage,
  CachedBucket,
  ChatTarget,
  ConversationRecord,
  RunRecord,
  RunStatus,
  StatusCount,
  StatusTotal,
  Store,
  StoredAlert,
  Subscription,
} from './types.js';
import { isStoreUnavailable } from './unavailable.js';

type Ms = number | string;

interface Tables {
  subscriptions: {
    id: string;
    platform: string;
    conversation: string;
    account_id: string;
    every: string;
    at: string;
    timezone: string;
    created_by: string;
    created_at: Ms;
  };
  alert_settings: { platform: string; conversation: string; account_id: string; enabled: number; muted_until: Ms | null };
  alert_actions: { alert_key: string; seq: number; status: string; by: string; at: Ms; muted_until: Ms | null };
  conversations: {
    conversation: string;
    reference: string;
    tenant: string | null;
    active: number;
    inactive_reason: string | null;
    updated_at: Ms;
  };
  alert_state: {
    rule: string;
    alert_key: string;
    status: string;
    opened_at: Ms;
    last_notified_at: Ms;
    reminders: number;
    clean_checks: number;
    resolved_at: Ms | null;
    summary: string;
  };
  bucket_cache: { key: string; start: Ms; end: Ms; sent: Ms; delivered: Ms };
  bucket_coverage: { key: string; start: Ms; end: Ms; listed: string };
  runs: {
    job: string;
    period: string;
    status: string;
    claimed_by: string;
    claimed_at: Ms;
    finished_at: Ms | null;
    attempts: number;
    detail: string | null;
  };
  alerts: {
    key: string;
    short_id: string;
    rule: string;
    account_id: string;
    status: string;
    content: string;
    opened_at: Ms;
    updated_at: Ms;
  };
  alert_messages: { alert_key: string; platform: string; conversation: string; ref: string; posted_at: Ms };
  seen_keys: { key: string; expires_at: Ms };
  settle_stats: { account_id: string; stats: string; updated_at: Ms };
  status_counts: {
    account_id: string;
    minute: Ms;
    phone: string;
    country: string;
    status: string;
    code: number;
    category: string;
    count: Ms;
  };
  health_events: {
    account_id: string;
    dedupe_key: string;
    at: Ms;
    field: string;
    event: string;
    subject: string;
    detail: string;
    data: string;
  };
}

/** The first of PostgreSQL's two advisory lock keys: sets waba-pulse's writer locks apart from anyone else's on the database. */
const WRITER_LOCKS = 0x77617062;
/**
 * Longest a PostgreSQL writer waits for another (oneWriter's lock_timeout): far more than a write
 * takes even on a crowded machine (a second or two), little enough for a report to still go out
 * when a session holds a lock for good.
 */
const WRITER_WAIT_MS = 15_000;

/** PostgreSQL returns BIGINT as a string: milliseconds and counts fit a double exactly. */
const num = (value: Ms | null): number | null => (value === null ? null : Number(value));

/**
 * The store on SQL: SQLite (better-sqlite3, a file under ./data, the default) or PostgreSQL
 * (`DATABASE_URL=postgres://...`), through one Kysely query builder — one copy of every query.
 * Every failure to reach the database comes out as a StoreUnavailableError, which callers
 * retry or degrade around; nothing here takes the process down.
 */
export class SqlStore implements Store {
  constructor(
    readonly db: Kysely<Tables>,
    readonly dialect: 'sqlite' | 'postgres',
    /** PostgreSQL schema of the migration tables: named, since Kysely would otherwise accept them from any schema. */
    private readonly schema?: string,
    private readonly writerWaitMs = WRITER_WAIT_MS,
  ) {}

  /** Run a query; connection failures become StoreUnavailableError (scrubbed of secrets). */
  private async q<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof WabaPulseError) throw err;
      if (isStoreUnavailable(err)) {
        const reason = redactSecrets((err as Error).message || String((err as { code?: string }).code));
        throw new StoreUnavailableError(
          `the database is unreachable (${reason})`,
          'check DATABASE_URL and that the database is running; waba-pulse reconnects by itself',
          { cause: err },
        );
      }
      throw err;
    }
  }

  /**
   * A read-then-write transaction that one writer at a time runs for `lock`, across every
   * replica on the database: PostgreSQL waits on a transaction-scoped advisory lock of the name
   * (writers of other names go on in parallel, and nobody holds a row lock while waiting for
   * another, so they cannot deadlock); SQLite takes its write lock up front (BEGIN IMMEDIATE,
   * waiting out busy_timeout) instead of failing to upgrade a read already made. On PostgreSQL
   * no writer waits longer than `writerWaitMs` — for the lock, or for a table another session
   * locked — so a stuck writer delays the others (and the reports behind them) that much at most.
   */
  private async oneWriter<T>(lock: string, work: (tx: Kysely<Tables>) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres')
      return this.db
        .transaction()
        .execute(async (tx) => {
          await sql`select set_config('lock_timeout', ${`${this.writerWaitMs}ms`}, true)`.execute(tx);
          await sql`select pg_advisory_xact_lock(${WRITER_LOCKS}, hashtext(${`${this.schema}.${lock}`}))`.execute(tx);
          return work(tx);
        })
        .catch((err: unknown) => {
          if ((err as { code?: string }).code !== '55P03') throw err;
          throw new StoreTimeoutError(`the store was busy for more than ${this.writerWaitMs} ms (55P03)`, 'try again in a minute', {
            cause: err,
          });
        });
    return this.db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await work(connection);
        await sql`commit`.execute(connection);
        return result;
      } catch (err) {
        await sql`rollback`.execute(connection).catch(() => undefined);
        throw err;
      }
    });
  }

  /** Bring the schema up to date; returns the versions applied now. */
  async migrate(): Promise<string[]> {
    const provider: MigrationProvider = { getMigrations: async () => migrationsFor(this.dialect) };
    const { error, results } = await this.q(() =>
      new Migrator({ db: this.db, provider, ...(this.schema ? { migrationTableSchema: this.schema } : {}) }).migrateToLatest(),
    );
    if (error) {
      if (isStoreUnavailable(error))
        throw new StoreUnavailableError(
          `cannot reach the database (${redactSecrets((error as Error).message)})`,
          'check DATABASE_URL and that the database is running',
        );
      throw new StoreError(
        `database migration failed: ${redactSecrets((error as Error).message)}`,
        'check DATABASE_URL and that the database user may create tables',
      );
    }
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async ping(): Promise<void> {
    await this.q(() => sql`select 1`.execute(this.db));
  }

  async addSubscription(s: Omit<Subscription, 'id' | 'createdAt'>, now: number): Promise<Subscription> {
    return this.q(async () => {
      const row = {
        id: randomUUID(),
        platform: s.platform,
        conversation: s.conversation,
        account_id: s.accountId,
        every: s.every,
        at: s.at,
        timezone: s.timezone,
        created_by: s.createdBy,
        created_at: now,
      };
      // One subscription per target, account and period: subscribing again updates it.
      await this.db
        .insertInto('subscriptions')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['platform', 'conversation', 'account_id', 'every'])
            .doUpdateSet({ at: row.at, timezone: row.timezone, created_by: row.created_by, created_at: row.created_at }),
        )
        .execute();
      const stored = await this.db
        .selectFrom('subscriptions')
        .selectAll()
        .where('platform', '=', s.platform)
        .where('conversation', '=', s.conversation)
        .where('account_id', '=', s.accountId)
        .where('every', '=', s.every)
        .executeTakeFirstOrThrow();
      return toSubscription(stored);
    });
  }

  async removeSubscriptions(target: ChatTarget, accountId: string): Promise<number> {
    return this.q(async () => {
      const result = await this.db
        .deleteFrom('subscriptions')
        .where('platform', '=', target.platform)
        .where('conversation', '=', target.conversation)
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  async listSubscriptions(target?: ChatTarget): Promise<Subscription[]> {
    return this.q(async () => {
      let query = this.db.selectFrom('subscriptions').selectAll().orderBy('created_at').orderBy('id');
      if (target) query = query.where('platform', '=', target.platform).where('conversation', '=', target.conversation);
      return (await query.execute()).map(toSubscription);
    });
  }

  private async upsertSetting(target: ChatTarget, accountId: string, change: { enabled?: number; muted_until?: number }): Promise<void> {
    await this.q(() =>
      this.db
        .insertInto('alert_settings')
        .values({
          platform: target.platform,
          conversation: target.conversation,
          account_id: accountId,
          enabled: change.enabled ?? 1,
          muted_until: change.muted_until ?? null,
        })
        .onConflict((oc) => oc.columns(['platform', 'conversation', 'account_id']).doUpdateSet(change))
        .execute(),
    );
  }

  async setAlertsEnabled(target: ChatTarget, accountId: string, enabled: boolean): Promise<void> {
    await this.upsertSetting(target, accountId, { enabled: enabled ? 1 : 0 });
  }

  async muteAlerts(target: ChatTarget, accountId: string, until: number): Promise<void> {
    await this.upsertSetting(target, accountId, { muted_until: until });
  }

  async alertSettings(target: ChatTarget): Promise<AlertSetting[]> {
    return this.q(async () => {
      const rows = await this.db
        .selectFrom('alert_settings')
        .selectAll()
        .where('platform', '=', target.platform)
        .where('conversation', '=', target.conversation)
        .orderBy('account_id')
        .execute();
      return rows.map((r) => ({
        platform: r.platform as AlertSetting['platform'],
        conversation: r.conversation,
        accountId: r.account_id,
        enabled: r.enabled === 1,
        mutedUntil: num(r.muted_until),
      }));
    });
  }

  async recordAlertAction(alertKey: string, action: AlertAction): Promise<void> {
    // Two people pressing a button at once each get the next number, not the same one.
    await this.q(() =>
      this.oneWriter(`alert_actions:${alertKey}`, async (tx) => {
        const last = await tx
          .selectFrom('alert_actions')
          .select((eb) => eb.fn.max('seq').as('seq'))
          .where('alert_key', '=', alertKey)
          .executeTakeFirst();
        await tx
          .insertInto('alert_actions')
          .values({
            alert_key: alertKey,
            seq: Number(last?.seq ?? 0) + 1,
            status: action.status,
            by: action.by,
            at: action.at,
            muted_until: action.mutedUntil ?? null,
          })
          .execute();
      }),
    );
  }

  async alertHistory(alertKey: string): Promise<AlertAction[]> {
    return this.q(async () => {
      const rows = await this.db.selectFrom('alert_actions').selectAll().where('alert_key', '=', alertKey).orderBy('seq').execute();
      return rows.map((r) => ({
        status: r.status as AlertAction['status'],
        by: r.by,
        at: num(r.at)!,
        ...(r.muted_until !== null ? { mutedUntil: num(r.muted_until)! } : {}),
      }));
    });
  }

  async claimRun(job: string, period: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    return this.q(async () => {
      const inserted = await this.db
        .insertInto('runs')
        .values({ job, period, status: 'claimed', claimed_by: owner, claimed_at: now, finished_at: null, attempts: 0, detail: null })
        .onConflict((oc) => oc.columns(['job', 'period']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
      // Taken: only a claim whose owner went quiet past the lease can change hands, and only once.
      const taken = await this.db
        .updateTable('runs')
        .set({ claimed_by: owner, claimed_at: now })
        .where('job', '=', job)
        .where('period', '=', period)
        .where('status', '=', 'claimed')
        .where('claimed_at', '<', now - leaseMs)
        .executeTakeFirst();
      return Number(taken.numUpdatedRows) > 0;
    });
  }

  async finishRun(
    job: string,
    period: string,
    outcome: { status: Exclude<RunStatus, 'claimed'>; detail?: string | undefined; attempts: number },
    now: number,
  ): Promise<void> {
    await this.q(() =>
      this.db
        .updateTable('runs')
        .set({ status: outcome.status, detail: outcome.detail ?? null, attempts: outcome.attempts, finished_at: now })
        .where('job', '=', job)
        .where('period', '=', period)
        .execute(),
    );
  }

  async releaseRuns(owner: string): Promise<number> {
    return this.q(async () => {
      const released = await this.db.deleteFrom('runs').where('claimed_by', '=', owner).where('status', '=', 'claimed').executeTakeFirst();
      return Number(released.numDeletedRows);
    });
  }

  async releaseRun(job: string, period: string, owner: string): Promise<void> {
    await this.q(() =>
      this.db
        .deleteFrom('runs')
        .where('job', '=', job)
        .where('period', '=', period)
        .where('claimed_by', '=', owner)
        .where('status', '=', 'claimed')
        .execute(),
    );
  }

  async listRuns(options: { limit?: number; job?: string } = {}): Promise<RunRecord[]> {
    return this.q(async () => {
      let query = this.db
        .selectFrom('runs')
        .selectAll()
        .orderBy('claimed_at', 'desc')
        .orderBy('job')
        .limit(options.limit ?? 50);
      if (options.job) query = query.where('job', '=', options.job);
      return (await query.execute()).map((r) => ({
        job: r.job,
        period: r.period,
        status: r.status as RunStatus,
        claimedBy: r.claimed_by,
        claimedAt: num(r.claimed_at)!,
        finishedAt: num(r.finished_at),
        attempts: r.attempts,
        detail: r.detail,
      }));
    });
  }

  async bucketCoverage(key: string): Promise<BucketCoverage | undefined> {
    return this.q(async () => {
      const row = await this.db.selectFrom('bucket_coverage').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row) return undefined;
      const listed = JSON.parse(row.listed) as { phoneNumbers: string[]; countryCodes: string[] };
      return { start: num(row.start)!, end: num(row.end)!, ...listed };
    });
  }

  async readBuckets(key: string, start: number, end: number): Promise<CachedBucket[]> {
    return this.q(async () => {
      const rows = await this.db
        .selectFrom('bucket_cache')
        .selectAll()
        .where('key', '=', key)
        .where('start', '>=', start)
        .where('start', '<', end)
        .orderBy('start')
        .execute();
      return rows.map((r) => ({ start: num(r.start)!, end: num(r.end)!, sent: num(r.sent)!, delivered: num(r.delivered)! }));
    });
  }

  async writeBuckets(
    key: string,
    span: { start: number; end: number },
    points: readonly CachedBucket[],
    listed: Pick<BucketCoverage, 'phoneNumbers' | 'countryCodes'>,
    keepFrom?: number,
  ): Promise<BucketCoverage> {
    return this.q(() =>
      this.oneWriter(`bucket_cache:${key}`, async (tx) => {
        // Read under the key's lock: what another writer (another report, another replica) kept
        // a moment ago is joined, never overwritten by a span read before it.
        const row = await tx.selectFrom('bucket_coverage').selectAll().where('key', '=', key).executeTakeFirst();
        const before = row && { start: num(row.start)!, end: num(row.end)!, ...(JSON.parse(row.listed) as typeof listed) };
        const joined = before !== undefined && before.start <= span.end && span.start <= before.end;
        const coverage: BucketCoverage = joined
          ? {
              start: Math.min(before.start, span.start),
              end: Math.max(before.end, span.end),
              phoneNumbers: [...new Set([...before.phoneNumbers, ...listed.phoneNumbers])],
              countryCodes: [...new Set([...before.countryCodes, ...listed.countryCodes])],
            }
          : { ...span, phoneNumbers: [...listed.phoneNumbers], countryCodes: [...listed.countryCodes] };
        if (keepFrom !== undefined) coverage.start = Math.min(Math.max(coverage.start, keepFrom), coverage.end);
        // Settled buckets are final: what is kept already (by a report that asked a moment
        // earlier) is not written again, only the parts of the span outside it — so writers of
        // one key hold its lock briefly. A span apart from the kept one replaces it whole.
        const missing = (
          joined
            ? [
                { start: span.start, end: Math.min(span.end, before.start) },
                { start: Math.max(span.start, before.end), end: span.end },
              ]
            : [span]
        ).map((part) => ({ start: Math.max(part.start, coverage.start), end: part.end }));
        let stale = tx.deleteFrom('bucket_cache').where('key', '=', key);
        if (joined)
          stale = stale.where((eb) =>
            eb.or([
              eb('start', '<', coverage.start),
              ...missing
                .filter((part) => part.start < part.end)
                .map((part) => eb.and([eb('start', '>=', part.start), eb('start', '<', part.end)])),
            ]),
          );
        await stale.execute();
        const rows = points
          .filter((p) => missing.some((part) => p.start >= part.start && p.start < part.end))
          .map((p) => ({ key, start: p.start, end: p.end, sent: p.sent, delivered: p.delivered }));
        // Batches keep each statement under the databases' parameter limits.
        for (let i = 0; i < rows.length; i += 500)
          await tx
            .insertInto('bucket_cache')
            .values(rows.slice(i, i + 500))
            .execute();
        const text = JSON.stringify({ phoneNumbers: coverage.phoneNumbers, countryCodes: coverage.countryCodes });
        await tx
          .insertInto('bucket_coverage')
          .values({ key, start: coverage.start, end: coverage.end, listed: text })
          .onConflict((oc) => oc.column('key').doUpdateSet({ start: coverage.start, end: coverage.end, listed: text }))
          .execute();
        return coverage;
      }),
    );
  }

  async alertEpisode(rule: string): Promise<AlertEpisode | undefined> {
    return this.q(async () => {
      const r = await this.db.selectFrom('alert_state').selectAll().where('rule', '=', rule).executeTakeFirst();
      if (!r) return undefined;
      return {
        rule: r.rule,
        alertKey: r.alert_key,
        status: r.status as AlertEpisode['status'],
        openedAt: num(r.opened_at)!,
        lastNotifiedAt: num(r.last_notified_at)!,
        reminders: r.reminders,
        cleanChecks: r.clean_checks,
        resolvedAt: num(r.resolved_at),
        summary: r.summary,
      };
    });
  }

  async saveAlertEpisode(e: AlertEpisode): Promise<void> {
    const row = {
      rule: e.rule,
      alert_key: e.alertKey,
      status: e.status,
      opened_at: e.openedAt,
      last_notified_at: e.lastNotifiedAt,
      reminders: e.reminders,
      clean_checks: e.cleanChecks,
      resolved_at: e.resolvedAt,
      summary: e.summary,
    };
    const { rule: _key, ...update } = row;
    await this.q(() =>
      this.db
        .insertInto('alert_state')
        .values(row)
        .onConflict((oc) => oc.column('rule').doUpdateSet(update))
        .execute(),
    );
  }

  async saveConversation(
    record: Omit<ConversationRecord, 'active' | 'inactiveReason'>,
    options: { overwrite?: boolean } = {},
  ): Promise<void> {
    // Being spoken to (again) makes a conversation active (again).
    const row = {
      conversation: record.conversation,
      reference: JSON.stringify(record.reference),
      tenant: record.tenant,
      active: 1,
      inactive_reason: null,
      updated_at: record.updatedAt,
    };
    await this.q(() =>
      this.db
        .insertInto('conversations')
        .values(row)
        .onConflict((oc) =>
          options.overwrite === false
            ? oc.column('conversation').doNothing()
            : oc.column('conversation').doUpdateSet({
                reference: row.reference,
                tenant: row.tenant,
                active: 1,
                inactive_reason: null,
                updated_at: row.updated_at,
              }),
        )
        .execute(),
    );
  }

  async markConversationInactive(conversation: string, reason: string, now: number): Promise<void> {
    await this.q(() =>
      this.db
        .updateTable('conversations')
        .set({ active: 0, inactive_reason: reason, updated_at: now })
        .where('conversation', '=', conversation)
        .execute(),
    );
  }

  async conversation(conversation: string): Promise<ConversationRecord | undefined> {
    return this.q(async () => {
      const row = await this.db.selectFrom('conversations').selectAll().where('conversation', '=', conversation).executeTakeFirst();
      return row ? toConversation(row) : undefined;
    });
  }

  async listConversations(options: { activeOnly?: boolean } = {}): Promise<ConversationRecord[]> {
    return this.q(async () => {
      let query = this.db.selectFrom('conversations').selectAll().orderBy('conversation');
      if (options.activeOnly) query = query.where('active', '=', 1);
      return (await query.execute()).map(toConversation);
    });
  }

  async saveAlert(a: StoredAlert): Promise<void> {
    const row = {
      key: a.key,
      short_id: a.shortId,
      rule: a.rule,
      account_id: a.accountId,
      status: a.status,
      content: a.content,
      opened_at: a.openedAt,
      updated_at: a.updatedAt,
    };
    await this.q(() =>
      this.db
        .insertInto('alerts')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ status: row.status, content: row.content, updated_at: row.updated_at }))
        .execute(),
    );
  }

  async alert(key: string): Promise<StoredAlert | undefined> {
    return this.q(async () => {
      const r = await this.db.selectFrom('alerts').selectAll().where('key', '=', key).executeTakeFirst();
      if (!r) return undefined;
      return {
        key: r.key,
        shortId: r.short_id,
        rule: r.rule,
        accountId: r.account_id,
        status: r.status as StoredAlert['status'],
        content: r.content,
        openedAt: num(r.opened_at)!,
        updatedAt: num(r.updated_at)!,
      };
    });
  }

  async saveAlertMessage(m: AlertMessage): Promise<void> {
    const row = { alert_key: m.alertKey, platform: m.platform, conversation: m.conversation, ref: m.ref, posted_at: m.postedAt };
    await this.q(() =>
      this.db
        .insertInto('alert_messages')
        .values(row)
        .onConflict((oc) => oc.columns(['alert_key', 'platform', 'conversation']).doUpdateSet({ ref: row.ref, posted_at: row.posted_at }))
        .execute(),
    );
  }

  async alertMessage(alertKey: string, target: ChatTarget): Promise<AlertMessage | undefined> {
    return this.q(async () => {
      const r = await this.db
        .selectFrom('alert_messages')
        .selectAll()
        .where('alert_key', '=', alertKey)
        .where('platform', '=', target.platform)
        .where('conversation', '=', target.conversation)
        .executeTakeFirst();
      return r
        ? {
            alertKey: r.alert_key,
            platform: r.platform as AlertMessage['platform'],
            conversation: r.conversation,
            ref: r.ref,
            postedAt: num(r.posted_at)!,
          }
        : undefined;
    });
  }

  async firstSeen(keys: readonly string[], now: number, ttlMs: number): Promise<Set<string>> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return new Set();
    return this.q(() =>
      this.db.transaction().execute(async (tx) => {
        // Expired marks are as good as never seen.
        for (let i = 0; i < unique.length; i += 500) {
          await tx
            .deleteFrom('seen_keys')
            .where('key', 'in', unique.slice(i, i + 500))
            .where('expires_at', '<=', now)
            .execute();
        }
        return insertSeen(tx, unique, now + ttlMs);
      }),
    );
  }

  async settleStats(accountId: string): Promise<string | undefined> {
    return this.q(
      async () => (await this.db.selectFrom('settle_stats').select('stats').where('account_id', '=', accountId).executeTakeFirst())?.stats,
    );
  }

  async updateSettleStats(accountId: string, update: (stats: string | undefined) => string, now: number): Promise<void> {
    // Read and written by one writer at a time: two replicas settling at once both count.
    await this.q(() =>
      this.oneWriter(`settle_stats:${accountId}`, async (tx) => {
        const row = await tx.selectFrom('settle_stats').select('stats').where('account_id', '=', accountId).executeTakeFirst();
        const stats = update(row?.stats);
        await tx
          .insertInto('settle_stats')
          .values({ account_id: accountId, stats, updated_at: now })
          .onConflict((oc) => oc.column('account_id').doUpdateSet({ stats, updated_at: now }))
          .execute();
      }),
    );
  }

  async recordStatuses(
    events: ReadonlyArray<Omit<StatusCount, 'count'> & { dedupeKey: string; sentKey?: string | undefined }>,
    now: number,
    ttlMs: number,
    options: { statementTimeoutMs?: number | undefined } = {},
  ): Promise<{ counted: number; duplicates: number }> {
    if (events.length === 0) return { counted: 0, duplicates: 0 };
    const timeout = options.statementTimeoutMs;
    // Keys in one order, rows in one order: two replicas writing overlapping batches wait for
    // each other instead of deadlocking. (A duplicate within the batch counts once too.)
    const keys = [...new Set(events.map((e) => e.dedupeKey))].sort();
    return this.withRetry(() =>
      this.q(() =>
        this.db.transaction().execute(async (tx) => {
          await this.boundWait(tx, timeout);
          const fresh = await insertSeen(
            tx,
            keys.map((key) => `wa:${key}`),
            now + ttlMs,
          );
          const groups = new Map<string, StatusCount>();
          const tally = (e: Omit<StatusCount, 'count'>) => {
            const id = `${e.accountId}|${e.minute}|${e.phone}|${e.country}|${e.status}|${e.code}|${e.category}`;
            const group = groups.get(id);
            if (group) group.count++;
            else groups.set(id, { ...e, count: 1 });
          };
          let counted = 0;
          const failures: Array<{ row: Omit<StatusCount, 'count'>; sentKey: string }> = [];
          for (const { dedupeKey, sentKey, ...row } of events) {
            if (!fresh.delete(`wa:${dedupeKey}`)) continue;
            counted++;
            tally(row);
            if (row.status === 'failed' && sentKey) failures.push({ row, sentKey: `wa:${sentKey}` });
          }
          // A failure whose message was never reported sent (before it, or in this batch) is a
          // message attempted that `sent` does not count: counted as `unsent`.
          if (failures.length) {
            const sentKeys = [...new Set(failures.map((f) => f.sentKey))].sort();
            const wasSent = new Set<string>();
            for (let i = 0; i < sentKeys.length; i += 500) {
              const rows = await tx
                .selectFrom('seen_keys')
                .select('key')
                .where('key', 'in', sentKeys.slice(i, i + 500))
                .execute();
              for (const r of rows) wasSent.add(r.key);
            }
            for (const f of failures) if (!wasSent.has(f.sentKey)) tally({ ...f.row, status: 'unsent' });
          }
          const rows = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
          for (let i = 0; i < rows.length; i += 500) {
            await tx
              .insertInto('status_counts')
              .values(
                rows.slice(i, i + 500).map((g) => ({
                  account_id: g.accountId,
                  minute: g.minute,
                  phone: g.phone,
                  country: g.country,
                  status: g.status,
                  code: g.code,
                  category: g.category,
                  count: g.count,
                })),
              )
              .onConflict((oc) =>
                oc
                  .columns(['account_id', 'minute', 'phone', 'country', 'status', 'code', 'category'])
                  .doUpdateSet((eb) => ({ count: eb('status_counts.count', '+', eb.ref('excluded.count')) })),
              )
              .execute();
          }
          return { counted, duplicates: events.length - counted };
        }),
      ),
    ).catch((err: unknown) => this.stalledAsTimeout(err, timeout));
  }

  /** PostgreSQL: a lock or a failover must not hold the webhook requests waiting on a transaction without bound. */
  private async boundWait(tx: Transaction<Tables>, timeout: number | undefined): Promise<void> {
    if (this.dialect !== 'postgres' || !timeout || timeout <= 0) return;
    const ms = `${Math.round(timeout)}ms`;
    await sql`select set_config('statement_timeout', ${ms}, true), set_config('lock_timeout', ${ms}, true)`.execute(tx);
  }

  /** 57014 statement timeout, 55P03 lock timeout: the store is stalled, not the data at fault. */
  private stalledAsTimeout(err: unknown, timeout: number | undefined): never {
    const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code === '57014' || code === '55P03')
      throw new StoreTimeoutError(`the store did not commit within ${timeout} ms (${code})`, 'Meta sends these again', { cause: err });
    throw err;
  }

  async recordHealthEvents(
    events: ReadonlyArray<HealthEventRecord & { dedupeKey: string }>,
    options: { statementTimeoutMs?: number | undefined } = {},
  ): Promise<{ recorded: number; duplicates: number }> {
    if (events.length === 0) return { recorded: 0, duplicates: 0 };
    const timeout = options.statementTimeoutMs;
    // One row per key, in key order (replicas writing the same notifications wait, never deadlock);
    // the key is the row's identity, so the same notification twice is kept once.
    const rows = [...new Map(events.map((e) => [`${e.accountId}|${e.dedupeKey}`, e])).values()]
      .sort((a, b) => (a.accountId + a.dedupeKey < b.accountId + b.dedupeKey ? -1 : 1))
      .map((e) => ({
        account_id: e.accountId,
        dedupe_key: e.dedupeKey,
        at: e.at,
        field: e.field,
        event: e.event,
        subject: e.subject,
        detail: e.detail,
        data: JSON.stringify(e.data),
      }));
    return this.withRetry(() =>
      this.q(() =>
        this.db.transaction().execute(async (tx) => {
          await this.boundWait(tx, timeout);
          let recorded = 0;
          for (let i = 0; i < rows.length; i += 500) {
            const inserted = await tx
              .insertInto('health_events')
              .values(rows.slice(i, i + 500))
              .onConflict((oc) => oc.columns(['account_id', 'dedupe_key']).doNothing())
              .returning('dedupe_key')
              .execute();
            recorded += inserted.length;
          }
          return { recorded, duplicates: events.length - recorded };
        }),
      ),
    ).catch((err: unknown) => this.stalledAsTimeout(err, timeout));
  }

  async healthEvents(accountId: string, from: number, to: number, limit = 100): Promise<HealthEventRecord[]> {
    const rows = await this.q(() =>
      this.db
        .selectFrom('health_events')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('at', '>=', from)
        .where('at', '<', to)
        .orderBy('at', 'desc')
        .orderBy('dedupe_key')
        .limit(limit)
        .execute(),
    );
    return rows.map((r) => ({
      accountId: r.account_id,
      at: Number(r.at),
      field: r.field as HealthEventRecord['field'],
      event: r.event,
      subject: r.subject,
      detail: r.detail,
      data: JSON.parse(r.data) as HealthEventRecord['data'],
    }));
  }

  /** Drop health events older than `before` (UNIX seconds): kept as long as status counts. */
  async pruneHealthEvents(before: number): Promise<number> {
    return this.q(async () =>
      Number((await this.db.deleteFrom('health_events').where('at', '<', before).executeTakeFirst()).numDeletedRows),
    );
  }

  /** PostgreSQL may still pick a deadlock victim or fail a serialization: such a batch is run again. */
  private async withRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
        if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw err;
      }
    }
  }

  async statusCounts(accountId: string, from: number, to: number): Promise<StatusCount[]> {
    const rows = await this.q(() =>
      this.db
        .selectFrom('status_counts')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('minute', '>=', from)
        .where('minute', '<', to)
        .execute(),
    );
    return rows.map((r) => ({
      accountId: r.account_id,
      minute: Number(r.minute),
      phone: r.phone,
      country: r.country,
      status: r.status as StatusCount['status'],
      code: Number(r.code),
      category: r.category,
      count: Number(r.count),
    }));
  }

  async statusTotals(accountId: string, from: number, to: number): Promise<StatusTotal[]> {
    const rows = await this.q(() =>
      this.db
        .selectFrom('status_counts')
        .select(['phone', 'country', 'status', 'code', 'category'])
        .select((eb) => eb.fn.sum<string | number>('count').as('total'))
        .where('account_id', '=', accountId)
        .where('minute', '>=', from)
        .where('minute', '<', to)
        .groupBy(['phone', 'country', 'status', 'code', 'category'])
        .execute(),
    );
    return rows.map((r) => ({
      accountId,
      phone: r.phone,
      country: r.country,
      status: r.status as StatusCount['status'],
      code: Number(r.code),
      category: r.category,
      count: Number(r.total),
    }));
  }

  async firstStatusMinute(accountId: string): Promise<number | undefined> {
    const row = await this.q(() =>
      this.db
        .selectFrom('status_counts')
        .select((eb) => eb.fn.min('minute').as('first'))
        .where('account_id', '=', accountId)
        .executeTakeFirst(),
    );
    return row?.first == null ? undefined : Number(row.first);
  }

  /**
   * Drop status counts older than `before` (UNIX seconds), account by account (the key starts
   * with the account, so each delete is a range of the primary key, not a scan).
   */
  async pruneStatuses(accountIds: readonly string[], before: number): Promise<number> {
    let deleted = 0;
    for (const accountId of accountIds)
      deleted += await this.q(async () =>
        Number(
          (await this.db.deleteFrom('status_counts').where('account_id', '=', accountId).where('minute', '<', before).executeTakeFirst())
            .numDeletedRows,
        ),
      );
    return deleted;
  }

  /** Drop expired seen-marks (called now and then by the service). */
  async pruneSeen(now: number): Promise<number> {
    return this.q(async () =>
      Number((await this.db.deleteFrom('seen_keys').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows),
    );
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function toSubscription(r: Tables['subscriptions']): Subscription {
  return {
    id: r.id,
    platform: r.platform as Subscription['platform'],
    conversation: r.conversation,
    accountId: r.account_id,
    every: r.every as Subscription['every'],
    at: r.at,
    timezone: r.timezone,
    createdBy: r.created_by,
    createdAt: num(r.created_at)!,
  };
}

function toConversation(r: Tables['conversations']): ConversationRecord {
  return {
    conversation: r.conversation,
    reference: JSON.parse(r.reference) as Record<string, unknown>,
    tenant: r.tenant,
    active: r.active === 1,
    inactiveReason: r.inactive_reason,
    updatedAt: num(r.updated_at)!,
  };
}

export { DEFAULT_SQLITE_PATH } from './location.js';

/** The schema a `postgres://...?options=-c search_path=NAME` URL selects, where migrations must go too. */
function searchPathOf(url: string): string | undefined {
  try {
    const options = new URL(url).searchParams.get('options') ?? '';
    return /search_path=([A-Za-z0-9_]+)/.exec(options)?.[1];
  } catch {
    return undefined;
  }
}

export interface OpenStoreOptions {
  cwd?: string;
  migrate?: boolean;
  searchPath?: string;
  /** Where dropped connections are reported (they are survived, not fatal). */
  logger?: Logger;
  /** The longest a writer waits for another: WRITER_WAIT_MS on PostgreSQL, 5 s on SQLite unless set. */
  writerWaitMs?: number;
}

/** Marks the keys seen until `expiresAt`, in the transaction given; returns those that were not marked already. */
async function insertSeen(tx: Transaction<Tables>, keys: readonly string[], expiresAt: number): Promise<Set<string>> {
  const fresh = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await tx
      .insertInto('seen_keys')
      .values(keys.slice(i, i + 500).map((key) => ({ key, expires_at: expiresAt })))
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .execute();
    for (const r of rows) fresh.add(r.key);
  }
  return fresh;
}

/**
 * Open (and migrate) the store DATABASE_URL names (see storeLocation): PostgreSQL, or SQLite
 * (./data/waba-pulse.db when unset).
 */
export async function openStore(databaseUrl: string | undefined, options: OpenStoreOptions = {}): Promise<SqlStore> {
  const location = storeLocation(databaseUrl);
  const log = options.logger ?? silentLogger;
  let store: SqlStore;
  if (location.kind === 'postgres') {
    const { url } = location;
    // Loaded only for PostgreSQL: commands on SQLite (and the CLI's start-up) never pay for it.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // A database that is down fails a query in seconds instead of hanging it.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      fallback_application_name: 'waba-pulse',
      ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    });
    // A connection closed by the server (restart, failover, a proxy) is an 'error' event on the
    // pool when idle and on the client when checked out; unhandled, either ends the process. The
    // pool drops the dead connection and opens another for the next query.
    const lost = (err: Error) =>
      log.warn(
        { code: (err as { code?: string }).code, err: redactSecrets(err.message) },
        'database connection lost; reconnecting on the next query',
      );
    pool.on('error', lost);
    pool.on('connect', (client) => client.on('error', lost));
    const schema = options.searchPath ?? searchPathOf(url) ?? 'public';
    store = new SqlStore(
      new Kysely<Tables>({ dialect: new OwnSchemaPostgresDialect({ pool }, schema) }),
      'postgres',
      schema,
      options.writerWaitMs,
    );
  } else {
    const { path } = location;
    let database: Database.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(resolve(options.cwd ?? '.', path)), { recursive: true });
      database = new Database(path === ':memory:' ? ':memory:' : resolve(options.cwd ?? '.', path));
    } catch (err) {
      throw new ConfigError(
        'env.DATABASE_URL',
        `cannot open SQLite database "${path}" (${(err as Error).message})`,
        'point DATABASE_URL at a writable file, e.g. sqlite:./data/waba-pulse.db',
      );
    }
    database.pragma('journal_mode = WAL');
    // Shorter than PostgreSQL's wait: better-sqlite3 waits synchronously, holding the event loop.
    database.pragma(`busy_timeout = ${options.writerWaitMs ?? 5_000}`);
    store = new SqlStore(new Kysely<Tables>({ dialect: new SqliteDialect({ database }) }), 'sqlite');
  }
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      if (err instanceof WabaPulseError) throw err;
      throw new StoreError(
        `cannot reach the database (${redactSecrets((err as Error).message)})`,
        'check DATABASE_URL and that the database is running',
      );
    }
  }
  return store;
}
