import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { quoted } from '../text.js';

/** Where the store lives when DATABASE_URL is not set: a SQLite file, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = './data/waba-pulse.db';

export type StoreLocation = { kind: 'postgres'; url: string } | { kind: 'sqlite'; path: string };

/**
 * What DATABASE_URL names: `postgres://` / `postgresql://` for PostgreSQL; `sqlite:<path>`,
 * `sqlite::memory:` or nothing (the file under ./data) for SQLite. Anything else is refused here
 * with one line — by the config's reading of the environment (so `check` refuses it as `serve`
 * does) and by openStore alike.
 */
export function storeLocation(databaseUrl: string | undefined): StoreLocation {
  const url = databaseUrl?.trim() || `sqlite:${DEFAULT_SQLITE_PATH}`;
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  // The password, if any, is never echoed.
  throw new ConfigError(
    'env.DATABASE_URL',
    `${quoted(url.replace(/\/\/[^@/]*@/, '//***@'))} is not a PostgreSQL or SQLite URL`,
    'use postgres://user@host:5432/db, or sqlite:./data/waba-pulse.db',
  );
}

/**
 * Whether there is a store to read (PostgreSQL, or a SQLite file that exists; an in-memory one
 * holds nothing yet): commands that only read — a report's failure reasons, a backtest — never
 * create a database by asking.
 */
export function storeExists(databaseUrl: string | undefined, cwd: string): boolean {
  const location = storeLocation(databaseUrl);
  if (location.kind === 'postgres') return true;
  return location.path !== ':memory:' && existsSync(resolve(cwd, location.path));
}
