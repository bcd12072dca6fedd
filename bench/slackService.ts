/**
 * The waba-pulse service as the Slack benches drive it: the sandbox's accounts behind a Graph
 * URL, the fake Slack on loopback, SQLite in memory, and signed requests to /slack/events.
 */
import { buildConfig } from '../src/configure.js';
import { silentLogger } from '../src/log.js';
import type { SandboxAccount } from '../src/sandbox/accountModel.js';
import { startService } from '../src/serve/service.js';
import { slackSignedRequest, startFakeSlack } from '../test/fakes/slack.js';

export interface SlackBench {
  config: ReturnType<typeof buildConfig>;
  slack: Awaited<ReturnType<typeof startFakeSlack>>;
  service: Awaited<ReturnType<typeof startService>>;
  /** A signed request to /slack/events, as Slack sends one; the answer's body. */
  post(body: string, contentType?: string): Promise<string>;
  /** A signed interaction (`block_actions`, `view_submission`) from team T0. */
  interaction(payload: object): Promise<string>;
  close(): Promise<void>;
}

export async function startSlackBench(options: {
  accounts: readonly SandboxAccount[];
  graphUrl: string;
  signingSecret: string;
  /** Who may ask for what (default: every account, from #C0BENCH). */
  access?: unknown[];
}): Promise<SlackBench> {
  const slack = await startFakeSlack();
  const config = buildConfig(
    {
      accounts: options.accounts.map((a) => ({ id: a.id, name: a.name, displayName: a.displayName, token: '${T}', timezone: a.timezone })),
      access: options.access ?? [{ slack: { channel: 'C0BENCH' }, accounts: '*' }],
    },
    {
      DATABASE_URL: 'sqlite::memory:',
      GRAPH_API_URL: options.graphUrl,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: options.signingSecret,
      SLACK_API_URL: slack.apiUrl,
    },
  );
  const service = await startService({
    config,
    env: { T: 'sandbox-token' },
    logger: silentLogger,
    port: 0,
    host: '127.0.0.1',
    now: Date.now,
  });
  const post = async (body: string, contentType?: string) => {
    const res = await fetch(`${service.url}/slack/events`, slackSignedRequest(body, options.signingSecret, undefined, contentType));
    return res.text();
  };
  return {
    config,
    slack,
    service,
    post,
    interaction: (payload) => post(new URLSearchParams({ payload: JSON.stringify({ team: { id: 'T0' }, ...payload }) }).toString()),
    close: async () => {
      await service.close();
      await slack.close();
    },
  };
}
