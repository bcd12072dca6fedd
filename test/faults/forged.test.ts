import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertContent } from '../../src/alerts/model.js';
import { buildConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/log.js';
import { sampleAccounts } from '../../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { type RunningService, startService } from '../../src/serve/service.js';
import type { SqlStore } from '../../src/store/sql.js';
import { startFakeConnector } from '../fakes/connector.js';
import { startFakeSlack } from '../fakes/slack.js';
import { postRaised, raiseAlert } from '../helpers/alerts.js';
import { storeBackends } from '../helpers/stores.js';

/**
 * Forged and replayed requests against a running service, on each store: alert buttons from a
 * conversation that may not see the account or never got the alert, keys never issued, unknown
 * actions, Teams cards submitted with made-up content, serviceUrls that are not Bot Framework's,
 * replayed and future-dated Slack requests, malformed bodies. Each is refused with a short line
 * and changes nothing.
 */
const NOW = Date.UTC(2026, 10, 25, 10, 15);
const SIGNING_SECRET = 'forged-signing-secret-0a1b';
const GRAPH_TOKEN = 'EAAG-forged-graph-token-99';
const [acme, globex] = sampleAccounts(NOW);

let sandbox: RunningSandbox;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let connector: Awaited<ReturnType<typeof startFakeConnector>>;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: [acme!, globex!], now: () => NOW, token: GRAPH_TOKEN, callsPerHour: 100_000 });
  slack = await startFakeSlack();
  connector = await startFakeConnector();
});
afterAll(async () => {
  await slack.close();
  await connector.close();
  await sandbox.close();
});

const backends = await storeBackends();

describe.each(backends)('forged and replayed requests on $name', (backend) => {
  let store: SqlStore;
  let service: RunningService;
  let alert: AlertContent;
  let postedTs: string;

  beforeAll(async () => {
    store = await backend.open();
    const config = buildConfig(
      {
        accounts: [acme!, globex!].map((a) => ({
          id: a.id,
          name: a.name,
          displayName: a.displayName,
          token: '${GRAPH_TOKEN}',
          timezone: a.timezone,
        })),
        access: [
          { slack: { channel: 'C0OPS' }, accounts: ['acme-retail'] },
          { slack: { channel: 'C0OTHER' }, accounts: ['globex-support'] },
          { teams: { conversation: '19:ops@thread.tacv2' }, accounts: ['acme-retail'] },
        ],
        teams: { allowUnauthenticated: true, serviceUrls: [connector.url] },
      },
      {
        GRAPH_API_URL: sandbox.url,
        SLACK_BOT_TOKEN: 'xoxb-forged-bot-token',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
      },
    );
    service = await startService({
      config,
      env: { GRAPH_TOKEN },
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
      store,
      schedule: false,
    });
    alert = await raiseAlert(
      store,
      {
        accountId: acme!.id,
        accountName: 'Acme Retail',
        timezone: 'Asia/Kolkata',
        anomalies: [{ severity: 'critical', explanation: 'Delivery on +1 631 555 1000 fell to 74.9%.' }],
      },
      NOW,
    );
    postedTs = (await postRaised(store, service.surfaces.slack!, 'C0OPS', alert, NOW))!;
  });
  afterAll(async () => {
    await service.close();
    await store.close();
    await backend.cleanup();
  });

  const sign = (body: string, ts: number) => `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  async function slackPost(body: string, ts = Math.floor(Date.now() / 1000), contentType = 'application/x-www-form-urlencoded') {
    const res = await fetch(`${service.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sign(body, ts) },
      body,
    });
    return { status: res.status, text: await res.text() };
  }
  let n = 0;
  function click(channel: string, actionId: string, key: string, ts = postedTs) {
    const payload = {
      type: 'block_actions',
      user: { id: 'U0MALLORY' },
      channel: { id: channel },
      message: { ts, blocks: [] },
      actions: [{ action_id: actionId, value: JSON.stringify({ key, account: acme!.id }), type: 'button' }],
      response_url: slack.responseUrl(`forged-${++n}`),
      trigger_id: `forged.${n}`,
    };
    return slackPost(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  }
  const ephemeralTo = (channel: string, after: number) =>
    slack.waitFor(() => slack.calls.slice(after).find((c) => c.method === 'chat.postEphemeral' && c.args.channel === channel));

  it('refuses an alert button pressed in a channel with no access to the account', async () => {
    const before = slack.calls.length;
    await click('C0OTHER', 'alert_ack', alert.key);
    const refusal = await ephemeralTo('C0OTHER', before);
    expect(refusal.args.text).toMatch(/not one I know in this conversation|may not act/);
    await click('C0NOBODY', 'alert_mute_24h', alert.key);
    await ephemeralTo('C0NOBODY', before);
    expect(await store.alerts.alertHistory(alert.key)).toEqual([]);
    expect(await store.preferences.alertSettings({ platform: 'slack', conversation: 'C0OTHER' })).toEqual([]);
    expect(await store.preferences.alertSettings({ platform: 'slack', conversation: 'C0NOBODY' })).toEqual([]);
    expect(slack.calls.slice(before).some((c) => c.method === 'chat.update')).toBe(false);
  });

  it('refuses keys never issued (a 50,000-character one too) and unknown actions, storing nothing', async () => {
    const before = slack.calls.length;
    for (const [action, key] of [
      ['alert_ack', 'AAAAAAAAAAAAAAAA'],
      ['alert_ack', 'k'.repeat(50_000)],
      ['alert_nuke', alert.key],
      ['alert_mute_1h', `${alert.key}x`],
    ] as const) {
      await click('C0OPS', action, key);
    }
    await slack.waitFor(() => (slack.calls.slice(before).filter((c) => c.method === 'chat.postEphemeral').length >= 4 ? true : undefined));
    const lines = slack.calls
      .slice(before)
      .filter((c) => c.method === 'chat.postEphemeral')
      .map((c) => String(c.args.text));
    expect(lines.every((l) => l.length < 120)).toBe(true);
    expect(lines.some((l) => /not one of mine/.test(l))).toBe(true);
    expect(await store.alerts.alertHistory(alert.key)).toEqual([]);
    expect(await store.alerts.alertHistory('k'.repeat(50_000))).toEqual([]);
    expect(await store.preferences.alertSettings({ platform: 'slack', conversation: 'C0OPS' })).toEqual([]);
  });

  it('applies a genuine click, and redraws the message from the store', async () => {
    const before = slack.calls.length;
    await click('C0OPS', 'alert_mute_1h', alert.key);
    const update = await slack.waitFor(() => slack.calls.slice(before).find((c) => c.method === 'chat.update'));
    expect(JSON.stringify(update.args.blocks)).toContain('Delivery on +1 631 555 1000 fell to 74.9%.');
    expect(JSON.stringify(update.args.blocks)).toContain('Muted until 16:45\u00a0IST by <@U0MALLORY>');
    expect((await store.preferences.alertSettings({ platform: 'slack', conversation: 'C0OPS' }))[0]).toMatchObject({
      accountId: acme!.id,
      mutedUntil: NOW + 3_600_000,
    });
  });

  it('runs a replayed slash command once, and refuses a timestamp six minutes in the future', async () => {
    const body = new URLSearchParams({
      team_id: 'T0FAKE',
      channel_id: 'C0OPS',
      user_id: 'U0ALICE',
      command: '/waba',
      text: 'accounts',
      response_url: slack.responseUrl(`replay-${backend.name}`),
      trigger_id: `replay.${backend.name}`,
    }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const first = await slackPost(body, ts);
    const replay = await slackPost(body, ts);
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    await slack.waitFor(() => slack.responses.find((r) => r.id === `replay-${backend.name}`));
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.responses.filter((r) => r.id === `replay-${backend.name}`)).toHaveLength(1);
    const future = await slackPost(body.replace('replay.', 'future.'), ts + 6 * 60);
    expect(future.status).toBe(401);
  });

  it('echoes at most about 100 characters of what was typed', async () => {
    const body = new URLSearchParams({
      team_id: 'T0FAKE',
      channel_id: 'C0OPS',
      user_id: 'U0ALICE',
      command: '/waba',
      text: `x${'y'.repeat(1_000_000)}`,
      response_url: slack.responseUrl('huge'),
      trigger_id: `huge.${backend.name}`,
    }).toString();
    const { status, text } = await slackPost(body);
    expect(status).toBe(200);
    expect(text.length).toBeLessThan(300);
    expect(text).toContain('…');
  });

  describe('Teams', () => {
    const activity = (extra: Record<string, unknown>) => ({
      type: 'message',
      id: `in-${++n}`,
      timestamp: new Date(NOW).toISOString(),
      serviceUrl: connector.url,
      channelId: 'msteams',
      from: { id: '29:mallory', name: 'Mallory', aadObjectId: 'aad-mallory' },
      conversation: { id: '19:ops@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
      recipient: { id: '28:waba-pulse', name: 'waba-pulse' },
      channelData: { tenant: { id: 'tenant-1' } },
      ...extra,
    });
    const send = async (body: unknown, raw?: string) => {
      const res = await fetch(`${service.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw ?? JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };

    it('redraws a clicked card from the store, never from the submitted content', async () => {
      await send(activity({ text: 'help' })); // the bot learns the conversation
      const teamsAlert = await raiseAlert(
        store,
        {
          accountId: acme!.id,
          accountName: 'Acme Retail',
          timezone: 'Asia/Kolkata',
          anomalies: [{ severity: 'warning', explanation: 'The stored explanation.' }],
        },
        NOW,
      );
      const id = await postRaised(store, service.surfaces.teams!, '19:ops@thread.tacv2', teamsAlert, NOW);
      const before = connector.calls.length;
      await send(
        activity({
          text: undefined,
          replyToId: id,
          value: {
            kind: 'waba-pulse-alert',
            key: teamsAlert.key,
            action: 'ack',
            alert: { ...teamsAlert, anomalies: [{ severity: 'critical', explanation: 'FORGED: all is lost' }] },
          },
        }),
      );
      const update = await connector.waitFor(() => connector.calls.slice(before).find((c) => c.method === 'PUT'));
      expect(JSON.stringify(update.activity)).toContain('The stored explanation.');
      expect(JSON.stringify(update.activity)).not.toContain('FORGED');
    });

    it("refuses a serviceUrl that is not Bot Framework's, and never lets an unauthenticated request move a stored conversation", async () => {
      const before = await store.conversations.conversation('19:ops@thread.tacv2');
      const refused = await send(activity({ text: 'help', serviceUrl: 'https://attacker.example.net/' }));
      expect(refused.status).toBe(403);
      expect(refused.text).toBe('{"error":"serviceUrl not allowed"}');
      // An allowed URL, but a different one: the stored reference stays as it was.
      await send(activity({ text: 'help', serviceUrl: `${connector.url}/other/` }));
      await new Promise((r) => setTimeout(r, 200));
      expect((await store.conversations.conversation('19:ops@thread.tacv2'))!.reference).toEqual(before!.reference);
    });

    it('echoes at most about 100 characters of a 900 KB word in its card', async () => {
      const before = connector.calls.length;
      await send(activity({ text: `z${'w'.repeat(900_000)}` }));
      const reply = await connector.waitFor(() => connector.calls.slice(before).find((c) => c.activity.attachments?.length));
      expect(JSON.stringify(reply.activity).length).toBeLessThan(2_000);
    });

    it('answers malformed requests with a short 400 and no internals', async () => {
      const malformed = await send(undefined, '{"type": "message", ');
      expect(malformed).toEqual({ status: 400, text: '{"error":"bad request"}' });
      const noConversation = await send({ type: 'message', serviceUrl: connector.url, text: 'help' });
      expect(noConversation).toEqual({ status: 400, text: '{"error":"not a Bot Framework activity"}' });
      const chart = await fetch(`${service.url}/charts/%zz.png`);
      expect(chart.status).toBe(400);
      const text = await chart.text();
      expect(text).toBe('{"error":"bad request"}');
      expect(text).not.toMatch(/node_modules|at .*\(/);
    });
  });
});
