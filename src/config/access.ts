import type { AccountConfig, Asker, Config } from './load.js';

/** Who is asking, where. */
export type Requester = Asker;

/**
 * The accounts a conversation may see, from the config's `access` rules. With no rule matching,
 * none: a bot added to a new channel shows nothing until someone grants it.
 */
export function visibleAccounts(config: Config, who: Requester): AccountConfig[] {
  const names = new Set<string>();
  let all = false;
  // Each platform matches its own rules (a channel and a user, a conversation, team and tenant).
  const platform = config.platforms.find((p) => p.key === who.platform);
  for (const rule of config.access) {
    if (rule.platform !== who.platform || !platform?.matches(rule.match, who)) continue;
    if (rule.accounts === '*') all = true;
    else for (const name of rule.accounts) names.add(name.toLowerCase());
  }
  return config.accounts.filter((a) => all || names.has(a.name.toLowerCase()) || names.has(a.id));
}
