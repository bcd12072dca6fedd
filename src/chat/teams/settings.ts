import { z } from 'zod';
import type { Config, PlatformConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { quoted } from '../../text.js';

/** Where Bot Framework posts activities, on the serve port. */
export const TEAMS_MESSAGES_PATH = '/api/messages';

export type TeamsAppType = 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';

export interface TeamsSettings {
  appId: string | undefined;
  appPassword: string | undefined;
  appType: TeamsAppType | undefined;
  tenantId: string | undefined;
  /** serviceUrls accepted besides Bot Framework's own hosts (the Emulator, tests): `teams.serviceUrls`. */
  serviceUrls?: readonly string[];
}

const block = z
  .strictObject({
    /** Accept unauthenticated Bot Framework requests (Emulator, tests) when no app id is set. */
    allowUnauthenticated: z.boolean().default(false),
    /** serviceUrls accepted besides Bot Framework's own hosts: the Emulator's, a test connector's. */
    serviceUrls: z.array(z.url({ error: (issue) => `${quoted(issue.input)} is not a URL` })).default([]),
  })
  .default({ allowUnauthenticated: false, serviceUrls: [] });

/** What the config reads of Teams: `{ teams: { conversation } }` targets, access by conversation, team or tenant, the `teams:` block. */
export const teamsConfig: PlatformConfig = {
  key: 'teams',
  label: 'Microsoft Teams',
  target: z.strictObject({ conversation: z.string().min(1) }).transform((t) => t.conversation),
  targetExample: '{ teams: { conversation: "19:…@thread.tacv2" } }',
  access: z.strictObject({
    conversation: z.string().min(1).optional(),
    team: z.string().min(1).optional(),
    tenant: z.string().min(1).optional(),
  }),
  // A person's Microsoft Entra (AAD) object id, the aadObjectId Teams sends with each activity; kept in lower case, as Teams sends it.
  admin: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
      error: (issue) =>
        `${quoted(issue.input)} is not a Microsoft Entra (AAD) object id — a GUID such as 6f1c2a9e-2b9d-4c7a-9d5e-0a1b2c3d4e5f (Entra admin center → Users → the person → Object ID)`,
    })
    .transform((id) => id.toLowerCase()),
  settings: block,
  variables: ['MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD', 'MICROSOFT_APP_TYPE', 'MICROSOFT_APP_TENANT_ID'],
  secrets: ['MICROSOFT_APP_PASSWORD'],
  matches: (match, who) =>
    (match.conversation === undefined || match.conversation === who.conversation) &&
    (match.team === undefined || match.team === who.team) &&
    (match.tenant === undefined || match.tenant === who.tenant),
  describeConversation: (conversation) => `Teams conversation ${conversation}`,
};

function appType(value: string | undefined): TeamsAppType | undefined {
  if (!value) return undefined;
  const known = ['SingleTenant', 'MultiTenant', 'UserAssignedMSI'] as const;
  const found = known.find((k) => k.toLowerCase() === value.toLowerCase());
  if (!found)
    throw new ConfigError(
      'env.MICROSOFT_APP_TYPE',
      `${quoted(value)} is not an app type`,
      'use SingleTenant, MultiTenant or UserAssignedMSI',
    );
  return found;
}

/** Teams is on with an app id, or without one only when the config explicitly allows it. */
export function teamsSettings(config: Config): TeamsSettings | undefined {
  const env = config.platformEnv;
  const own = config.platformSettings.teams as z.output<typeof block>;
  const m = {
    appId: env.MICROSOFT_APP_ID,
    appPassword: env.MICROSOFT_APP_PASSWORD,
    appType: appType(env.MICROSOFT_APP_TYPE),
    tenantId: env.MICROSOFT_APP_TENANT_ID,
  };
  const extra = { serviceUrls: own.serviceUrls };
  if (!m.appId) {
    if (m.appPassword || m.tenantId)
      throw new ConfigError(
        'env.MICROSOFT_APP_ID',
        'is not set, but other Microsoft variables are',
        "set MICROSOFT_APP_ID to the bot's app id",
      );
    return own.allowUnauthenticated
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
