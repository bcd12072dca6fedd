import type { Config } from '../../config/load.js';
import { ConfigError } from '../../errors.js';

/** Where Bot Framework posts activities, on the serve port. */
export const TEAMS_MESSAGES_PATH = '/api/messages';

/** Teams is on with an app id, or without one only when the config explicitly allows it. */
export function teamsSettings(config: Config): TeamsSettings | undefined {
  const m = config.env.microsoft;
  const extra = { serviceUrls: config.teams.serviceUrls, slashCommand: config.slack.command };
  if (!m.appId) {
    if (m.appPassword || m.tenantId)
      throw new ConfigError(
        'env.MICROSOFT_APP_ID',
        'is not set, but other Microsoft variables are',
        "set MICROSOFT_APP_ID to the bot's app id",
      );
    return config.teams.allowUnauthenticated
      ? { appId: undefined, appPassword: undefined, appType: undefined, tenantId: undefined, ...extra }
      : undefined;
  }
  if (!m.appPassword && m.appType !== 'UserAssignedMSI') {
    throw new ConfigError(
      'env.MICROSOFT_APP_PASSWORD',
      'is not set',
      "set MICROSOFT_APP_PASSWORD to the bot's client secret (or MICROSOFT_APP_TYPE=UserAssignedMSI)",
    );
  }
  if (m.appType === 'SingleTenant' && !m.tenantId)
    throw new ConfigError('env.MICROSOFT_APP_TENANT_ID', 'is not set for a SingleTenant app', 'set it to your Microsoft Entra tenant id');
  return { ...m, ...extra };
}

export interface TeamsSettings {
  appId: string | undefined;
  appPassword: string | undefined;
  appType: 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI' | undefined;
  tenantId: string | undefined;
  /** serviceUrls accepted besides Bot Framework's own hosts (the Emulator, tests): `teams.serviceUrls`. */
  serviceUrls?: readonly string[];
  /** The configured slash command, which people sometimes type in Teams too. */
  slashCommand?: string;
}
