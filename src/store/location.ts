/** Where the store lives when DATABASE_URL is not set: a SQLite file, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = './data/waba-pulse.db';
