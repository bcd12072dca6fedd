import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where the store lives when DATABASE_URL is not set: a SQLite file, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = './data/waba-pulse.db';

/**
 * Whether there is a store to read (PostgreSQL, or a SQLite file that exists; an in-memory one
 * holds nothing yet): commands that only read — a report's failure reasons, a backtest — never
 * create a database by asking.
 */
export function storeExists(databaseUrl: string | undefined, cwd: string): boolean {
  if (databaseUrl && !databaseUrl.startsWith('sqlite:')) return true;
  const path = databaseUrl ? databaseUrl.slice('sqlite:'.length) : DEFAULT_SQLITE_PATH;
  return path !== ':memory:' && existsSync(resolve(cwd, path));
}
