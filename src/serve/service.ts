import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { chartRenderer } from '../charts/render.js';
import type { CommandContext } from '../chat/commands.js';
import { createSlackSurface, type SlackSurface } from '../chat/slack/app.js';
import type { Config } from '../config/load.js';
import { ConfigError, WabaPulseError } from '../errors.js';
import { GraphClient } from '../graph/client.js';
import type { Logger } from '../log.js';
import { MemoryStore } from '../store/memory.js';
import type { Store } from '../store/types.js';

export class ChatAuthError extends WabaPulseError {
  readonly code = 'E_CHAT_AUTH';
  readonly exitCode = 1 as const;
}

export interface ServiceOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  now?: () => number;
  port?: number;
  host?: string;
  store?: Store;
}

export interface RunningService {
  url: string;
  port: number;
  slack: SlackSurface | undefined;
  store: Store;
  close(): Promise<void>;
}

/** Which chat surfaces the environment enables; a half-configured one is an error naming what is missing. */
export function slackSettings(config: Config) {
  const s = config.env.slack;
  if (!s.botToken) {
    if (s.signingSecret || s.appToken) throw new ConfigError('env.SLACK_BOT_TOKEN', 'is not set, but other Slack variables are', 'set SLACK_BOT_TOKEN to the app\'s bot token (xoxb-...)');
    return undefined;
  }
  if (!s.signingSecret && !s.appToken) {
    throw new ConfigError('env.SLACK_SIGNING_SECRET', 'is not set (nor SLACK_APP_TOKEN)', 'set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN (xapp-...) for Socket Mode');
  }
  return { botToken: s.botToken, signingSecret: s.signingSecret, appToken: s.appToken, apiUrl: s.apiUrl, command: config.slack.command };
}

/**
 * `waba-pulse serve`: one HTTP server on PORT for Slack (`/slack/events`, or Socket Mode),
 * health, and later Teams and chart images.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, logger } = options;
  const slackConfig = slackSettings(config);
  if (!slackConfig) {
    throw new ConfigError(
      'env',
      'nothing to serve: no chat platform is configured',
      'set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); see .env.example',
    );
  }
  const now = options.now ?? Date.now;
  const store = options.store ?? new MemoryStore();
  const graph = new GraphClient({ ...config.graph, logger, now });
  const ctx: CommandContext = {
    config,
    env: options.env,
    store,
    graph,
    charts: chartRenderer(config.env.chartRenderer, config.env.quickchartUrl),
    now,
    prefix: config.slack.command,
  };
  const web = express();
  let slack: SlackSurface | undefined;
  web.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', slack: slack ? slack.mode : 'off' });
  });
  slack = createSlackSurface(slackConfig, ctx, logger.child({ surface: 'slack' }), web);
  try {
    await slack.start();
  } catch (err) {
    await graph.close();
    const code = (err as { data?: { error?: string } }).data?.error ?? (err as Error).message;
    throw new ChatAuthError(`Slack refused the bot token (${code})`, 'check SLACK_BOT_TOKEN (and SLACK_APP_TOKEN for Socket Mode), or SLACK_API_URL', { cause: err });
  }

  const server: Server = createServer(web);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.env.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ port, slack: slack.mode }, 'waba-pulse serving');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    slack,
    store,
    async close() {
      await slack?.stop();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await graph.close();
      await store.close();
    },
  };
}
