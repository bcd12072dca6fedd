import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { openStore, type SqlStore } from '../../src/store/sql.js';
import { startTcpProxy } from './tcpProxy.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRE_POSTGRES = process.env.WABA_PULSE_REQUIRE_POSTGRES === '1';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export interface Backend {
  name: string;
  /** PostgreSQL: the schema the suite's store lives in (for processes of its own to open it too). */
  searchPath?: string;
  open(): Promise<SqlStore>;
  /** Run SQL on the suite's database behind the store's back (to leave a row as an older version or a hand would). */
  admin(text: string): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-store-'));
  const path = join(dir, 'store.db');
  return {
    name: 'SQLite',
    open: () => openStore(`sqlite:${path}`),
    async admin(text) {
      const db = new Database(path);
      try {
        db.exec(text);
      } finally {
        db.close();
      }
    },
    cleanup: async () => {},
  };
}

function postgresBackend(): Backend {
  // Each run in its own schema, so parallel runs and leftovers never meet.
  const schema = `wp_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = () => new pg.Client({ connectionString: POSTGRES_URL });
  return {
    name: 'PostgreSQL',
    searchPath: schema,
    async open() {
      const client = admin();
      await client.connect();
      await client.query(`create schema if not exists ${schema}`);
      await client.end();
      return openStore(POSTGRES_URL, { searchPath: schema });
    },
    async admin(text) {
      const client = admin();
      await client.connect();
      try {
        await client.query(`set search_path to ${schema}`);
        await client.query(text);
      } finally {
        await client.end();
      }
    },
    async cleanup() {
      const client = admin();
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/** A PostgreSQL schema of its own for a test, and a DATABASE_URL (via `host:port` if given) that uses it. */
export async function freshPostgresSchema(via?: { host: string; port: number }) {
  const schema = `wp_fault_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const url = new URL(POSTGRES_URL);
  if (via) {
    url.hostname = via.host;
    url.port = String(via.port);
  }
  const applicationName = `${schema}_app`;
  url.searchParams.set('options', `-c search_path=${schema}`);
  url.searchParams.set('application_name', applicationName);
  return {
    schema,
    applicationName,
    url: url.toString(),
    /** Run SQL on the real server (not through any proxy). */
    async admin<T = unknown>(text: string, values: unknown[] = []): Promise<T[]> {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      try {
        return (await c.query(text, values)).rows as T[];
      } finally {
        await c.end();
      }
    },
    async cleanup() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

export function postgresTarget(): { host: string; port: number } {
  const url = new URL(POSTGRES_URL);
  return { host: url.hostname, port: Number(url.port || 5432) };
}

let reported = false;

/**
 * The store backends to run a suite on: SQLite always; PostgreSQL when reachable (each suite in a
 * schema of its own), and required when WABA_PULSE_REQUIRE_POSTGRES=1 (CI).
 */
export async function storeBackends(): Promise<Backend[]> {
  const hasPostgres = await postgresReachable();
  if (!hasPostgres && REQUIRE_POSTGRES)
    throw new Error(
      `PostgreSQL is required (WABA_PULSE_REQUIRE_POSTGRES=1) but ${POSTGRES_URL.replace(/\/\/[^@/]*@/, '//***@')} is not reachable`,
    );
  if (!hasPostgres && !reported) {
    reported = true;
    console.warn(`\n  NOTE: PostgreSQL at ${POSTGRES_URL} is not reachable: store tests run on SQLite only.\n`);
  }
  return [sqliteBackend(), ...(hasPostgres ? [postgresBackend()] : [])];
}

export function postgresUrl(): string {
  return POSTGRES_URL;
}

/** The suite's store on a backend for one `describe` block: opened before its tests, closed and dropped after. */
export function storeForSuite(backend: Backend): () => SqlStore {
  let store: SqlStore | undefined;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });
  return () => store!;
}

/** A store on a fresh PostgreSQL schema reached through a TCP proxy the test can take down and bring back. */
export async function proxiedPostgres() {
  const proxy = await startTcpProxy(postgresTarget());
  const db = await freshPostgresSchema({ host: '127.0.0.1', port: proxy.port });
  const store = await openStore(db.url, { logger: silentLogger });
  return {
    proxy,
    store,
    close: async () => {
      await store.close();
      await proxy.close();
      await db.cleanup();
    },
  };
}
