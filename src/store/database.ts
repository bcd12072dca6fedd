import { type Kysely, type MigrationProvider, Migrator, sql, type Transaction } from 'kysely';
import { StoreError, StoreTimeoutError, StoreUnavailableError, WabaPulseError } from '../errors.js';
import { redactSecrets } from '../secrets.js';
import { migrationsFor } from './migrations.js';
import { isStoreUnavailable } from './unavailable.js';

type Ms = number | string;

/** The tables as Kysely sees them (see migrations.ts): times are milliseconds or UNIX seconds. */
export interface Tables {
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
    /** ISO weekday of a weekly digest (null: Monday, as `subscribe` makes them). */
    day: number | null;
    breakdown: string | null;
    version: number;
    updated_by: string | null;
    updated_at: Ms | null;
  };
  digest_changes: {
    digest_id: string;
    version: number;
    action: string;
    by: string;
    at: Ms;
    before: string | null;
    after: string | null;
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
  rules: {
    id: string;
    platform: string;
    conversation: string;
    definition: string;
    version: number;
    created_by: string;
    created_at: Ms;
    updated_by: string;
    updated_at: Ms;
  };
  rule_changes: {
    rule_id: string;
    version: number;
    action: string;
    by: string;
    at: Ms;
    before: string | null;
    after: string | null;
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

/** PostgreSQL returns BIGINT as a string: milliseconds and counts fit a double exactly. */
export function num(value: Ms): number;
export function num(value: Ms | null): number | null;
export function num(value: Ms | null): number | null {
  return value === null ? null : Number(value);
}

/** The first of PostgreSQL's two advisory lock keys: sets waba-pulse's writer locks apart from anyone else's on the database. */
const WRITER_LOCKS = 0x77617062;
/**
 * Longest a PostgreSQL writer waits for another (oneWriter's lock_timeout): far more than a write
 * takes even on a crowded machine (a second or two), little enough for a report to still go out
 * when a session holds a lock for good.
 */
const WRITER_WAIT_MS = 15_000;

/** What the transaction of a batch written for a webhook request may wait at most (PostgreSQL). */
export interface BatchOptions {
  /** PostgreSQL: the transaction's statement and lock timeout; past it, StoreTimeoutError. */
  statementTimeoutMs?: number | undefined;
}

/**
 * The one database every repository shares: SQLite (better-sqlite3) or PostgreSQL, through one
 * Kysely query builder, with one mapping of failures. Every failure to reach the database comes
 * out as a StoreUnavailableError, which callers retry or degrade around; a stalled PostgreSQL
 * as a StoreTimeoutError.
 */
export class Database {
  constructor(
    readonly db: Kysely<Tables>,
    readonly dialect: 'sqlite' | 'postgres',
    /** PostgreSQL schema of the migration tables: named, since Kysely would otherwise accept them from any schema. */
    private readonly schema?: string,
    private readonly writerWaitMs = WRITER_WAIT_MS,
  ) {}

  /** Run a query; connection failures become StoreUnavailableError (scrubbed of secrets). */
  async q<T>(work: () => Promise<T>): Promise<T> {
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

  /** Rows deleted by a statement, as q runs it. */
  async deleted(work: () => Promise<{ numDeletedRows: bigint }>): Promise<number> {
    return this.q(async () => Number((await work()).numDeletedRows));
  }

  /**
   * Reads that must agree with each other — a span and the rows it promises — in one snapshot:
   * PostgreSQL's repeatable read (every statement sees the database as at the first), SQLite's
   * transaction (its one connection is held until the end). A writer between two reads otherwise
   * makes the first promise what the second no longer finds.
   */
  async snapshot<T>(work: (tx: Kysely<Tables>) => Promise<T>): Promise<T> {
    const transaction = this.db.transaction();
    return (this.dialect === 'postgres' ? transaction.setIsolationLevel('repeatable read') : transaction).execute(work);
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
  async oneWriter<T>(lock: string, work: (tx: Kysely<Tables>) => Promise<T>): Promise<T> {
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

  /**
   * One transaction of a webhook batch: bounded on PostgreSQL by `statementTimeoutMs` (a lock or
   * a failover must not hold the requests waiting without bound), run again when PostgreSQL
   * picks it as a deadlock victim or fails its serialization, a stall reported as StoreTimeoutError.
   */
  async batch<T>(options: BatchOptions, work: (tx: Transaction<Tables>) => Promise<T>): Promise<T> {
    const timeout = options.statementTimeoutMs;
    return this.withRetry(() =>
      this.q(() =>
        this.db.transaction().execute(async (tx) => {
          await this.boundWait(tx, timeout);
          return work(tx);
        }),
      ),
    ).catch((err: unknown) => stalledAsTimeout(err, timeout));
  }

  private async boundWait(tx: Transaction<Tables>, timeout: number | undefined): Promise<void> {
    if (this.dialect !== 'postgres' || !timeout || timeout <= 0) return;
    const ms = `${Math.round(timeout)}ms`;
    await sql`select set_config('statement_timeout', ${ms}, true), set_config('lock_timeout', ${ms}, true)`.execute(tx);
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

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** 57014 statement timeout, 55P03 lock timeout: the store is stalled, not the data at fault. */
function stalledAsTimeout(err: unknown, timeout: number | undefined): never {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (code === '57014' || code === '55P03')
    throw new StoreTimeoutError(`the store did not commit within ${timeout} ms (${code})`, 'Meta sends these again', { cause: err });
  throw err;
}
