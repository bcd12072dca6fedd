import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_DOWN_NOTE } from '../../src/cache/bucketCache.js';
import { buildConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/log.js';
import { sampleAccounts } from '../../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { type RunningService, startService } from '../../src/serve/service.js';
import { startFakeSlack } from '../fakes/slack.js';
import { slashCommands } from '../helpers/slashCommands.js';
import { postgresUrl, storeBackends } from '../helpers/stores.js';

/**
 * A database closed to new connections while `serve` runs (`ALTER DATABASE … ALLOW_CONNECTIONS
 * false` and its sessions ended, as for maintenance): PostgreSQL answers SQLSTATE 55000, "database
 * … is not currently accepting connections". The store is unavailable, not broken: a report is
 * answered from Graph with the cache note, as with a database that is down.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const NOW = Date.UTC(2026, 10, 25, 10, 15);
const SIGNING_SECRET = 'closed-signing-secret-6e2f';
const GRAPH_TOKEN = 'EAAG-closed-graph-token-3391';
const accounts = sampleAccounts(NOW).slice(0, 1);

describe.skipIf(!hasPostgres)('serve while its PostgreSQL database refuses connections (55000)', () => {
  // A scratch database of its own: closing it shuts out nobody else.
  const name = `wp_closed_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const url = new URL(postgresUrl());
  url.pathname = `/${name}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  let sandbox: RunningSandbox;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let service: RunningService;

  beforeAll(async () => {
    await admin(`create database ${name}`);
    sandbox = await startSandbox({ accounts, now: () => NOW, token: GRAPH_TOKEN, callsPerHour: 1_000_000 });
    slack = await startFakeSlack();
    service = await startService({
      config: buildConfig(
        {
          accounts: accounts.map((a) => ({ id: a.id, name: a.name, token: '${GRAPH_TOKEN}', timezone: a.timezone })),
          access: [{ slack: { channel: 'C0OPS' }, accounts: '*' }],
          graph: { maxAttempts: 1 },
        },
        {
          DATABASE_URL: url.toString(),
          GRAPH_API_URL: sandbox.url,
          SLACK_BOT_TOKEN: 'xoxb-closed-bot',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: slack.apiUrl,
        },
      ),
      env: { GRAPH_TOKEN },
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
      schedule: false,
    });
  });
  afterAll(async () => {
    await service?.close();
    await slack?.close();
    await sandbox?.close();
    await admin(`drop database if exists ${name} with (force)`);
  });

  it('answers a report from Graph with the cache note instead of failing', async () => {
    const commands = slashCommands(slack, SIGNING_SECRET);
    const before = await commands.answer(await commands.ask(service, `report ${accounts[0]!.name} 7d`));
    expect(before.inChannel).toBe(true);
    expect(before.blocks).not.toContain(CACHE_DOWN_NOTE);

    await admin(`alter database ${name} allow_connections false`);
    await admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}'`);
    const closed = await commands.answer(await commands.ask(service, `report ${accounts[0]!.name} 7d`));
    expect(closed.text).not.toMatch(/went wrong/);
    expect(closed.inChannel).toBe(true);
    expect(closed.blocks).toContain(CACHE_DOWN_NOTE);
    // The same numbers as before the database closed: everything came from Graph.
    const headline = (answer: { blocks: string }) => (JSON.parse(answer.blocks) as unknown[])[1];
    expect(headline(closed)).toEqual(headline(before));
    expect((await fetch(`${service.url}/healthz`)).status).toBe(503);
  }, 60_000);
});
