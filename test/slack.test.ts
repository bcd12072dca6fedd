import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertContent } from '../src/alerts/model.js';
import { buildConfig } from '../src/configure.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { type RunningService, startService } from '../src/serve/service.js';
import { startFakeGraph } from './fakes/graph.js';
import { startFakeSlack } from './fakes/slack.js';
import { fortyNumbers } from './fixtures/accounts.js';
import { postRaised, raiseAlert } from './helpers/alerts.js';

const NOW = Date.UTC(2026, 10, 25, 10, 15);
const SIGNING_SECRET = 'test-signing-secret-0f9e8d';
const BOT_TOKEN = 'xoxb-test-bot-token-123456';
const GRAPH_TOKEN = 'EAAG-graph-secret-token-42';

const bigco = fortyNumbers;

let sandbox: RunningSandbox;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let service: RunningService;

function config(graphUrl: string, apiUrl: string) {
  const accounts = [...sampleAccounts(NOW).slice(0, 2), bigco];
  return buildConfig(
    {
      accounts: accounts.map((a) => ({
        id: a.id,
        name: a.name,
        displayName: a.displayName,
        token: '${GRAPH_TOKEN}',
        timezone: a.timezone,
      })),
      access: [
        { slack: { channel: 'C0OPS' }, accounts: ['acme-retail', 'bigco'] },
        { slack: { channel: 'C0OTHER' }, accounts: ['globex-support'] },
      ],
      graph: { maxAttempts: 1, timeout: '30s', callsPerReport: 100 },
    },
    {
      DATABASE_URL: 'sqlite::memory:',
      GRAPH_API_URL: graphUrl,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: apiUrl,
    },
  );
}

const env = { GRAPH_TOKEN };

beforeAll(async () => {
  sandbox = await startSandbox({ accounts: [...sampleAccounts(NOW), bigco], now: () => NOW, token: GRAPH_TOKEN, callsPerHour: 100_000 });
  slack = await startFakeSlack();
  service = await startService({
    config: config(sandbox.url, slack.apiUrl),
    env,
    logger: silentLogger,
    now: () => NOW,
    port: 0,
    host: '127.0.0.1',
  });
});
afterAll(async () => {
  await service.close();
  await slack.close();
  await sandbox.close();
});

function sign(body: string, ts: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
}

let responseCounter = 0;
async function post(body: string, options: { ts?: number; secret?: string; base?: string } = {}) {
  const ts = options.ts ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const res = await fetch(`${options.base ?? service.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': sign(body, ts, options.secret),
    },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    ms: performance.now() - started,
  };
}

async function slash(text: string, options: { channel?: string; ts?: number; secret?: string; base?: string } = {}) {
  const id = `r${++responseCounter}`;
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0FAKE',
    channel_id: options.channel ?? 'C0OPS',
    user_id: 'U0ALICE',
    command: '/waba',
    text,
    response_url: slack.responseUrl(id),
    trigger_id: '123.456',
  }).toString();
  return { id, ...(await post(body, options)) };
}

/** The answer on a command's response_url (not the removal of its "Working on it…" placeholder). */
const response = (id: string) => slack.waitFor(() => slack.responses.find((r) => r.id === id && !r.body.delete_original));

describe('slash command', () => {
  it('answers help right in the acknowledgement: what each command is for, an example, escaped for mrkdwn', async () => {
    const { status, json } = await slash('help');
    expect(status).toBe(200);
    expect(json).toMatchObject({ response_type: 'ephemeral' });
    const text = JSON.stringify(json);
    expect(text).toContain('*Delivery for a period, with a chart*: `/waba report acme-retail yesterday by country`');
    expect(text).toContain('/waba report &lt;account&gt;');
    // Slack's own: the settings form.
    expect(text).toContain('*Alert rules in a form, with a 30-day preview*: `/waba settings`');
    expect(text).not.toMatch(/[^@!]<account>/);
    const { blockKitViolations } = await import('./fakes/slack.js');
    expect(blockKitViolations(json!)).toEqual([]);
  });

  it('posts a report with the rate first, anomalies, breakdown and an uploaded chart, and removes its placeholder', async () => {
    const { json, id } = await slash('report acme-retail yesterday by phone');
    expect(json?.text).toMatch(/Working on it/);
    const answer = await response(id);
    expect(answer.violations).toEqual([]);
    expect(answer.body.response_type).toBe('in_channel');
    // "Working on it…" does not stay behind: it is deleted before the report is posted.
    const mine = slack.responses.filter((r) => r.id === id).map((r) => r.body);
    expect(mine[0]).toEqual({ delete_original: true });
    expect(mine).toHaveLength(2);
    const blocks = answer.body.blocks as Array<Record<string, any>>;
    expect(blocks[0]).toMatchObject({ type: 'header' });
    expect(blocks[0]!.text.text).toBe('Acme Retail — WhatsApp delivery, Tue 24 Nov 2026');
    expect(blocks[1]!.text.text).toMatch(
      /^\*\d+\.\d% delivered\* {3}.*\*[▲▼→]\u00a0[+−]?\d+\.\d\u00a0pp\* vs previous period\n[\d,]+ sent · [\d,]+ delivered$/,
    );
    expect(JSON.stringify(blocks)).toContain('Delivery on +1 631 555 1000 fell to');
    expect(JSON.stringify(blocks)).toContain('By phone number');
    const image = blocks.find((b) => b.type === 'image')!;
    expect(image.slack_file.id).toMatch(/^F\d+$/);
    expect(slack.calls.map((c) => c.method)).toEqual(
      expect.arrayContaining(['files.getUploadURLExternal', 'files.completeUploadExternal']),
    );
    expect(slack.uploads.find((u) => u.id === image.slack_file.id)!.bytes).toBeGreaterThan(20_000);
    expect(String(answer.body.text)).toMatch(/^Acme Retail: \d+\.\d% delivered( \([▲▼][^)]*\))? of [\d,]+ · \d+ anomal/);
    // Never a token in anything sent to Slack.
    expect(JSON.stringify(slack.calls) + JSON.stringify(slack.responses)).not.toContain(GRAPH_TOKEN);
  });

  it('keeps a 40-number breakdown within Block Kit limits', async () => {
    const { id } = await slash('report bigco yesterday by phone');
    const answer = await response(id);
    expect(answer.violations).toEqual([]);
    const text = JSON.stringify(answer.body.blocks);
    expect(text).toContain('…and 25 more');
  });

  it('refuses an unknown account and one this channel may not see alike, without figures', async () => {
    const unknown = await response((await slash('report nosuch')).id);
    const hidden = await response((await slash('report globex-support')).id);
    expect(unknown.body.text).toBe(':warning: No account "nosuch" is available here. Accounts here: acme-retail, bigco.');
    expect(hidden.body.text).toBe(':warning: No account "globex-support" is available here. Accounts here: acme-retail, bigco.');
    expect(JSON.stringify(hidden.body)).not.toMatch(/Globex|109876543210987/);
  });

  it('answers a mistyped command with a suggestion, right in the acknowledgement', async () => {
    const { json } = await slash('reprot acme-retail');
    expect(json?.text).toBe(':warning: I don\'t know "reprot". Did you mean "report"? Try `help` for what I can do.');
  });

  it('stores subscriptions and alert settings through the store', async () => {
    await response((await slash('subscribe acme-retail daily at 08:30 Europe/Berlin')).id);
    const listed = await response((await slash('subscriptions')).id);
    expect(JSON.stringify(listed.body)).toContain('*Acme Retail*: daily at 08:30 Europe/Berlin');
    expect(await service.store.preferences.listSubscriptions({ platform: 'slack', conversation: 'C0OPS' })).toMatchObject([
      { accountId: '104729384756102', every: 'daily', at: '08:30', timezone: 'Europe/Berlin', createdBy: 'U0ALICE' },
    ]);
    await response((await slash('alerts acme-retail off')).id);
    await response((await slash('mute bigco 2h')).id);
    const settings = await service.store.preferences.alertSettings({ platform: 'slack', conversation: 'C0OPS' });
    expect(settings.find((s) => s.accountId === '104729384756102')!.enabled).toBe(false);
    expect(settings.find((s) => s.accountId === '130000000000001')!.mutedUntil).toBe(NOW + 2 * 3_600_000);
    const removed = await response((await slash('unsubscribe acme-retail')).id);
    expect(JSON.stringify(removed.body)).toContain('Unsubscribed');
    expect(await service.store.preferences.listSubscriptions({ platform: 'slack', conversation: 'C0OPS' })).toEqual([]);
  });

  it('refuses absurd mute durations with one clear line, storing nothing', async () => {
    for (const duration of ['999999999w', `${'9'.repeat(400)}h`, '0.0005s', '30s']) {
      const { json } = await slash(`mute acme-retail ${duration}`);
      expect(String(json?.text)).toMatch(
        /^:warning: Mute: ".*" is (not a duration|out of range) — write e\.g\. 30m, 2h or 1d, from 1m to 90d\.$/,
      );
      expect(String(json?.text).length).toBeLessThan(200);
    }
    const settings = await service.store.preferences.alertSettings({ platform: 'slack', conversation: 'C0OPS' });
    expect(settings.find((s) => s.accountId === '104729384756102')?.mutedUntil ?? null).toBeNull();
  });

  it('plans chat reports as the CLI does: a year of half hours is refused before any Graph call', async () => {
    const before = sandbox.stats.requests;
    const answer = await response((await slash('report acme-retail 365d hourly')).id);
    expect(answer.body.text).toBe(':warning: half-hourly over 365 days is too fine — ask for daily, or a range of up to 31 days');
    expect(sandbox.stats.requests).toBe(before);
  });

  it("lists the accounts this channel may see with yesterday's rate", async () => {
    const answer = await response((await slash('accounts')).id);
    const text = JSON.stringify(answer.body);
    expect(text).toMatch(/\*Acme Retail\* \(`acme-retail`\): \d+\.\d% of [\d,]+ delivered yesterday/);
    expect(text).toContain('BigCo');
    expect(text).not.toContain('Globex');
  });
});

describe('request verification', () => {
  it('refuses a bad signature with 401 and does nothing', async () => {
    const before = slack.calls.length + slack.responses.length;
    const { status } = await slash('help', { secret: 'wrong-secret' });
    expect(status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(slack.calls.length + slack.responses.length).toBe(before);
  });

  it('echoes a typed link or channel mention as text, never as a link or a ping', async () => {
    const typed = '<https://evil.example/login|Reset_your_password><!channel>';
    const text = String((await response((await slash(`report ${typed}`)).id)).body.text);
    expect(text).toContain('&lt;https://evil.example/login|Reset');
    // What Slack would read as markup: none of it comes from what was typed.
    expect(text).not.toMatch(/<https?:|<!channel>|<@/);
  });

  it('refuses a request older than five minutes', async () => {
    const { status } = await slash('help', { ts: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(status).toBe(401);
  });
});

describe('when Graph is slow or down', () => {
  it('acknowledges within 3 seconds while Graph takes 10, and the report follows', async () => {
    const slowGraph = await startFakeGraph(async () => {
      await new Promise((r) => setTimeout(r, 10_000));
      return { body: { analytics: { phone_numbers: [], granularity: 'DAY', data_points: [] }, id: '104729384756102' } };
    });
    const slow = await startService({
      config: config(slowGraph.url, slack.apiUrl),
      env,
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
    });
    try {
      const { ms, json, id } = await slash('report acme-retail yesterday', { base: slow.url });
      expect(ms).toBeLessThan(3_000);
      expect(json?.text).toMatch(/Working on it/);
      const answer = await response(id);
      expect(answer.body.response_type).toBe('in_channel');
    } finally {
      await slow.close();
      await slowGraph.close();
    }
  }, 30_000);

  it('says clearly when Graph is down, with no stack trace', async () => {
    const down = await startService({
      config: config('http://127.0.0.1:1', slack.apiUrl),
      env,
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
    });
    try {
      const answer = await response((await slash('report acme-retail', { base: down.url })).id);
      expect(answer.body.text).toBe(
        ':warning: account "acme-retail" (104729384756102): cannot reach Graph at 127.0.0.1:1 (ECONNREFUSED) — check the network and GRAPH_API_URL, then try again',
      );
    } finally {
      await down.close();
    }
  });
});

describe('waba-pulse serve', () => {
  it('serves Slack and /healthz from the CLI until stopped', async () => {
    const { runCli } = await import('../src/cli/main.js');
    const { PassThrough } = await import('node:stream');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-serve-'));
    const path = join(dir, 'waba-pulse.yaml');
    writeFileSync(
      path,
      'accounts:\n  - id: "104729384756102"\n    name: acme-retail\n    token: ${GRAPH_TOKEN}\naccess:\n  - slack: {}\n    accounts: "*"\n',
    );
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c) => (out += c));
    const controller = new AbortController();
    const stop = () => controller.abort();
    const running = runCli(['serve'], {
      stdout,
      stderr: new PassThrough(),
      env: {
        ...env,
        DATABASE_URL: 'sqlite::memory:',
        WABA_PULSE_CONFIG: path,
        PORT: '0',
        GRAPH_API_URL: sandbox.url,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        LOG_LEVEL: 'silent',
      },
      cwd: dir,
      now: () => NOW,
      signal: controller.signal,
    });
    await slack.waitFor(() => (/serving on port (\d+)/.exec(out) ? true : undefined));
    const port = /serving on port (\d+)/.exec(out)![1];
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      store: 'ok',
      slack: 'http',
      teams: 'off',
      scheduler: { owner: expect.stringMatching(/^replica-/) },
    });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('waba_pulse_graph_calls_total');
    expect(metrics).toContain('waba_pulse_process_resident_memory_bytes');
    const { json } = await slash('help', { base: `http://127.0.0.1:${port}` });
    expect(json).toMatchObject({ response_type: 'ephemeral' });
    stop();
    expect(await running).toBe(0);
  });
});

describe('Socket Mode', () => {
  it('connects with the app token and answers a slash command and the message shortcut over the socket', async () => {
    const socketConfig = buildConfig(
      {
        accounts: [{ id: '104729384756102', name: 'acme-retail', token: '${GRAPH_TOKEN}', timezone: 'Asia/Kolkata' }],
        access: [{ slack: {}, accounts: '*' }],
      },
      {
        DATABASE_URL: 'sqlite::memory:',
        GRAPH_API_URL: sandbox.url,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_APP_TOKEN: 'xapp-test-app-token-9876',
        SLACK_API_URL: slack.apiUrl,
      },
    );
    const socketService = await startService({
      config: socketConfig,
      env,
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
    });
    try {
      expect(socketService.surfaces.slack!.mode).toBe('socket');
      expect(slack.calls.find((c) => c.method === 'apps.connections.open')!.authorization).toBe('Bearer xapp-test-app-token-9876');
      await slack.waitFor(() => (slack.socket.connected() ? true : undefined));
      slack.socket.send({
        envelope_id: 'env-1',
        type: 'slash_commands',
        accepts_response_payload: true,
        payload: {
          command: '/waba',
          text: 'help',
          channel_id: 'C0SOCK',
          user_id: 'U0ALICE',
          team_id: 'T0FAKE',
          response_url: slack.responseUrl('socket-help'),
          trigger_id: '1.1',
        },
      });
      const ack = await slack.waitFor(() => slack.socket.acks.find((a) => a.envelope_id === 'env-1'));
      // Help is answered in the acknowledgement itself, nothing left on the response_url.
      expect(JSON.stringify(ack)).toContain('/waba report &lt;account&gt;');
      // The message shortcut over the socket: acknowledged, and the rule form opened on the message's channel.
      slack.setMembership('U0ALICE', ['C0SOCK']);
      const since = slack.calls.length;
      slack.socket.send({
        envelope_id: 'env-2',
        type: 'interactive',
        accepts_response_payload: false,
        payload: {
          type: 'message_action',
          callback_id: 'waba_new_rule',
          trigger_id: '2.2',
          user: { id: 'U0ALICE', team_id: 'T0FAKE' },
          team: { id: 'T0FAKE' },
          channel: { id: 'C0SOCK', name: 'sock' },
          message: { type: 'message', ts: '1700000000.000100', text: 'delivery looks low' },
          message_ts: '1700000000.000100',
          response_url: slack.responseUrl('socket-shortcut'),
        },
      });
      await slack.waitFor(() => slack.socket.acks.find((a) => a.envelope_id === 'env-2'));
      const opened = await slack.waitFor(() => slack.calls.slice(since).find((c) => c.method === 'views.open'));
      expect(opened.args.trigger_id).toBe('2.2');
      expect((opened.args.view as any).callback_id).toBe('setup_rule_form');
      expect((opened.args.view as any).blocks[0].element.initial_conversation).toBe('C0SOCK');
    } finally {
      await socketService.close();
    }
  });
});

describe('alerts', () => {
  const content = {
    accountId: '104729384756102',
    accountName: 'Acme Retail',
    timezone: 'Asia/Kolkata',
    anomalies: [
      {
        kind: 'delivery_drop' as const,
        scope: { kind: 'phone' as const, key: '16315551000', label: '+1 631 555 1000' },
        start: 0,
        end: 1,
        detectedAt: 1,
        observed: 0.75,
        expected: 0.97,
        expectedLow: 0.95,
        expectedHigh: 0.99,
        severity: 'critical' as const,
        sent: 5966,
        delivered: 4470,
        explanation:
          'Delivery on +1 631 555 1000 fell to 74.9% (4,470 of 5,966 delivered) on Tue 24 Nov 13:00–17:30; expected 96.7% (at least 91.5%).',
      },
    ],
  };

  let alert: AlertContent;
  beforeAll(async () => {
    alert = await raiseAlert(service.store, content, NOW);
  });

  async function postAlert(channel: string) {
    const ts = await postRaised(service.store, service.surfaces.slack!, channel, alert, NOW);
    return { channel, ts: ts! };
  }

  async function click(actionId: string, posted: { channel: string; ts: string }, options: { key?: string; user?: string } = {}) {
    const message = slack.calls.find(
      (c) => c.method === 'chat.postMessage' && c.args.ts === undefined && c.args.channel === posted.channel,
    )!;
    const payload = {
      type: 'block_actions',
      user: { id: options.user ?? 'U0BOB', name: 'bob' },
      team: { id: 'T0FAKE' },
      channel: { id: posted.channel },
      container: { type: 'message', message_ts: posted.ts, channel_id: posted.channel },
      message: { ts: posted.ts, blocks: message.args.blocks, text: message.args.text },
      actions: [
        { action_id: actionId, block_id: 'alert_actions', value: JSON.stringify({ key: options.key ?? alert.key }), type: 'button' },
      ],
      response_url: slack.responseUrl(`action-${actionId}-${++responseCounter}`),
      trigger_id: `1.${responseCounter}`,
    };
    return post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  }

  it('posts with buttons, retrying after a 429', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const before = slack.calls.filter((c) => c.method === 'chat.postMessage').length;
    const posted = await service.surfaces.slack!.postAlert('C0ALERTS', alert);
    const posts = slack.calls.filter((c) => c.method === 'chat.postMessage').slice(before);
    expect(posts).toHaveLength(2);
    expect(posted).toMatchObject({ delivered: true, ref: expect.stringMatching(/^1700000000\./) });
    const actions = (posts[1]!.args.blocks as Array<Record<string, any>>).find((b) => b.type === 'actions')!;
    expect(actions.elements.map((e: { text: { text: string } }) => e.text.text)).toEqual([
      'Acknowledge',
      'Mute 1h',
      'Mute 24h',
      'Show by phone number',
    ]);
  }, 20_000);

  it('acknowledging updates the message and records who did it', async () => {
    const posted = await postAlert('C0OPS');
    const { status } = await click('alert_ack', posted);
    expect(status).toBe(200);
    const update = await slack.waitFor(() => slack.calls.find((c) => c.method === 'chat.update' && c.args.ts === posted.ts));
    expect(JSON.stringify(update.args.blocks)).toContain('Acknowledged by <@U0BOB>');
    expect(update.violations).toEqual([]);
    expect(await service.store.alerts.alertHistory(alert.key)).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: 'acknowledged', by: 'U0BOB', at: NOW })]),
    );
  });

  it('muting for an hour updates the message and mutes the account here', async () => {
    const posted = await postAlert('C0OPS');
    await click('alert_mute_1h', posted);
    const update = await slack.waitFor(() =>
      slack.calls.find((c) => c.method === 'chat.update' && c.args.ts === posted.ts && JSON.stringify(c.args.blocks).includes('Muted')),
    );
    // Neutral, with its end in the account's zone; the buttons become Unmute.
    expect(JSON.stringify(update.args.blocks)).toContain(':no_bell: Muted until 16:45\u00a0IST by <@U0BOB>');
    const buttons = (update.args.blocks as Array<Record<string, any>>)
      .find((b) => b.type === 'actions')!
      .elements.map((e: any) => e.text.text);
    expect(buttons).toEqual(['Unmute', 'Show by phone number']);
    const setting = (await service.store.preferences.alertSettings({ platform: 'slack', conversation: 'C0OPS' })).find(
      (s) => s.accountId === alert.accountId,
    )!;
    expect(setting.mutedUntil).toBe(NOW + 3_600_000);
  });

  it('Unmute lifts the mute here and brings the buttons back', async () => {
    const posted = await postAlert('C0OPS');
    await click('alert_undo', posted);
    const update = await slack.waitFor(() =>
      slack.calls.find(
        (c) => c.method === 'chat.update' && c.args.ts === posted.ts && JSON.stringify(c.args.blocks).includes('"Acknowledge"'),
      ),
    );
    expect((update.args.blocks as Array<Record<string, any>>).some((b) => b.block_id === 'alert_status')).toBe(false);
    const setting = (await service.store.preferences.alertSettings({ platform: 'slack', conversation: 'C0OPS' })).find(
      (s) => s.accountId === alert.accountId,
    )!;
    expect(setting.mutedUntil).toBe(NOW);
    expect((await service.store.alerts.alertHistory(alert.key)).at(-1)).toMatchObject({ status: 'open', by: 'U0BOB' });
  });

  it("uploads an alert's chart once: clicks redraw the message around the same picture", async () => {
    const start = Math.floor(NOW / 1000) - 4 * 3600;
    const withChart = await raiseAlert(
      service.store,
      {
        ...content,
        chart: {
          label: '+1 631 555 1000',
          points: Array.from({ length: 8 }, (_, i) => ({ start: start + i * 1800, rate: i < 5 ? 0.97 : 0.75, expected: 0.97, sent: 600 })),
          badStart: start + 5 * 1800,
          badEnd: start + 8 * 1800,
        },
      },
      NOW,
    );
    const uploads = () => slack.calls.filter((c) => c.method === 'files.getUploadURLExternal').length;
    const before = uploads();
    const ts = await postRaised(service.store, service.surfaces.slack!, 'C0OPS', withChart, NOW);
    const posted = { channel: 'C0OPS', ts: ts! };
    expect(uploads()).toBe(before + 1);
    const updates = () => slack.calls.filter((c) => c.method === 'chat.update' && c.args.ts === posted.ts).length;
    await click('alert_ack', posted, { key: withChart.key });
    await slack.waitFor(() => (updates() >= 1 ? true : undefined));
    await click('alert_undo', posted, { key: withChart.key });
    await slack.waitFor(() => (updates() >= 2 ? true : undefined));
    expect(uploads()).toBe(before + 1);
  });

  it('says an update in the thread, and an update that makes the alert critical or resumes it in the channel too', async () => {
    const posted = await postAlert('C0OPS');
    const replies = () => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === posted.ts);
    const joined = { ...alert, anomalies: [...alert.anomalies, { ...alert.anomalies[0]!, new: true }] };
    expect(await service.surfaces.slack!.replyToAlert('C0OPS', posted.ts, joined, 'update')).toMatchObject({ delivered: true });
    expect(await service.surfaces.slack!.replyToAlert('C0OPS', posted.ts, joined, 'escalate')).toMatchObject({ delivered: true });
    const [update, escalation] = replies();
    expect(update!.args.reply_broadcast).toBeUndefined();
    // Form-encoded on the wire, as the Web API client sends it.
    expect(escalation!.args).toMatchObject({ reply_broadcast: 'true', thread_ts: posted.ts });
    expect(String(escalation!.args.text)).toMatch(/^A-[2-9A-Z]{4} is now critical:/);
    expect(escalation!.violations).toEqual([]);
    // A resolved alert open again is said in the channel too: its resolution told people to stop looking.
    expect(await service.surfaces.slack!.replyToAlert('C0OPS', posted.ts, alert, 'resume')).toMatchObject({ delivered: true });
    const resumed = replies()[2]!;
    expect(resumed.args).toMatchObject({ reply_broadcast: 'true', thread_ts: posted.ts });
    expect(String(resumed.args.text)).toMatch(/^Open again \(A-[2-9A-Z]{4}\), resolved too soon:/);
    expect(resumed.violations).toEqual([]);
  });

  it('"Show by phone number" answers in the alert\'s thread', async () => {
    const posted = await postAlert('C0OPS');
    await click('alert_by_phone', posted);
    const reply = await slack.waitFor(() => slack.calls.find((c) => c.method === 'chat.postMessage' && c.args.thread_ts === posted.ts));
    expect(JSON.stringify(reply.args.blocks)).toContain('By phone number');
    expect(reply.violations).toEqual([]);
  });
});
