import type { AccountConfig } from '../config/load.js';
import type { GraphAccount } from '../graph/client.js';

/** What the Graph client (and the bucket cache in front of it) needs of a configured account. */
export function graphAccount(account: AccountConfig, token: string): GraphAccount {
  return {
    id: account.id,
    name: account.name,
    token,
    tokenEnv: account.tokenEnv,
    wabaTimezone: account.wabaTimezone,
    settleMs: account.settleMs,
  };
}
