import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { ConfigError, WabaPulseError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import type { AlertAction, AlertEpisode, AlertSetting, BucketCoverage, CachedBucket, ChatTarget, ConversationRecord, RunRecord, RunStatus, Store, Subscription } from './types.js';

interface Tables {
  subscriptions: { id: string; platform: string; conversation: string; account_id: string; every: string; at: string; timezone: string; created_by: string; created_at: number | string };
  alert_settings: { platform: string; conversation: string; account_id: string; enabled: number; muted_until: number | string | null };
  alert_actions: { alert_key: string; seq: number; status: string; by: string; at: number | string; muted_until: number | string | null };
  conversations: { conversation: string; reference: string; tenant: string | null; active: number; inactive_reason: string | null; updated_at: number | string };
  alert_state: { rule: string; alert_key: string; status: string; opened_at: number | string; last_notified_at: number | string; reminders: number; clean_checks: number; resolved_at: number | string | null; summary: string };
  bucket_cache: { key: string; start: number | string; end: number | string; sent: number; delivered: number };
  bucket_coverage: { key: string; start: number | string; end: number | string; listed: string };
  runs: { job: string; period: string; status: string; claimed_by: string; claimed_at: number | string; finished_at: number | string | null; attempts: number; detail: string | null };
}

export class StoreError extends WabaPulseError {
  readonly code = 'E_STORE';
  readonly exitCode = 1 as const;
}

/** PostgreSQL returns BIGINT as a string: milliseconds fit a double exactly. */
const ms = (value: number | string | null): number | null => (value === null ? null : Number(value));

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * The store on SQL: SQLite (better-sqlite3, a file under ./data, the default) or PostgreSQL
 * (`DATABASE_URL=postgres://...`), through one Kysely query builder — one copy of every query.
 */
export class SqlStore implements Store {
  constructor(
    readonly db: Kysely<Tables>,
    readonly dialect: 'sqlite' | 'postgres',
    /** PostgreSQL schema of the migration tables: named, since Kysely would otherwise accept them from any schema. */
    private readonly schema?: string,
  ) {}

  /** Bring the schema up to date; returns the versions applied now. */
  async migrate(): Promise<string[]> {
    const { error, results } = await new Migrator({ db: this.db, provider, ...(this.schema ? { migrationTableSchema: this.schema } : {}) }).migrateToLatest();
    if (error) throw new StoreError(`database migration failed: ${(error as Error).message}`, 'check DATABASE_URL and that the database user may create tables');
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async addSubscription(s: Omit<Subscription, 'id' | 'createdAt'>, now: number): Promise<Subscription> {
    const row = { id: randomUUID(), platform: s.platform, conversation: s.conversation, account_id: s.accountId, every: s.every, at: s.at, timezone: s.timezone, created_by: s.createdBy, created_at: now };
    // One subscription per target, account and period: subscribing again updates it.
    await this.db
      .insertInto('subscriptions')
      .values(row)
      .onConflict((oc) => oc.columns(['platform', 'conversation', 'account_id', 'every']).doUpdateSet({ at: row.at, timezone: row.timezone, created_by: row.created_by, created_at: row.created_at }))
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
  }

  async removeSubscriptions(target: ChatTarget, accountId: string): Promise<number> {
    const result = await this.db.deleteFrom('subscriptions').where('platform', '=', target.platform).where('conversation', '=', target.conversation).where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async listSubscriptions(target?: ChatTarget): Promise<Subscription[]> {
    let query = this.db.selectFrom('subscriptions').selectAll().orderBy('created_at').orderBy('id');
    if (target) query = query.where('platform', '=', target.platform).where('conversation', '=', target.conversation);
    return (await query.execute()).map(toSubscription);
  }

  private async upsertSetting(target: ChatTarget, accountId: string, change: { enabled?: number; muted_until?: number }): Promise<void> {
    await this.db
      .insertInto('alert_settings')
      .values({ platform: target.platform, conversation: target.conversation, account_id: accountId, enabled: change.enabled ?? 1, muted_until: change.muted_until ?? null })
      .onConflict((oc) => oc.columns(['platform', 'conversation', 'account_id']).doUpdateSet(change))
      .execute();
  }

  async setAlertsEnabled(target: ChatTarget, accountId: string, enabled: boolean): Promise<void> {
    await this.upsertSetting(target, accountId, { enabled: enabled ? 1 : 0 });
  }

  async muteAlerts(target: ChatTarget, accountId: string, until: number): Promise<void> {
    await this.upsertSetting(target, accountId, { muted_until: until });
  }

  async alertSettings(target: ChatTarget): Promise<AlertSetting[]> {
    const rows = await this.db.selectFrom('alert_settings').selectAll().where('platform', '=', target.platform).where('conversation', '=', target.conversation).orderBy('account_id').execute();
    return rows.map((r) => ({ platform: r.platform as AlertSetting['platform'], conversation: r.conversation, accountId: r.account_id, enabled: r.enabled === 1, mutedUntil: ms(r.muted_until) }));
  }

  async recordAlertAction(alertKey: string, action: AlertAction): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const last = await tx.selectFrom('alert_actions').select((eb) => eb.fn.max('seq').as('seq')).where('alert_key', '=', alertKey).executeTakeFirst();
      await tx
        .insertInto('alert_actions')
        .values({ alert_key: alertKey, seq: Number(last?.seq ?? 0) + 1, status: action.status, by: action.by, at: action.at, muted_until: action.mutedUntil ?? null })
        .execute();
    });
  }

  async alertHistory(alertKey: string): Promise<AlertAction[]> {
    const rows = await this.db.selectFrom('alert_actions').selectAll().where('alert_key', '=', alertKey).orderBy('seq').execute();
    return rows.map((r) => ({ status: r.status as AlertAction['status'], by: r.by, at: ms(r.at)!, ...(r.muted_until !== null ? { mutedUntil: ms(r.muted_until)! } : {}) }));
  }

  async claimRun(job: string, period: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
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
  }

  async finishRun(job: string, period: string, outcome: { status: Exclude<RunStatus, 'claimed'>; detail?: string | undefined; attempts: number }, now: number): Promise<void> {
    await this.db
      .updateTable('runs')
      .set({ status: outcome.status, detail: outcome.detail ?? null, attempts: outcome.attempts, finished_at: now })
      .where('job', '=', job)
      .where('period', '=', period)
      .execute();
  }

  async releaseRuns(owner: string): Promise<number> {
    const released = await this.db.deleteFrom('runs').where('claimed_by', '=', owner).where('status', '=', 'claimed').executeTakeFirst();
    return Number(released.numDeletedRows);
  }

  async listRuns(options: { limit?: number; job?: string } = {}): Promise<RunRecord[]> {
    let query = this.db.selectFrom('runs').selectAll().orderBy('claimed_at', 'desc').orderBy('job').limit(options.limit ?? 50);
    if (options.job) query = query.where('job', '=', options.job);
    return (await query.execute()).map((r) => ({
      job: r.job,
      period: r.period,
      status: r.status as RunStatus,
      claimedBy: r.claimed_by,
      claimedAt: ms(r.claimed_at)!,
      finishedAt: ms(r.finished_at),
      attempts: r.attempts,
      detail: r.detail,
    }));
  }

  async bucketCoverage(key: string): Promise<BucketCoverage | undefined> {
    const row = await this.db.selectFrom('bucket_coverage').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    const listed = JSON.parse(row.listed) as { phoneNumbers: string[]; countryCodes: string[] };
    return { start: ms(row.start)!, end: ms(row.end)!, ...listed };
  }

  async readBuckets(key: string, start: number, end: number): Promise<CachedBucket[]> {
    const rows = await this.db.selectFrom('bucket_cache').selectAll().where('key', '=', key).where('start', '>=', start).where('start', '<', end).orderBy('start').execute();
    return rows.map((r) => ({ start: ms(r.start)!, end: ms(r.end)!, sent: r.sent, delivered: r.delivered }));
  }

  async writeBuckets(key: string, replace: { start: number; end: number }, points: readonly CachedBucket[], coverage: BucketCoverage): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('bucket_cache').where('key', '=', key).where('start', '>=', replace.start).where('start', '<', replace.end).execute();
      // What falls before the new coverage is no longer kept.
      await tx.deleteFrom('bucket_cache').where('key', '=', key).where('start', '<', coverage.start).execute();
      const rows = points.filter((p) => p.start >= replace.start && p.start < replace.end).map((p) => ({ key, start: p.start, end: p.end, sent: p.sent, delivered: p.delivered }));
      // Batches keep each statement under the databases' parameter limits.
      for (let i = 0; i < rows.length; i += 500) await tx.insertInto('bucket_cache').values(rows.slice(i, i + 500)).execute();
      const listed = JSON.stringify({ phoneNumbers: coverage.phoneNumbers, countryCodes: coverage.countryCodes });
      await tx
        .insertInto('bucket_coverage')
        .values({ key, start: coverage.start, end: coverage.end, listed })
        .onConflict((oc) => oc.column('key').doUpdateSet({ start: coverage.start, end: coverage.end, listed }))
        .execute();
    });
  }

  async alertEpisode(rule: string): Promise<AlertEpisode | undefined> {
    const r = await this.db.selectFrom('alert_state').selectAll().where('rule', '=', rule).executeTakeFirst();
    if (!r) return undefined;
    return {
      rule: r.rule,
      alertKey: r.alert_key,
      status: r.status as AlertEpisode['status'],
      openedAt: ms(r.opened_at)!,
      lastNotifiedAt: ms(r.last_notified_at)!,
      reminders: r.reminders,
      cleanChecks: r.clean_checks,
      resolvedAt: ms(r.resolved_at),
      summary: r.summary,
    };
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
    await this.db.insertInto('alert_state').values(row).onConflict((oc) => oc.column('rule').doUpdateSet(update)).execute();
  }

  async saveConversation(record: Omit<ConversationRecord, 'active' | 'inactiveReason'>): Promise<void> {
    // Being spoken to (again) makes a conversation active (again).
    const row = { conversation: record.conversation, reference: JSON.stringify(record.reference), tenant: record.tenant, active: 1, inactive_reason: null, updated_at: record.updatedAt };
    await this.db
      .insertInto('conversations')
      .values(row)
      .onConflict((oc) => oc.column('conversation').doUpdateSet({ reference: row.reference, tenant: row.tenant, active: 1, inactive_reason: null, updated_at: row.updated_at }))
      .execute();
  }

  async markConversationInactive(conversation: string, reason: string, now: number): Promise<void> {
    await this.db.updateTable('conversations').set({ active: 0, inactive_reason: reason, updated_at: now }).where('conversation', '=', conversation).execute();
  }

  async listConversations(options: { activeOnly?: boolean } = {}): Promise<ConversationRecord[]> {
    let query = this.db.selectFrom('conversations').selectAll().orderBy('conversation');
    if (options.activeOnly) query = query.where('active', '=', 1);
    return (await query.execute()).map((r) => ({
      conversation: r.conversation,
      reference: JSON.parse(r.reference) as Record<string, unknown>,
      tenant: r.tenant,
      active: r.active === 1,
      inactiveReason: r.inactive_reason,
      updatedAt: ms(r.updated_at)!,
    }));
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
    createdAt: ms(r.created_at)!,
  };
}

export const DEFAULT_SQLITE_PATH = './data/waba-pulse.db';

/**
 * Open (and migrate) the store named by DATABASE_URL: `postgres://` / `postgresql://` for
 * PostgreSQL; `sqlite:<path>`, `sqlite::memory:` or nothing (./data/waba-pulse.db) for SQLite.
 */
export async function openStore(databaseUrl: string | undefined, options: { cwd?: string; migrate?: boolean; searchPath?: string } = {}): Promise<SqlStore> {
  const url = databaseUrl?.trim() || `sqlite:${DEFAULT_SQLITE_PATH}`;
  let store: SqlStore;
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: 10, ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}) });
    store = new SqlStore(new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }), 'postgres', options.searchPath ?? 'public');
  } else if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    let database: Database.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(resolve(options.cwd ?? '.', path)), { recursive: true });
      database = new Database(path === ':memory:' ? ':memory:' : resolve(options.cwd ?? '.', path));
    } catch (err) {
      throw new ConfigError('env.DATABASE_URL', `cannot open SQLite database "${path}" (${(err as Error).message})`, 'point DATABASE_URL at a writable file, e.g. sqlite:./data/waba-pulse.db');
    }
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
    store = new SqlStore(new Kysely<Tables>({ dialect: new SqliteDialect({ database }) }), 'sqlite');
  } else {
    throw new ConfigError('env.DATABASE_URL', `"${url.replace(/\/\/[^@/]*@/, '//***@')}" is not a database URL`, 'use postgres://user@host:5432/db, or sqlite:./data/waba-pulse.db');
  }
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      if (err instanceof WabaPulseError) throw err;
      throw new StoreError(`cannot reach the database (${(err as Error).message})`, 'check DATABASE_URL and that the database is running');
    }
  }
  return store;
}
