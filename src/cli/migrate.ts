import { readEnv } from '../config/env.js';
import { openStore } from '../store/sql.js';
import type { CliIo } from './io.js';

/** `waba-pulse migrate`: bring the database schema up to date and say what changed. */
export async function runMigrate(io: CliIo): Promise<number> {
  const env = readEnv(io.env);
  const store = await openStore(env.databaseUrl, { cwd: io.cwd, migrate: false });
  try {
    const applied = await store.migrate();
    io.stdout.write(
      applied.length ? `applied ${applied.join(', ')} to the ${store.dialect} database\n` : `the ${store.dialect} database is up to date\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
