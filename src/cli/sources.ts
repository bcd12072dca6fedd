import type { Config } from '../config/load.js';
import { GraphClient } from '../graph/client.js';
import type { Logger } from '../log.js';
import { storeExists } from '../store/location.js';
import type { CliIo } from './io.js';

// What commands read: Graph, through one client that says why it waits; the store, if there is one.

/** Waits shorter than this pass without a word; after a line, the next waits this long before another. */
const QUIET_WAIT_MS = 1_000;
const BETWEEN_LINES_MS = 10_000;

/** The CLI's Graph client: the command's clock, and stopped by its signal (Ctrl-C). */
export function graphClientFor(config: Config, logger: Logger, io: Pick<CliIo, 'now' | 'signal' | 'stderr'>): GraphClient {
  let saidAt: number | undefined;
  return new GraphClient({
    ...config.graph,
    logger,
    signal: io.signal,
    now: io.now,
    // A command that sits still for seconds says why, or it looks hung.
    onBudgetWait: ({ account, delayMs, reason }) => {
      if (delayMs < QUIET_WAIT_MS || (saidAt !== undefined && io.now() - saidAt < BETWEEN_LINES_MS)) return;
      saidAt = io.now();
      io.stderr.write(`waba-pulse: waiting ${Math.ceil(delayMs / 1000)} s before the next Graph call for ${account}: ${reason}.\n`);
    },
  });
}

/**
 * The store, if `serve` has one to read: PostgreSQL when DATABASE_URL says so, or the SQLite file
 * that exists already — a report never creates a database. Unreachable: the report goes on
 * without failure reasons, and says so.
 */
export async function storeWithStatuses(io: CliIo, config: Config) {
  const url = config.env.databaseUrl;
  if (!storeExists(url, io.cwd)) return undefined;
  try {
    const { openStore } = await import('../store/sql.js');
    return await openStore(url, { cwd: io.cwd });
  } catch {
    return undefined;
  }
}
