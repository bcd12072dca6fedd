import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertContent } from '../src/alerts/model.js';
import { ChartLinks } from '../src/charts/links.js';
import { buildConfig } from '../src/configure.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { type RunningService, startService } from '../src/serve/service.js';
import { startFakeConnector } from './fakes/connector.js';
import { fortyNumbers } from './fixtures/accounts.js';
import { postRaised, raiseAlert } from './helpers/alerts.js';

const require = createRequire(import.meta.url);
// The Adaptive Cards SDK's own parser: unknown elements and invalid properties are reported.
const AC = require('adaptivecards/dist/adaptivecards.js') as any;

const NOW = Date.UTC(2026, 10, 25, 10, 15);
const GRAPH_TOKEN = 'EAAG-graph-secret-token-77';
const bigco = fortyNumbers;

let sandbox: RunningSandbox;
let connector: Awaited<ReturnType<typeof startFakeConnector>>;
let service: RunningService;

const accountsDoc = [...sampleAccounts(NOW).slice(0, 2), bigco].map((a) => ({
  id: a.id,
  name: a.name,
  displayName: a.displayName,
  token: '${GRAPH_TOKEN}',
  timezone: a.timezone,
}));

function config(env: NodeJS.ProcessEnv, allowUnauthenticated = true) {
  return buildConfig(
    {
      accounts: accountsDoc,
      access: [
        { teams: { conversation: 'a:personal-alice' }, accounts: ['acme-retail', 'bigco'] },
        { teams: { team: '19:team-ops@thread.tacv2' }, accounts: '*' },
      ],
      teams: { allowUnauthenticated, serviceUrls: [connector.url] },
      // People who know the Slack command type it in Teams too.
      slack: { command: '/pulse' },
      graph: { callsPerReport: 100 },
    },
    { DATABASE_URL: 'sqlite::memory:', GRAPH_API_URL: sandbox.url, ...env },
  );
}

beforeAll(async () => {
  sandbox = await startSandbox({ accounts: [...sampleAccounts(NOW), bigco], now: () => NOW, token: GRAPH_TOKEN, callsPerHour: 100_000 });
  connector = await startFakeConnector();
  service = await startService({
    config: config({}),
    env: { GRAPH_TOKEN },
    logger: silentLogger,
    now: () => NOW,
    port: 0,
    host: '127.0.0.1',
  });
});
afterAll(async () => {
  await service.close();
  await connector.close();
  await sandbox.close();
});

let activityCounter = 0;
function personal(text: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'message',
    id: `in-${++activityCounter}`,
    timestamp: new Date(NOW).toISOString(),
    serviceUrl: connector.url,
    channelId: 'msteams',
    from: { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice' },
    conversation: { id: 'a:personal-alice', conversationType: 'personal', tenantId: 'tenant-1' },
    recipient: { id: '28:waba-pulse', name: 'waba-pulse' },
    text,
    channelData: { tenant: { id: 'tenant-1' } },
    ...extra,
  };
}

function channel(text: string) {
  return {
    ...personal(`<at>waba-pulse</at> ${text}`),
    conversation: { id: '19:channel-ops@thread.tacv2;messageid=1', conversationType: 'channel', tenantId: 'tenant-1' },
    entities: [{ type: 'mention', mentioned: { id: '28:waba-pulse', name: 'waba-pulse' }, text: '<at>waba-pulse</at>' }],
    channelData: { team: { id: '19:team-ops@thread.tacv2' }, channel: { id: '19:channel-ops@thread.tacv2' }, tenant: { id: 'tenant-1' } },
  };
}

async function send(activity: Record<string, unknown>, options: { base?: string; authorization?: string } = {}) {
  const res = await fetch(`${options.base ?? service.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.authorization ? { authorization: options.authorization } : {}) },
    body: JSON.stringify(activity),
  });
  await res.text();
  return res.status;
}

function cardsTo(conversation: string, after: number) {
  return connector.calls.slice(after).filter((c) => c.conversation === conversation && c.activity.attachments?.length);
}

function validateCard(card: Record<string, unknown>): string[] {
  const ctx = new AC.SerializationContext();
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, ctx);
  const problems: string[] = [];
  for (let i = 0; i < ctx.eventCount; i++) problems.push(ctx.getEventAt(i).message);
  const results = parsed.validateProperties();
  for (let i = 0; i < results.validationEvents?.length; i++) problems.push(results.validationEvents[i].message);
  return problems;
}

const cardOf = (call: { activity: Record<string, any> }) => call.activity.attachments[0].content as Record<string, any>;

/** What a person reads on a card: its text blocks and runs, a line each. */
function plainText(node: unknown): string {
  if (Array.isArray(node)) return node.map(plainText).filter(Boolean).join('\n');
  if (!node || typeof node !== 'object') return '';
  const n = node as Record<string, any>;
  if (n.type === 'TextBlock') return String(n.text);
  if (n.type === 'RichTextBlock') return (n.inlines as Array<{ text: string }>).map((r) => r.text).join('');
  return Object.entries(n)
    .filter(([k]) => k !== 'actions' && k !== 'data')
    .map(([, v]) => plainText(v))
    .filter(Boolean)
    .join('\n');
}

describe('Teams commands', () => {
  it('validates cards with the Adaptive Cards SDK (which does catch broken ones)', () => {
    expect(validateCard({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Bogus' }] })).not.toEqual([]);
  });

  it('answers help in a personal chat with a valid Adaptive Card', async () => {
    const before = connector.calls.length;
    expect(await send(personal('help'))).toBe(200);
    const [reply] = await connector.waitFor(() =>
      cardsTo('a:personal-alice', before).length ? cardsTo('a:personal-alice', before) : undefined,
    );
    expect(reply!.activity.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(validateCard(cardOf(reply!))).toEqual([]);
    expect(JSON.stringify(cardOf(reply!))).toContain('@waba-pulse report <account>');
  });

  it('takes a command typed with the configured slash command, /pulse', async () => {
    const before = connector.calls.length;
    expect(await send(personal('/pulse help'))).toBe(200);
    const [reply] = await connector.waitFor(() =>
      cardsTo('a:personal-alice', before).length ? cardsTo('a:personal-alice', before) : undefined,
    );
    expect(JSON.stringify(cardOf(reply!))).toContain('@waba-pulse report <account>');
  });

  it('types, then posts a report card with figures, anomalies and a chart it serves itself', async () => {
    const before = connector.calls.length;
    await send(personal('report acme-retail yesterday by phone'));
    const reply = await connector.waitFor(() => cardsTo('a:personal-alice', before)[0]);
    expect(connector.calls.slice(before).some((c) => c.activity.type === 'typing')).toBe(true);
    const card = cardOf(reply);
    expect(validateCard(card)).toEqual([]);
    expect(card.version).toBe('1.5');
    const text = JSON.stringify(card);
    expect(text).toContain('Acme Retail — WhatsApp delivery, Tue 24 Nov 2026');
    expect(text).toContain('Delivery on +1 631 555 1000 fell to');
    const image = (card.body as Array<Record<string, any>>).find((b) => b.type === 'Image')!;
    const chart = await fetch(image.url);
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await chart.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    // A tampered signature is refused.
    expect((await fetch(image.url.replace(/sig=([^&]{4})/, 'sig=AAAA'))).status).toBe(403);
    expect(JSON.stringify(connector.calls)).not.toContain(GRAPH_TOKEN);
  });

  it('takes commands in a channel with an @mention, and keeps a 40-number breakdown under 28 KB', async () => {
    const before = connector.calls.length;
    await send(channel('report bigco yesterday by phone'));
    const reply = await connector.waitFor(() => cardsTo('19:channel-ops@thread.tacv2;messageid=1', before)[0]);
    const card = cardOf(reply);
    expect(validateCard(card)).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThan(28 * 1024);
    expect(JSON.stringify(card)).toContain('…and 25 more');
  });

  for (const [scope, make, conversation] of [
    ['a personal chat', personal, 'a:personal-alice'],
    ['a channel, after an @mention', channel, '19:channel-ops@thread.tacv2;messageid=1'],
  ] as const) {
    it(`answers every command in ${scope} with a valid card`, async () => {
      const commands: Array<[string, RegExp]> = [
        ['accounts', /Accounts in this conversation/],
        ['subscribe acme-retail weekly at 07:45', /A weekly digest for Acme Retail will be posted here at 07:45/],
        ['subscriptions', /Acme Retail: weekly at 07:45/],
        ['unsubscribe acme-retail', /Unsubscribed/],
        ['alerts acme-retail off', /Alerts off/],
        ['mute acme-retail 1h', /muted here for 1h/],
        ['report acme-retail 7d', /Acme Retail — WhatsApp delivery, 18–24 Nov 2026/],
        ['help', /Delivery for a period, with a chart: @waba-pulse report acme-retail yesterday by country/],
        ['dance', /I don't know "dance"/],
      ];
      for (const [command, expected] of commands) {
        const before = connector.calls.length;
        await send(make(command));
        const reply = await connector.waitFor(() => cardsTo(conversation, before)[0]);
        const card = cardOf(reply);
        expect(validateCard(card), command).toEqual([]);
        expect(plainText(card), command).toMatch(expected);
        // Teams shows Markdown backticks literally: commands are monospace runs instead.
        expect(plainText(card), command).not.toContain('`');
        // Notifications and previews carry what the card says.
        expect(String(reply.activity.summary ?? ''), command).not.toBe('');
      }
    });
  }

  it('echoes a typed Markdown link as plain text, in the channel as in notifications, never as a link', async () => {
    const before = connector.calls.length;
    const phishing = '[Reset_your_password](https://evil.example/login)';
    await send(channel(`report ${phishing}`));
    const reply = await connector.waitFor(() => cardsTo('19:channel-ops@thread.tacv2;messageid=1', before)[0]);
    // Shown as typed, so the address is there for anyone to read; plain, so Teams draws no link.
    expect(reply.activity.textFormat).toBe('plain');
    expect(reply.activity.text).toContain(`"${phishing}"`);
    expect(reply.activity.summary).toBe(reply.activity.text);
    // Every message the bot has sent so far says how its text is to be read.
    const texts = connector.calls.filter((c) => c.activity.text !== undefined);
    expect(texts.length).toBeGreaterThan(5);
    expect(texts.filter((c) => c.activity.textFormat !== 'plain').map((c) => c.activity.text)).toEqual([]);
  });

  it('refuses accounts the conversation may not see, the same way as unknown ones', async () => {
    const before = connector.calls.length;
    await send(personal('report globex-support'));
    const reply = await connector.waitFor(() => cardsTo('a:personal-alice', before)[0]);
    expect(JSON.stringify(cardOf(reply))).toContain(
      'No account \\"globex-support\\" is available here. Accounts here: acme-retail, bigco.',
    );
  });
});

describe('the pages the app package links to', () => {
  it('serves the privacy and terms pages beside the bot', async () => {
    for (const [path, words] of [
      ['/privacy', /does not keep the text of messages typed to it, nor any WhatsApp recipient's phone number/],
      ['/terms', /run by the organisation that installed it/],
    ] as const) {
      const res = await fetch(`${service.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toMatch(words);
    }
  });
});

describe('chart links', () => {
  it('refuse expired and tampered links', () => {
    let now = NOW;
    const links = new ChartLinks({ baseUrl: 'https://pulse.example.com', ttlMs: 60_000, now: () => now });
    const url = new URL(links.publish(Buffer.from('png')));
    const id = url.pathname.match(/\/charts\/(\w+)\.png/)![1]!;
    const exp = url.searchParams.get('exp')!;
    const sig = url.searchParams.get('sig')!;
    expect(links.fetch(id, exp, sig).status).toBe(200);
    expect(links.fetch(id, String(Number(exp) + 3600), sig).status).toBe(403);
    expect(links.fetch(id, exp, `${sig.slice(0, -1)}x`).status).toBe(403);
    now += 61_000;
    expect(links.fetch(id, exp, sig).status).toBe(403);
  });
});

describe('proactive messages and alerts', () => {
  const content = {
    accountId: '130000000000001',
    accountName: 'BigCo',
    timezone: 'UTC',
    anomalies: [
      {
        severity: 'critical' as const,
        explanation:
          'Delivery on +1 415 555 1000 fell to 80.0% (800 of 1,000 delivered) on Tue 24 Nov 10:00–12:00; expected 98.0% (at least 96.5%).',
      },
    ],
  };
  const install = {
    type: 'installationUpdate',
    action: 'add',
    id: 'install-1',
    timestamp: new Date(NOW).toISOString(),
    serviceUrl: '',
    channelId: 'msteams',
    from: { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice' },
    conversation: { id: '19:alerts@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
    recipient: { id: '28:waba-pulse', name: 'waba-pulse' },
    channelData: { team: { id: '19:team-ops@thread.tacv2' }, tenant: { id: 'tenant-1' } },
  };

  let alert: AlertContent;
  beforeAll(async () => {
    alert = await raiseAlert(service.store, content, NOW);
  });

  it('stores the conversation on install and posts an alert to it later; a click updates the card', async () => {
    expect(await send({ ...install, serviceUrl: connector.url })).toBe(200);
    const stored = await service.store.conversations.listConversations();
    expect(stored.find((c) => c.conversation === '19:alerts@thread.tacv2')).toMatchObject({ active: true, tenant: 'tenant-1' });

    const before = connector.calls.length;
    const id = await postRaised(service.store, service.surfaces.teams!, '19:alerts@thread.tacv2', alert, NOW);
    expect(id).toMatch(/^activity-/);
    const posted = connector.calls.slice(before).find((c) => c.conversation === '19:alerts@thread.tacv2' && c.activity.attachments)!;
    const card = cardOf(posted);
    expect(validateCard(card)).toEqual([]);
    // Titles that fit a phone: the two mutes behind one "Mute…", told apart inside it; the breakdown a link.
    expect((card.actions as Array<{ title: string }>).map((a) => a.title)).toEqual(['Acknowledge', 'Mute…']);
    expect(JSON.stringify(card.body)).toContain('"selectAction":{"type":"Action.Submit","title":"Show by phone number"');
    const mutes = (card.actions as Array<{ card?: { actions: Array<{ title: string; data: { action: string } }> } }>)[1]!.card!.actions;
    expect(mutes.map((a) => [a.title, a.data.action])).toEqual([
      ['1 hour', 'mute_1h'],
      ['24 hours', 'mute_24h'],
    ]);
    expect(posted.activity.summary).toMatch(/^Delivery (drop|alert) · BigCo: /);

    const ack = (card.actions as Array<{ title: string; data: unknown }>)[0]!.data;
    const clicked = connector.calls.length;
    await send({
      ...personal(''),
      text: undefined,
      value: ack,
      replyToId: id,
      conversation: { id: '19:alerts@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
      channelData: { team: { id: '19:team-ops@thread.tacv2' }, tenant: { id: 'tenant-1' } },
    });
    const update = await connector.waitFor(() => connector.calls.slice(clicked).find((c) => c.method === 'PUT'));
    expect(update.activityId).toBe(id);
    expect(JSON.stringify(update.activity)).toContain('Acknowledged by Alice at 10:15\u00a0UTC');
    // Once acknowledged, the card offers Undo instead.
    expect((cardOf(update).actions as Array<{ title: string }>).map((a) => a.title)).toEqual(['Undo']);
    expect(await service.store.alerts.alertHistory(alert.key)).toEqual([
      expect.objectContaining({ status: 'acknowledged', by: 'aad-alice', at: NOW }),
    ]);
  });

  it("says an update in the alert's thread, and an update that makes it critical in the channel too", async () => {
    const teams = service.surfaces.teams!;
    const id = await postRaised(service.store, teams, '19:alerts@thread.tacv2', alert, NOW);
    const joined = { ...alert, anomalies: [...alert.anomalies, { ...alert.anomalies[0]!, new: true }] };
    const texts = (after: number) =>
      connector.calls
        .slice(after)
        .filter((c) => c.method === 'POST' && typeof c.activity.text === 'string')
        .map((c) => [c.conversation, String(c.activity.text).split('\n')[0]]);
    let before = connector.calls.length;
    expect(await teams.replyToAlert('19:alerts@thread.tacv2', id!, joined, 'update')).toMatchObject({ delivered: true });
    expect(texts(before)).toEqual([[`19:alerts@thread.tacv2;messageid=${id}`, `New in ${alert.shortId}:`]]);
    before = connector.calls.length;
    expect(await teams.replyToAlert('19:alerts@thread.tacv2', id!, joined, 'escalate')).toMatchObject({ delivered: true });
    // Teams has no "also send to channel": the thread, then the channel itself.
    expect(texts(before)).toEqual([
      [`19:alerts@thread.tacv2;messageid=${id}`, `${alert.shortId} is now critical:`],
      ['19:alerts@thread.tacv2', `${alert.shortId} is now critical:`],
    ]);
    before = connector.calls.length;
    expect(await teams.replyToAlert('19:alerts@thread.tacv2', id!, alert, 'resume')).toMatchObject({ delivered: true });
    expect(texts(before)).toEqual([
      [`19:alerts@thread.tacv2;messageid=${id}`, `Open again (${alert.shortId}), resolved too soon:`],
      ['19:alerts@thread.tacv2', `Open again (${alert.shortId}), resolved too soon:`],
    ]);
    // A personal chat has no threads: its reply is in the chat already, said once.
    expect((await service.store.conversations.conversation('a:personal-alice'))?.active).toBe(true);
    before = connector.calls.length;
    expect(await teams.replyToAlert('a:personal-alice', id!, joined, 'escalate')).toMatchObject({ delivered: true });
    expect(texts(before)).toEqual([['a:personal-alice', `${alert.shortId} is now critical:`]]);
  });

  it('counts a send the connector accepted without an id as delivered, and keeps the conversation', async () => {
    await send({
      ...install,
      id: 'install-3',
      serviceUrl: connector.url,
      conversation: { id: '19:quiet@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
    });
    connector.answerWithoutIds('19:quiet@thread.tacv2');
    expect(await service.surfaces.teams!.postAlert('19:quiet@thread.tacv2', alert)).toEqual({ delivered: true, ref: '' });
    expect((await service.store.conversations.conversation('19:quiet@thread.tacv2'))?.active).toBe(true);
  });

  it('marks a conversation inactive when the connector says the bot was removed', async () => {
    await send({
      ...install,
      id: 'install-2',
      serviceUrl: connector.url,
      conversation: { id: '19:gone@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
    });
    connector.removeBotFrom('19:gone@thread.tacv2');
    expect(await service.surfaces.teams!.postAlert('19:gone@thread.tacv2', alert)).toEqual({ delivered: false, reason: 'gone' });
    const record = (await service.store.conversations.listConversations()).find((c) => c.conversation === '19:gone@thread.tacv2')!;
    expect(record.active).toBe(false);
    expect(record.inactiveReason).toMatch(/403/);
    const attempts = connector.calls.filter((c) => c.conversation === '19:gone@thread.tacv2').length;
    expect(await service.surfaces.teams!.postAlert('19:gone@thread.tacv2', alert)).toEqual({ delivered: false, reason: 'gone' });
    expect(connector.calls.filter((c) => c.conversation === '19:gone@thread.tacv2').length).toBe(attempts);
  });
});

describe('authentication', () => {
  it('refuses requests without or with a wrong token when an app id is configured, and other tenants', async () => {
    const secured = await startService({
      config: config(
        {
          MICROSOFT_APP_ID: '00000000-0000-0000-0000-000000000001',
          MICROSOFT_APP_PASSWORD: 'client-secret-value',
          MICROSOFT_APP_TYPE: 'SingleTenant',
          MICROSOFT_APP_TENANT_ID: 'tenant-1',
        },
        false,
      ),
      env: { GRAPH_TOKEN },
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
    });
    try {
      const before = connector.calls.length;
      expect(await send(personal('help'), { base: secured.url })).toBe(401);
      expect(await send(personal('help'), { base: secured.url, authorization: 'Bearer not-a-real-token' })).toBeGreaterThanOrEqual(401);
      expect(await send({ ...personal('help'), channelData: { tenant: { id: 'someone-else' } } }, { base: secured.url })).toBe(403);
      await new Promise((r) => setTimeout(r, 200));
      expect(connector.calls.length).toBe(before);
    } finally {
      await secured.close();
    }
  });
});
