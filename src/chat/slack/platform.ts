import type { ChatPlatform } from '../platform.js';
import { SLACK_EVENTS_PATH, type SlackSettings, slackCommand, slackConfig, slackSettings } from './settings.js';

/** Slack: a slash command, Block Kit messages and buttons, over HTTP or Socket Mode. */
export const slackPlatform: ChatPlatform<SlackSettings> = {
  config: slackConfig,
  settings: slackSettings,
  enableHint: 'SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) for Slack',
  prefix: slackCommand,
  // Socket Mode connects out: nothing to mount.
  paths: (settings) => (settings.signingSecret ? [SLACK_EVENTS_PATH] : []),
  unauthenticated: () => undefined,
  async create(settings, ctx, { log }) {
    const { createSlackSurface } = await import('./app.js');
    return createSlackSurface(settings, ctx, log);
  },
  serves: 'Slack (/slack/events, or Socket Mode)',
};
