import type { ChatPlatform } from '../platform.js';
import { TEAMS_PRIVACY_PATH, TEAMS_TERMS_PATH } from './pages.js';
import { TEAMS_MESSAGES_PATH, type TeamsSettings, teamsConfig, teamsSettings } from './settings.js';

/** Microsoft Teams: a bot people @mention, Adaptive Cards, proactive posts through Bot Framework. */
export const teamsPlatform: ChatPlatform<TeamsSettings> = {
  config: teamsConfig,
  settings: teamsSettings,
  enableHint: 'MICROSOFT_APP_ID with MICROSOFT_APP_PASSWORD for Teams',
  prefix: () => '@waba-pulse',
  paths: () => [TEAMS_MESSAGES_PATH, TEAMS_PRIVACY_PATH, TEAMS_TERMS_PATH],
  unauthenticated: (settings) =>
    settings.appId ? undefined : { key: 'teams.allowUnauthenticated', fix: 'set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD' },
  async create(settings, ctx, { links, log }) {
    const { createTeamsSurface } = await import('./bot.js');
    if (!settings.appId)
      log.warn(
        'TEAMS: no MICROSOFT_APP_ID — accepting UNAUTHENTICATED Bot Framework requests (teams.allowUnauthenticated), on a loopback address only. Never do this in production.',
      );
    return createTeamsSurface(settings, ctx, links, log);
  },
  serves: 'Teams (/api/messages)',
  commands: [
    {
      name: 'teams-package',
      description: 'zip manifest/teams into an uploadable Teams app package, with MICROSOFT_APP_ID filled in',
      options: [['--out <file>', 'where to write (default ./out/waba-pulse-teams.zip)']],
      run: async (opts, io) => (await import('./package.js')).runTeamsPackage(opts as { out?: string }, io),
    },
  ],
};
