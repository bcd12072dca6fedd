import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { ConfigError, StoreError, WabaPulseError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import { SqlAlertRepository } from './alertRepository.js';
import { SqlBucketRepository } from './bucketRepository.js';
import { SqlConversationRepository } from './conversationRepository.js';
import { Database, type Tables } from './database.js';
import { SqlHealthEventRepository } from './healthRepository.js';
import { storeLocation } from './location.js';
import { SqlPreferenceRepository } from './preferenceRepository.js';
import { SqlRuleRepository } from './ruleRepository.js';
import { SqlRunRepository } from './runRepository.js';
import { OwnSchemaPostgresDialect } from './schemaIntrospector.js';
import { SqlSeenRepository } from './seenRepository.js';
import { SqlStatusRepository } from './statusRepository.js';
import type { Store } from './types.js';

/**
 * The store on SQL: SQLite (better-sqlite3, a file under ./data, the default) or PostgreSQL
 * (`DATABASE_URL=postgres://...`). Every repository shares the one database (its Kysely
 * instance, its error mapping, its writer locks): one copy of every query.
 */
export class SqlStore implements Store {
  readonly runs: SqlRunRepository;
  readonly alerts: SqlAlertRepository;
  readonly preferences: SqlPreferenceRepository;
  readonly conversations: SqlConversationRepository;
  readonly buckets: SqlBucketRepository;
  readonly statuses: SqlStatusRepository;
  readonly seen: SqlSeenRepository;
  readonly health: SqlHealthEventRepository;
  readonly rules: SqlRuleRepository;

  constructor(private readonly database: Database) {
    this.runs = new SqlRunRepository(database);
    this.alerts = new SqlAlertRepository(database);
    this.preferences = new SqlPreferenceRepository(database);
    this.conversations = new SqlConversationRepository(database);
    this.buckets = new SqlBucketRepository(database);
    this.statuses = new SqlStatusRepository(database);
    this.seen = new SqlSeenRepository(database);
    this.health = new SqlHealthEventRepository(database);
    this.rules = new SqlRuleRepository(database);
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.database.dialect;
  }

  migrate(): Promise<string[]> {
    return this.database.migrate();
  }

  ping(): Promise<void> {
    return this.database.ping();
  }

  close(): Promise<void> {
    return this.database.close();
  }
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
      new Database(
        new Kysely<Tables>({ dialect: new OwnSchemaPostgresDialect({ pool }, schema) }),
        'postgres',
        schema,
        options.writerWaitMs,
      ),
    );
  } else {
    const { path } = location;
    let database: BetterSqlite3.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(resolve(options.cwd ?? '.', path)), { recursive: true });
      database = new BetterSqlite3(path === ':memory:' ? ':memory:' : resolve(options.cwd ?? '.', path));
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
    store = new SqlStore(new Database(new Kysely<Tables>({ dialect: new SqliteDialect({ database }) }), 'sqlite'));
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
