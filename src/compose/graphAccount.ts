import type { AccountConfig } from '../config/load.js';
import { accountToken } from '../config/tokens.js';
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

/**
 * Each configured account as Graph is called for it, token included: resolved at the edge (the
 * environment a command or `serve` starts with, or the one token a replay runs on), never read
 * from the environment deep inside.
 */
export type GraphAccounts = (account: AccountConfig) => GraphAccount;

/** Tokens from the environment variables the config names; a missing one is a ConfigError when that account is asked for. */
export function graphAccountsFrom(env: NodeJS.ProcessEnv): GraphAccounts {
  return (account) => graphAccount(account, accountToken(account, env));
}

/** Every account with one token (a backtest's replay, which asks nothing of the real Graph). */
export function graphAccountsWith(token: string): GraphAccounts {
  return (account) => graphAccount(account, token);
}
