import type { AccountConfig, Config } from '../config/load.js';
import type { ChatTarget } from '../store/types.js';

/** Who is asking, where. Slack: channel and user. Teams: conversation, team and tenant. */
export interface Requester extends ChatTarget {
  user: string;
  team?: string | undefined;
  tenant?: string | undefined;
}

/**
 * The accounts a conversation may see, from the config's `access` rules. With no rule matching,
 * none: a bot added to a new channel shows nothing until someone grants it.
 */
export function visibleAccounts(config: Config, who: Requester): AccountConfig[] {
  const names = new Set<string>();
  let all = false;
  for (const rule of config.access) {
    const matches =
      who.platform === 'slack'
        ? rule.slack !== undefined &&
          (rule.slack.channel === undefined || rule.slack.channel === who.conversation) &&
          (rule.slack.user === undefined || rule.slack.user === who.user)
        : rule.teams !== undefined &&
          (rule.teams.conversation === undefined || rule.teams.conversation === who.conversation) &&
          (rule.teams.team === undefined || rule.teams.team === who.team) &&
          (rule.teams.tenant === undefined || rule.teams.tenant === who.tenant);
    if (!matches) continue;
    if (rule.accounts === '*') all = true;
    else for (const name of rule.accounts) names.add(name.toLowerCase());
  }
  return config.accounts.filter((a) => all || names.has(a.name.toLowerCase()) || names.has(a.id));
}
