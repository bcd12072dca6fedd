import { DateTime } from 'luxon';
import { graphAccount } from '../compose/graphAccount.js';
import type { Config } from '../config/load.js';
import { accountToken } from '../config/tokens.js';
import { loadConfig } from '../configure.js';
import { ConfigError, isWabaPulseError } from '../errors.js';
import { configDigests, describeSchedule, nextOccurrence } from '../jobs/digests.js';
import type { Logger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import { servePlan } from '../serve/plan.js';
import { judgesWebhooks, WEBHOOK_PATH } from '../whatsapp/settings.js';
import { chatDigestLines } from './chatDigests.js';
import type { CliIo } from './io.js';
import { alertRuleLines } from './rules.js';
import { graphClientFor } from './sources.js';

/**
 * Validate the config and the environment through the same code `serve` reads them with
 * (DATABASE_URL in readEnv, status webhook settings in webhookSettings), so it refuses what
 * `serve` would; with --online, try each account's token against Graph. Prints every problem,
 * one line each; exits 2 for bad config/env (the tokens still tried with --online), else 1 if Graph refuses.
 */
export async function runCheck(opts: { online?: boolean }, io: CliIo, configPath: string | undefined, logger: Logger): Promise<number> {
  const out = (line: string) => io.stdout.write(`${redactSecrets(line)}\n`);
  let config: Config;
  try {
    config = loadConfig(io.env, configPath);
  } catch (err) {
    // One format however many problems: the list, each naming its path and the bad value.
    // A file that cannot be read is one error line (below); what is wrong inside it, a list.
    if (err instanceof ConfigError && err.path !== '') {
      const { problems } = err;
      out(`✗ ${problems.length} problem${problems.length > 1 ? 's' : ''} in the config:`);
      // A lone problem carries its own advice; several share "fix the file".
      for (const problem of problems) out(`  ${problem}${problems.length === 1 && err.hint ? ` — ${err.hint}` : ''}`);
      return 2;
    }
    throw err;
  }
  out(`✓ ${config.path}: ${config.accounts.length} account(s), ${config.digests.length} digest(s), ${config.alerts.length} alert rule(s)`);
  out(`  Graph ${config.graph.apiUrl}/${config.graph.version}, charts: ${config.env.chartRenderer}`);

  const tokens = new Map<string, string>();
  let missing = 0;
  for (const account of config.accounts) {
    try {
      tokens.set(account.id, accountToken(account, io.env));
      out(`✓ ${account.name}: token from ${account.tokenEnv}`);
    } catch (err) {
      missing++;
      out(`✗ ${isWabaPulseError(err) ? `${err.message} — ${err.hint}` : String(err)}`);
    }
  }
  // When each configured digest next goes out, to each of its targets.
  const now = io.now();
  for (const digest of configDigests(config)) {
    const account = config.accounts.find((a) => a.id === digest.accountId)!;
    const next = nextOccurrence(digest, now);
    const when = next ? DateTime.fromMillis(next.at, { zone: digest.timezone }).toFormat('ccc d LLL HH:mm') : 'never';
    out(
      `✓ ${digest.origin}: ${account.name} ${describeSchedule(digest)}${digest.by ? ` by ${digest.by}` : ''} → ${digest.target.platform} ${digest.target.conversation}; next ${when} (${digest.timezone})`,
    );
  }
  // What serve would start with, or refuse: the same reading serve makes (servePlan).
  const plan = servePlan(config);
  for (const line of await chatDigestLines(config, io, new Set(plan.platforms.map((p) => p.platform.config.key)))) out(line);
  for (const line of await alertRuleLines(config, io)) out(line);
  for (const problem of plan.problems) {
    missing++;
    out(`✗ ${problem.message} — ${problem.hint}`);
  }
  for (const { platform } of plan.platforms) out(`✓ ${platform.config.label}: on`);
  if (plan.webhooks) {
    const rules = config.alerts.filter(judgesWebhooks).length;
    out(
      `✓ status webhooks: on, at ${WEBHOOK_PATH} on the serve port (signatures checked with WHATSAPP_APP_SECRET)${rules ? `; ${rules} alert rule(s) judge them` : ''}`,
    );
  }
  // Not a refusal (serve starts: webhooks alone are worth serving), but nothing will reach these.
  for (const t of plan.unposted)
    out(
      `! ${t.origin} → ${t.platform} ${t.conversation}: ${config.platforms.find((p) => p.key === t.platform)?.label ?? t.platform} is not set up in this environment: nothing is posted there`,
    );
  if (!opts.online) return missing ? 2 : 0;

  // The tokens are worth trying whatever else is wrong (no chat platform set up yet, say): the
  // answer is the one thing --online adds, and nothing here depends on the rest.
  const graph = graphClientFor(config, logger, io);
  let failed = 0;
  try {
    await Promise.all(
      config.accounts
        .filter((account) => tokens.has(account.id))
        .map(async (account) => {
          try {
            await graph.verifyAccess(graphAccount(account, tokens.get(account.id)!));
            out(`✓ ${account.name} (${account.id}): Graph accepted the token`);
          } catch (err) {
            if (!isWabaPulseError(err)) throw err;
            failed++;
            out(`✗ ${err.message} — ${err.hint ?? ''}`);
          }
        }),
    );
  } finally {
    await graph.close();
  }
  return missing ? 2 : failed ? 1 : 0;
}
