import { graphAccount } from '../compose/graphAccount.js';
import { findAccount } from '../config/load.js';
import { accountToken } from '../config/tokens.js';
import { loadConfig } from '../configure.js';
import { UsageError } from '../errors.js';
import { enableTemplateInsights } from '../graph/templates.js';
import type { Logger } from '../log.js';
import type { CliIo } from './io.js';
import { graphClientFor } from './sources.js';

/**
 * `waba-pulse templates enable --account X --yes`: switch template insights on. Graph cannot
 * switch them off again, so without `--yes` it only says so (exit 2); nothing else ever sends it.
 */
export async function runTemplatesEnable(
  opts: { account?: string; yes?: boolean },
  io: CliIo,
  configPath: string | undefined,
  logger: Logger,
): Promise<number> {
  const config = loadConfig(io.env, configPath);
  if (!opts.account) throw new UsageError('--account is required', `name one of: ${config.accounts.map((a) => a.name).join(', ')}`);
  const account = findAccount(config, opts.account);
  if (!opts.yes)
    throw new UsageError(
      `switching template insights on for ${account.name} cannot be undone: Graph keeps them on for good (and WABAs tied to the EU, the UK or Japan are not supported)`,
      `run again with --yes to switch them on: waba-pulse templates enable --account ${account.name} --yes`,
      'E_CONFIRM_REQUIRED',
    );
  const token = accountToken(account, io.env);
  const graph = graphClientFor(config, logger, io);
  try {
    await enableTemplateInsights(graph, graphAccount(account, token));
    io.stdout.write(
      `Template insights are on for ${account.displayName} (${account.id}); they cannot be switched off. Funnels show in waba-pulse report --view templates --account ${account.name} for the days from now on.\n`,
    );
    return 0;
  } finally {
    await graph.close();
  }
}
