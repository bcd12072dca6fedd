import { ConfigError } from '../errors.js';
import { registerSecret } from '../secrets.js';
import type { AccountConfig } from './load.js';

/** The account's Graph token, from the environment variable the config names. */
export function accountToken(account: AccountConfig, env: NodeJS.ProcessEnv): string {
  const value = env[account.tokenEnv]?.trim();
  if (!value) {
    throw new ConfigError(
      `${account.configPath}.token`,
      `environment variable ${account.tokenEnv} is not set (account "${account.name}")`,
      `export ${account.tokenEnv} with the account's Graph access token`,
    );
  }
  registerSecret(value);
  return value;
}
