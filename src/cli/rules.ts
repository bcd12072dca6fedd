import { Document } from 'yaml';
import { runnableChatRules } from '../config/chatRules.js';
import { readEnv } from '../config/env.js';
import type { Config } from '../config/load.js';
import { UsageError } from '../errors.js';
import { redactSecrets } from '../secrets.js';
import { DEFAULT_SQLITE_PATH, storeExists } from '../store/location.js';
import { openStore } from '../store/sql.js';
import type { Store, StoredRule } from '../store/types.js';
import { quoted } from '../text.js';
import type { CliIo } from './io.js';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** What `read` finds in the store, or nothing when there is no store yet (reading never creates one). */
export async function readStore<T>(io: CliIo, read: (store: Store) => Promise<T>): Promise<T | undefined> {
  const { databaseUrl } = readEnv(io.env);
  if (!storeExists(databaseUrl, io.cwd)) return undefined;
  const store = await openStore(databaseUrl, { cwd: io.cwd, migrate: false });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

/** The chat-made rules in the store, or none when there is no store yet. */
const storedRules = (io: CliIo): Promise<StoredRule[] | undefined> => readStore(io, (store) => store.rules.listRules());

/**
 * `waba-pulse rules export [--format yaml|json]`: the alert rules made in chat, as an `alerts:`
 * fragment to paste into waba-pulse.yaml (each under a comment saying whose it is and its version).
 */
export async function runRulesExport(opts: { format?: string }, io: CliIo): Promise<number> {
  const format = opts.format ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') throw new UsageError(`--format ${quoted(format)} is not a format here — use yaml or json`);
  const rules = (await storedRules(io)) ?? [];
  if (format === 'json') {
    const listed = rules.map((r) => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) }));
    io.stdout.write(`${JSON.stringify({ rules: listed }, null, 2)}\n`);
    return 0;
  }
  if (rules.length === 0) {
    io.stdout.write(`# no alert rules made in chat (store: ${readEnv(io.env).databaseUrl ?? DEFAULT_SQLITE_PATH})\nalerts: []\n`);
    return 0;
  }
  const doc = new Document({ alerts: rules.map((r) => r.definition) });
  doc.commentBefore =
    ' Alert rules made in chat (waba-pulse rules export): paste under alerts: in waba-pulse.yaml to keep them in the config.';
  const items = (doc.get('alerts') as { items: Array<{ commentBefore?: string }> }).items;
  rules.forEach((r, i) => {
    items[i]!.commentBefore =
      ` ${r.id}: ${r.owner.platform} ${r.owner.conversation}, version ${r.version}, made by ${r.createdBy} ${iso(r.createdAt)}` +
      (r.version > 1 ? `, last changed by ${r.updatedBy} ${iso(r.updatedAt)}` : '');
  });
  io.stdout.write(doc.toString({ lineWidth: 0 }));
  return 0;
}

/**
 * What `check` says of the alert rules: the config's (read-only: change them in the file) and
 * those made in chat, each as serve would run it or why it would skip it.
 */
export async function alertRuleLines(config: Config, io: CliIo): Promise<string[]> {
  const lines = config.alerts.map(
    (r, i) => `✓ alerts[${i}]${r.name ? ` ${r.name}` : ''}: ${r.kind} on ${r.account} (config file, read-only in chat)`,
  );
  let stored: StoredRule[] | undefined;
  try {
    stored = await storedRules(io);
  } catch (err) {
    return [...lines, `! chat-made alert rules: cannot read the store (${redactSecrets((err as Error).message)})`];
  }
  if (!stored?.length) return [...lines, '✓ chat-made alert rules: none'];
  const { problems } = runnableChatRules(config, stored);
  for (const r of stored) {
    const wrong = problems.find((p) => p.id === r.id);
    const where = `${r.owner.platform} ${r.owner.conversation}`;
    lines.push(
      wrong
        ? `! chat rule ${r.id} (${where}) is skipped by serve: ${wrong.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`
        : `✓ chat rule ${r.id}: ${String(r.definition.kind ?? 'drop')} on ${String(r.definition.account)} → ${where} (version ${r.version}, by ${r.updatedBy})`,
    );
  }
  return lines;
}
