import { z } from 'zod';
import { url } from '../../config/env.js';
import type { Config, PlatformConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { quoted } from '../../text.js';

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

const block = z
  .strictObject({
    command: z
      .string()
      .regex(/^\/[a-z0-9_-]{1,31}$/, { error: (issue) => `${quoted(issue.input)} is not a slash command — write e.g. /waba` })
      .default('/waba'),
  })
  .default({ command: '/waba' });

/** What the config reads of Slack: `{ slack: { channel } }` targets, access by channel or user, the `slack:` block. */
export const slackConfig: PlatformConfig = {
  key: 'slack',
  label: 'Slack',
  target: z.strictObject({ channel: z.string().min(1) }).transform((t) => t.channel),
  targetExample: '{ slack: { channel: C123 } }',
  access: z.strictObject({ channel: z.string().min(1).optional(), user: z.string().min(1).optional() }),
  // A user (U…, W… on Enterprise Grid) or a user group (S…), as Slack shows their ids.
  admin: z.string().regex(/^[UWS][A-Z0-9]{2,}$/, {
    error: (issue) => `${quoted(issue.input)} is not a Slack user id (U…) or user group id (S…)`,
  }),
  settings: block,
  variables: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL'],
  secrets: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'],
  matches: (match, who) =>
    (match.channel === undefined || match.channel === who.conversation) && (match.user === undefined || match.user === who.user),
  describeConversation: (conversation) => `Slack channel ${conversation}`,
};

/** The slash command people type (`slack.command`). */
export function slackCommand(config: Config): string {
  return (config.platformSettings.slack as z.output<typeof block>).command;
}

/** Slack is on with a bot token and a signing secret (HTTP) or an app token (Socket Mode); a half-configured one is an error naming what is missing. */
export function slackSettings(config: Config): SlackSettings | undefined {
  const env = config.platformEnv;
  const botToken = env.SLACK_BOT_TOKEN;
  const signingSecret = env.SLACK_SIGNING_SECRET;
  const appToken = env.SLACK_APP_TOKEN;
  if (!botToken) {
    if (signingSecret || appToken)
      throw new ConfigError(
        'env.SLACK_BOT_TOKEN',
        'is not set, but other Slack variables are',
        "set SLACK_BOT_TOKEN to the app's bot token (xoxb-...)",
      );
    return undefined;
  }
  if (!signingSecret && !appToken) {
    throw new ConfigError(
      'env.SLACK_SIGNING_SECRET',
      'is not set (nor SLACK_APP_TOKEN)',
      'set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN (xapp-...) for Socket Mode',
    );
  }
  // The Web API base ends in /api/; a trailing slash is what the SDK expects.
  const apiUrl = url(env, 'SLACK_API_URL')?.concat('/');
  return { botToken, signingSecret, appToken, apiUrl, command: slackCommand(config) };
}
