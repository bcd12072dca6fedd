import { setupChanges } from '../chat/setup/changes.js';
import { readEnv } from '../config/env.js';
import type { Config } from '../config/load.js';
import { loadConfig } from '../configure.js';
import { UsageError } from '../errors.js';
import { configDigests, describeSchedule } from '../jobs/digests.js';
import { DEFAULT_SQLITE_PATH, storeExists } from '../store/location.js';
import { openStore } from '../store/sql.js';
import type { Store } from '../store/types.js';
import { quoted } from '../text.js';
import type { CliIo } from './io.js';

/** `waba-pulse runs`: the latest scheduled runs and what became of them, failures included. */
export async function runRuns(
  opts: { limit?: string; failed?: boolean; changes?: boolean },
  io: CliIo,
  configPath?: string,
): Promise<number> {
  const limit = opts.limit === undefined ? 30 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError(`--limit ${quoted(opts.limit)} is not a whole number from 1 to 1000`);
  const { databaseUrl } = readEnv(io.env);
  // Reading runs never creates a database: no store yet means nothing has run.
  if (!storeExists(databaseUrl, io.cwd)) {
    io.stdout.write(`no runs yet (no store at ${databaseUrl ?? DEFAULT_SQLITE_PATH}: \`waba-pulse serve\` creates it)\n`);
    return 0;
  }
  const store = await openStore(databaseUrl, { cwd: io.cwd });
  try {
    if (opts.changes) return await printChanges(store, limit, io, configPath);
    const runs = (await store.runs.listRuns({ limit: opts.failed ? 1000 : limit }))
      .filter((r) => !opts.failed || r.status === 'failed')
      .slice(0, limit);
    if (runs.length === 0) {
      io.stdout.write(opts.failed ? 'no failed runs\n' : 'no runs yet\n');
      return 0;
    }
    const labels = configDigestLabels(io, configPath);
    for (const r of runs) {
      const label = labels.get(r.job);
      const when = new Date(r.finishedAt ?? r.claimedAt).toISOString().slice(0, 16).replace('T', ' ');
      io.stdout.write(
        `${when}Z  ${r.status.padEnd(7)}  ${r.job}${label ? ` (${label})` : ''}  ${r.period}  by ${r.claimedBy}${r.attempts ? `, ${r.attempts} attempt${r.attempts > 1 ? 's' : ''}` : ''}${r.detail ? `  — ${r.detail}` : ''}\n`,
      );
    }
    return runs.some((r) => r.status === 'failed') && opts.failed ? 1 : 0;
  } finally {
    await store.close();
  }
}

/**
 * Config digests run under a hashed job name (stable across edits of other digests); say which
 * digest it is when the config can be read. `runs` still works without a config.
 */
function configDigestLabels(io: CliIo, configPath: string | undefined): Map<string, string> {
  try {
    const config = loadConfig(io.env, configPath);
    return new Map(
      configDigests(config).map((d) => {
        const account = config.accounts.find((a) => a.id === d.accountId)!;
        return [d.job, `${d.origin}: ${account.name} ${describeSchedule(d)} → ${d.target.platform} ${d.target.conversation}`];
      }),
    );
  } catch {
    return new Map();
  }
}

/** `runs --changes`: who changed which chat-made rule or digest, when, before → after. */
async function printChanges(store: Store, limit: number, io: CliIo, configPath: string | undefined): Promise<number> {
  const [rules, digests] = await Promise.all([store.rules.recentRuleChanges(limit), store.preferences.recentDigestChanges(limit)]);
  let accounts: Config['accounts'] = [];
  try {
    accounts = loadConfig(io.env, configPath).accounts;
  } catch {
    // Without a config, accounts go by their ids.
  }
  const changes = setupChanges(accounts, { rules, digests }, limit);
  if (changes.length === 0) {
    io.stdout.write('no changes yet (rules and digests made in chat are logged here)\n');
    return 0;
  }
  for (const c of changes) {
    const when = new Date(c.at).toISOString().slice(0, 16).replace('T', ' ');
    const where = c.target ? `${c.target.platform} ${c.target.conversation}` : '';
    io.stdout.write(`${when}Z  ${c.action.padEnd(6)}  ${c.subject}  ${where}  by ${c.by}  — ${c.summary}\n`);
  }
  return 0;
}
