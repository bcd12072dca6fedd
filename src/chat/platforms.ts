import type { ChartLinks } from '../charts/links.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Platform } from '../store/types.js';
import type { CommandContext } from './context.js';
import { SLACK_EVENTS_PATH, type SlackSettings, slackSettings } from './slack/settings.js';
import type { ChatSurface } from './surface.js';
import { TEAMS_PRIVACY_PATH, TEAMS_TERMS_PATH } from './teams/pages.js';
import { TEAMS_MESSAGES_PATH, type TeamsSettings, teamsSettings } from './teams/settings.js';

/**
 * The chat platforms `serve` knows, side by side: whether the environment enables each (a
 * half-configured one is a ConfigError naming what is missing), and how to make its surface —
 * its SDK loaded only when it is enabled. Adding a platform is a folder and an entry here.
 */
export interface ChatPlatform {
  platform: Platform;
  /** Settings from the environment and config, or undefined when the platform is off. */
  enabled(config: Config): object | undefined;
  /** How people type commands on it, for help texts. */
  prefix(config: Config): string;
  /** The HTTP routes it will mount on the serve port: answered 503 with Retry-After until it is up. */
  paths(settings: object): string[];
  /** The config key that makes it accept requests nobody authenticated: then `serve` listens on loopback only. */
  unauthenticated(settings: object): string | undefined;
  create(settings: object, ctx: CommandContext, deps: { links: ChartLinks; log: Logger }): Promise<ChatSurface>;
}

export const CHAT_PLATFORMS: readonly ChatPlatform[] = [
  {
    platform: 'slack',
    enabled: slackSettings,
    prefix: (config) => config.slack.command,
    // Socket Mode connects out: nothing to mount.
    paths: (settings) => ((settings as SlackSettings).signingSecret ? [SLACK_EVENTS_PATH] : []),
    unauthenticated: () => undefined,
    async create(settings, ctx, { log }) {
      const { createSlackSurface } = await import('./slack/app.js');
      return createSlackSurface(settings as SlackSettings, ctx, log);
    },
  },
  {
    platform: 'teams',
    enabled: teamsSettings,
    prefix: () => '@waba-pulse',
    paths: () => [TEAMS_MESSAGES_PATH, TEAMS_PRIVACY_PATH, TEAMS_TERMS_PATH],
    unauthenticated: (settings) => ((settings as TeamsSettings).appId ? undefined : 'teams.allowUnauthenticated'),
    async create(settings, ctx, { links, log }) {
      const { createTeamsSurface } = await import('./teams/bot.js');
      const teams = settings as TeamsSettings;
      if (!teams.appId)
        log.warn(
          'TEAMS: no MICROSOFT_APP_ID — accepting UNAUTHENTICATED Bot Framework requests (teams.allowUnauthenticated), on a loopback address only. Never do this in production.',
        );
      return createTeamsSurface(teams, ctx, links, log);
    },
  },
];
