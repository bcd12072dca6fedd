import type { Config } from '../../config/load.js';
import { ConfigError } from '../../errors.js';

/** Slack's events, commands and interactivity (HTTP mode), on the serve port. */
export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackSettings {
  botToken: string;
  /** HTTP mode. */
  signingSecret?: string | undefined;
  /** Socket Mode. */
  appToken?: string | undefined;
  apiUrl?: string | undefined;
  command: string;
}

/** Slack is on with a bot token and a signing secret (HTTP) or an app token (Socket Mode); a half-configured one is an error naming what is missing. */
export function slackSettings(config: Config): SlackSettings | undefined {
  const s = config.env.slack;
  if (!s.botToken) {
    if (s.signingSecret || s.appToken)
      throw new ConfigError(
        'env.SLACK_BOT_TOKEN',
        'is not set, but other Slack variables are',
        "set SLACK_BOT_TOKEN to the app's bot token (xoxb-...)",
      );
    return undefined;
  }
  if (!s.signingSecret && !s.appToken) {
    throw new ConfigError(
      'env.SLACK_SIGNING_SECRET',
      'is not set (nor SLACK_APP_TOKEN)',
      'set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN (xapp-...) for Socket Mode',
    );
  }
  return { botToken: s.botToken, signingSecret: s.signingSecret, appToken: s.appToken, apiUrl: s.apiUrl, command: config.slack.command };
}
