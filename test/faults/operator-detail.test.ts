import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/configure.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { type RunningService, startService } from '../../src/serve/service.js';
import { openStore, type SqlStore } from '../../src/store/sql.js';
import { startFakeConnector } from '../fakes/connector.js';
import { slackSignedRequest, startFakeSlack } from '../fakes/slack.js';
import { freshPostgresSchema, postgresTarget, storeBackends } from '../helpers/stores.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { thrown } from '../helpers/thrown.js';

/**
 * What the database's failures look like from outside, on a real PostgreSQL that goes away:
 * /healthz and the chat error lines (Slack and Teams) say the database is unreachable in their
 * own words — no host, port or database name, no advice about DATABASE_URL that only the
 * operator can follow — while the operator's log keeps the detail. /metrics asks for its token.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const NOW = Date.UTC(2026, 10, 25, 10, 15);
const SIGNING_SECRET = 'detail-signing-secret-5e2a';
const METRICS_TOKEN = 'metrics-token-for-scrapers-7f3b9c';
const DB_LINE = 'waba-pulse cannot reach its database right now; try again in a minute.';

describe.skipIf(!hasPostgres)('the database away, seen from /healthz, Slack, Teams and the log (PostgreSQL)', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let db: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let store: SqlStore;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let connector: Awaited<ReturnType<typeof startFakeConnector>>;
  let service: RunningService;
  let log = '';

  beforeAll(async () => {
    proxy = await startTcpProxy(postgresTarget());
    db = await freshPostgresSchema({ host: '127.0.0.1', port: proxy.port });
    store = await openStore(db.url);
    slack = await startFakeSlack();
    connector = await startFakeConnector();
    const destination = new PassThrough();
    destination.on('data', (c) => (log += c));
    service = await startService({
      config: buildConfig(
        {
          accounts: [{ id: '104729384756102', name: 'acme-retail', token: '${T}', timezone: 'Asia/Kolkata' }],
          access: [
            { slack: { channel: 'C0OPS' }, accounts: '*' },
            { teams: { conversation: '19:ops@thread.tacv2' }, accounts: '*' },
          ],
          teams: { allowUnauthenticated: true, serviceUrls: [connector.url] },
        },
        {
          GRAPH_API_URL: 'http://127.0.0.1:9',
          SLACK_BOT_TOKEN: 'xoxb-detail-bot-token',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: slack.apiUrl,
          METRICS_TOKEN,
        },
      ),
      env: { T: 'x' },
      logger: createLogger({ level: 'info', destination }),
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
      store,
      schedule: false,
    });
    await proxy.down();
  });
  afterAll(async () => {
    await proxy?.up();
    await service?.close();
    await store?.close();
    await slack?.close();
    await connector?.close();
    await proxy?.close();
    await db?.cleanup();
  });

  /** A log line with both: the operator's log keeps what chat and /healthz leave out. */
  const logged = (msg: string, detail: string) =>
    slack.waitFor(() => (log.split('\n').some((l) => l.includes(msg) && l.includes(detail)) ? true : undefined));
  const leaks = (text: string) =>
    [String(proxy.port), '127.0.0.1', 'DATABASE_URL', 'ECONNREFUSED', db.schema].filter((s) => text.includes(s));

  it('/healthz says the store is unreachable, and only that', async () => {
    const res = await fetch(`${service.url}/healthz`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ status: 'degraded', store: 'unreachable' });
    expect(leaks(body)).toEqual([]);
    await logged('health check: the store does not answer', `127.0.0.1:${proxy.port}`);
  });

  it('a Slack command that needs the store gets one line in chat words; the log keeps the detail', async () => {
    const body = new URLSearchParams({
      team_id: 'T0FAKE',
      channel_id: 'C0OPS',
      user_id: 'U0ALICE',
      command: '/waba',
      text: 'subscriptions',
      response_url: slack.responseUrl('subs'),
      trigger_id: 'subs.1',
    }).toString();
    const res = await fetch(`${service.url}/slack/events`, slackSignedRequest(body, SIGNING_SECRET));
    expect(res.status).toBe(200);
    const answer = await slack.waitFor(() =>
      slack.responses.find((r) => r.id === 'subs' && r.body.text !== undefined && !/Working/.test(String(r.body.text))),
    );
    expect(answer.body.text).toBe(`:warning: ${DB_LINE}`);
    expect(leaks(JSON.stringify(answer.body))).toEqual([]);
    await logged('chat command failed', `127.0.0.1:${proxy.port}`);
  });

  it('a Teams message while the store is away gets the same line, on its card and in its text', async () => {
    const before = connector.calls.length;
    const res = await fetch(`${service.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        id: 'in-detail-1',
        timestamp: new Date(NOW).toISOString(),
        serviceUrl: connector.url,
        channelId: 'msteams',
        from: { id: '29:alice', name: 'Alice' },
        conversation: { id: '19:ops@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
        recipient: { id: '28:waba-pulse', name: 'waba-pulse' },
        text: 'subscriptions',
      }),
    });
    expect(res.status).toBe(200);
    const reply = await connector.waitFor(() => connector.calls.slice(before).find((c) => c.activity.attachments?.length));
    expect(reply.activity.text).toBe(DB_LINE);
    const { text, summary, attachments } = reply.activity;
    expect(summary).toBe(DB_LINE);
    expect(leaks(JSON.stringify({ text, summary, attachments }))).toEqual([]);
    await logged('teams turn failed', `127.0.0.1:${proxy.port}`);
  });

  it('/metrics answers only a scraper with its bearer token', async () => {
    const none = await fetch(`${service.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${service.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    const scraped = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('waba_pulse_webhook_requests_total');
    expect(log).not.toContain(METRICS_TOKEN);
  });

  it('refuses a METRICS_TOKEN too short to protect anything, without echoing it', () => {
    const err = thrown(() => buildConfig({ accounts: [] }, { METRICS_TOKEN: 'short' }), ConfigError);
    expect(err.message).toBe('env.METRICS_TOKEN: is 5 characters long (not shown)');
  });
});
