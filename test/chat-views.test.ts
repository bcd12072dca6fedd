import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartRenderer } from '../src/charts/render.js';
import { reportMessage } from '../src/chat/slack/render.js';
import { reportCard } from '../src/chat/teams/cards.js';
import { ViewCache } from '../src/compose/accountViews.js';
import { chartedDigest } from '../src/compose/digestViews.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { type RunningService, startService } from '../src/serve/service.js';
import { openStore } from '../src/store/sql.js';
import { startFakeConnector } from './fakes/connector.js';
import { blockKitViolations, startFakeSlack } from './fakes/slack.js';
import { tenNumbersFortyTemplates } from './fixtures/accounts.js';
import { slashCommands } from './helpers/slashCommands.js';

/**
 * `/waba cost`, `/waba templates`, the health lines of `/waba accounts` and the daily digest's
 * health, cost and templates sections, through the real Bolt app and botbuilder adapter of one
 * running service, against the sandbox (Acme billed directly with insights on, Globex billed
 * through a partner, Initech with insights off, BigTen with 10 numbers and 40 templates).
 */
const require = createRequire(import.meta.url);
const AC = require('adaptivecards/dist/adaptivecards.js') as any;

/** Wed 25 Nov 2026, 10:15 UTC: the digests of 09:00 are due. */
const NOW = Date.UTC(2026, 10, 25, 10, 15);
const SIGNING_SECRET = 'views-signing-secret-5a4b';
const GRAPH_TOKEN = 'EAAG-views-graph-token-91';
const TEAMS_CHANNEL = '19:channel-views@thread.tacv2;messageid=1';

let sandbox: RunningSandbox;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let connector: Awaited<ReturnType<typeof startFakeConnector>>;
let service: RunningService;
let ask: ReturnType<typeof slashCommands>;
/** In front of the sandbox: answers Graph's permission error to any request for pricing. */
let refusingPricing: Server;

const accounts = [...sampleAccounts(NOW), tenNumbersFortyTemplates];

function config(graphUrl: string) {
  const doc = accounts.map((a) => ({ id: a.id, name: a.name, displayName: a.displayName, token: '${GRAPH_TOKEN}', timezone: a.timezone }));
  return buildConfig(
    {
      accounts: doc,
      access: [
        { slack: { channel: 'C0OPS' }, accounts: ['acme-retail', 'initech-alerts', 'bigten'] },
        { slack: { channel: 'C0EU' }, accounts: ['globex-support'] },
        { teams: { team: '19:team-views@thread.tacv2' }, accounts: '*' },
      ],
      teams: { allowUnauthenticated: true, serviceUrls: [connector.url] },
      graph: { maxAttempts: 1, timeout: '30s', callsPerReport: 100 },
      digests: [
        {
          account: 'bigten',
          every: 'daily',
          at: '09:00',
          targets: [{ slack: { channel: 'C0DIGEST' } }, { teams: { conversation: TEAMS_CHANNEL } }],
        },
        { account: 'globex-support', every: 'daily', at: '09:00', targets: [{ slack: { channel: 'C0GLOBEX' } }] },
        { account: 'initech-alerts', every: 'daily', at: '09:00', timezone: 'UTC', targets: [{ slack: { channel: 'C0INITECH' } }] },
      ],
    },
    {
      DATABASE_URL: 'sqlite::memory:',
      GRAPH_API_URL: graphUrl,
      SLACK_BOT_TOKEN: 'xoxb-views-bot-token-1',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
    },
  );
}

/** A loopback proxy to the sandbox that refuses pricing as Graph refuses a token without the permission. */
async function startPricingRefuser(target: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    if ((req.url ?? '').includes('pricing_analytics')) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: '(#200) Requires whatsapp_business_management permission', type: 'OAuthException', code: 200 },
        }),
      );
      return;
    }
    const answer = await fetch(`${target}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  sandbox = await startSandbox({ accounts, now: () => NOW, token: GRAPH_TOKEN, callsPerHour: 100_000 });
  slack = await startFakeSlack();
  connector = await startFakeConnector();
  refusingPricing = await startPricingRefuser(sandbox.url);
  service = await startService({
    config: config(sandbox.url),
    env: { GRAPH_TOKEN },
    logger: silentLogger,
    now: () => NOW,
    port: 0,
    host: '127.0.0.1',
    schedule: false,
  });
  ask = slashCommands(slack, SIGNING_SECRET);
}, 60_000);
afterAll(async () => {
  await service?.close();
  await new Promise((resolve) => refusingPricing?.close(resolve));
  await connector?.close();
  await slack?.close();
  await sandbox?.close();
});

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

/** Slack's mrkdwn escapes & < >: what a person reads. */
const asRead = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u00a0/g, ' ');

async function slackAnswer(text: string, channel = 'C0OPS') {
  const id = await ask.ask(service, text, channel);
  const answer = await ask.answer(id);
  const found = slack.responses.find((r) => r.id === id && !r.body.delete_original)!;
  expect(found.violations).toEqual([]);
  return { ...answer, blocks: asRead(answer.blocks) };
}

function teamsSay(text: string) {
  return {
    type: 'message',
    id: `in-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date(NOW).toISOString(),
    serviceUrl: connector.url,
    channelId: 'msteams',
    from: { id: '29:bob', name: 'Bob', aadObjectId: 'aad-bob' },
    conversation: { id: TEAMS_CHANNEL, conversationType: 'channel', tenantId: 'tenant-1' },
    recipient: { id: '28:waba-pulse', name: 'waba-pulse' },
    text: `<at>waba-pulse</at> ${text}`,
    entities: [{ type: 'mention', mentioned: { id: '28:waba-pulse', name: 'waba-pulse' }, text: '<at>waba-pulse</at>' }],
    channelData: {
      team: { id: '19:team-views@thread.tacv2' },
      channel: { id: '19:channel-views@thread.tacv2' },
      tenant: { id: 'tenant-1' },
    },
  };
}

async function teamsAnswer(text: string) {
  const before = connector.calls.length;
  const res = await fetch(`${service.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(teamsSay(text)),
  });
  expect(res.status).toBe(200);
  const call = await connector.waitFor(() =>
    connector.calls.slice(before).find((c) => c.conversation === TEAMS_CHANNEL && c.activity.attachments?.length),
  );
  const card = call.activity.attachments[0].content as Record<string, unknown>;
  expect(validateCard(card)).toEqual([]);
  return {
    card,
    text: JSON.stringify(card)
      .replace(/\\u00a0|\u00a0/g, ' ')
      .replace(/\u200b/g, ''),
    activity: call.activity,
  };
}

describe('/waba cost and /waba templates in Slack', () => {
  it('answers cost with the total, its change, cost per delivered and a row per country, in the channel', async () => {
    const answer = await slackAnswer('cost acme-retail 7d by country');
    expect(answer.inChannel).toBe(true);
    expect(answer.text).toMatch(/^Acme Retail: USD [\d,]+\.\d\d for [\d,]+ messages/);
    expect(answer.blocks).toMatch(/\*USD [\d,.]+\* [▲▼→] [\d.]+%? ?(%|vs)/);
    expect(answer.blocks).toContain('vs previous period');
    expect(answer.blocks).toMatch(/USD 0\.\d{4} per delivered/);
    expect(answer.blocks).toContain('Country');
    for (const country of ['IN (India)', 'US (United States)', 'BR (Brazil)']) expect(answer.blocks).toContain(country.slice(0, 8));
    expect(answer.blocks).toContain('Volume tiers this month');
  });

  it('answers cost by category by default, and for a partner-billed account shows volumes without cost', async () => {
    const direct = await slackAnswer('cost acme-retail');
    expect(direct.blocks).toContain('marketing');
    expect(direct.blocks).toContain('Category');
    const partner = await slackAnswer('cost globex-support 7d', 'C0EU');
    expect(partner.blocks).toContain("Cost not available: billed through a partner's credit line");
    expect(partner.blocks).toMatch(/\*[\d,]+ messages\*/);
    expect(partner.blocks).not.toMatch(/EUR \d/);
    expect(partner.blocks).toContain('Msgs');
  });

  it('answers templates with each funnel, busiest first; with insights off, how to switch them on', async () => {
    const on = await slackAnswer('templates acme-retail 7d');
    expect(on.inChannel).toBe(true);
    expect(on.blocks).toMatch(/\*order_shipped\* \(en\w*\): [\d,]+ sent → \d+% delivered → \d+% read → \d+% clicked · USD/);
    const off = await slackAnswer('templates initech-alerts');
    expect(off.blocks).toContain('Template insights are off for this WABA.');
    expect(off.blocks).toContain('`waba-pulse templates enable --account initech-alerts --yes`');
    expect(off.blocks).toContain('not supported');
    expect(off.blocks).toContain('alert_triggered');
  });

  it('checks access as report does: an account the channel may not see is not named as existing', async () => {
    const id = await ask.ask(service, 'cost globex-support');
    const answer = await ask.answer(id);
    expect(answer.inChannel).toBe(false);
    expect(answer.text).toContain('No account "globex-support" is available here.');
    expect(answer.text).toContain('Accounts here: acme-retail, initech-alerts, bigten');
  });

  it('refuses a bad breakdown in one line that names it', async () => {
    const { parseCommand } = await import('../src/command/grammar.js');
    expect(() => parseCommand('cost acme-retail by phone')).toThrow(
      '"by phone" is not a cost breakdown — use `by category` or `by country`',
    );
    expect(() => parseCommand('templates acme-retail by country')).toThrow('I don\'t understand "by" in templates');
    expect(parseCommand('templates acme-retail')).toMatchObject({ kind: 'templates', range: { last: '7d' } });
    expect(parseCommand('cost acme-retail 30d by country')).toMatchObject({ kind: 'cost', range: { last: '30d' }, by: 'country' });
  });

  it('shows a health line per number in accounts', async () => {
    const answer = await slackAnswer('accounts');
    expect(answer.blocks).toMatch(/• \*\+1 631-555-1001\*: quality YELLOW · limit TIER_\w+ · can send AVAILABLE/);
    expect(answer.blocks).toMatch(/• \*\+1 212-555-0100\*: quality \w+ · limit TIER_250 · can send LIMITED/);
    expect(answer.blocks).toContain('3 of 10 numbers need attention');
  });
});

describe('/waba cost and templates in Teams, after an @mention', () => {
  it('answers cost and templates with valid cards', async () => {
    const cost = await teamsAnswer('cost acme-retail yesterday by category');
    expect(cost.text).toContain('Acme Retail — cost,');
    expect(cost.text).toMatch(/USD [\d,.]+/);
    expect(cost.text).toContain('per delivered');
    expect(cost.activity.summary).toMatch(/^Acme Retail: USD/);
    const partner = await teamsAnswer('cost globex-support');
    expect(partner.text).toContain("Cost not available: billed through a partner's credit line");
    const off = await teamsAnswer('templates initech-alerts');
    expect(off.text).toContain('waba-pulse templates enable --account initech-alerts --yes');
    const help = await teamsAnswer('help');
    expect(help.text).toContain('@waba-pulse cost');
    expect(help.text).toContain('@waba-pulse templates');
  });
});

describe('the daily digest', () => {
  it('posts health, cost and top templates beside delivery: one Slack message and one Teams card within their limits', async () => {
    // The bot hears from the Teams channel first: its conversation reference is stored, as a digest needs.
    await teamsAnswer('help');
    const before = { slack: slack.calls.length, teams: connector.calls.length };
    expect(await service.scheduler.tick(NOW)).toMatchObject({ posted: 4, failed: 0 });
    const posts = await slack.waitFor(() => {
      const found = slack.calls.slice(before.slack).filter((c) => c.method === 'chat.postMessage');
      return found.length >= 3 ? found : undefined;
    }, 60_000);
    const big = posts.find((p) => p.args.channel === 'C0DIGEST')!;
    expect(big.violations).toEqual([]);
    const blocks = big.args.blocks as Array<Record<string, any>>;
    expect(blockKitViolations({ text: big.args.text, blocks })).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(50);
    const text = asRead(JSON.stringify(blocks));
    expect(text).toContain('3 of 10 numbers need attention · messaging limit TIER_10K');
    expect(text).toMatch(/\+1 646-555-2001\*: quality RED · limit TIER_10K · can send LIMITED/);
    expect(text).not.toContain('+1 646-555-2005');
    expect(text).toMatch(/\*USD [\d,.]+\* [▲▼→]/);
    expect(text).toContain('vs the day before');
    expect(text).toContain('Top categories: marketing USD');
    expect(text.match(/_template_with_a_long_descriptive_name_\d\d\*/g)).toHaveLength(3);

    const card = await connector.waitFor(() =>
      connector.calls.slice(before.teams).find((c) => c.conversation === TEAMS_CHANNEL && c.activity.attachments?.length),
    );
    const content = card.activity.attachments[0].content as Record<string, unknown>;
    expect(validateCard(content)).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(content))).toBeLessThan(28 * 1024);
    expect(JSON.stringify(content)).toContain('3 of 10 numbers need attention');

    const globex = asRead(JSON.stringify(posts.find((p) => p.args.channel === 'C0GLOBEX')!.args.blocks));
    expect(globex).toContain("Cost not available: billed through a partner's credit line");
    expect(globex).toContain('Health');
    const initech = asRead(JSON.stringify(posts.find((p) => p.args.channel === 'C0INITECH')!.args.blocks));
    expect(initech).toContain('waba-pulse templates enable --account initech-alerts --yes');
    expect(initech).toContain('1 of 1 number needs attention');
  }, 90_000);
});

describe('a digest section whose data Graph refuses', () => {
  it('is left out with the reason; delivery, health and templates are posted as ever', async () => {
    const proxy = `http://127.0.0.1:${(refusingPricing.address() as AddressInfo).port}`;
    const cfg = buildConfig(
      {
        accounts: [
          { id: tenNumbersFortyTemplates.id, name: 'bigten', displayName: 'BigTen Commerce', token: '${GRAPH_TOKEN}', timezone: 'UTC' },
        ],
        graph: { maxAttempts: 1, callsPerReport: 100 },
      },
      { GRAPH_API_URL: proxy },
    );
    const graph = new GraphClient({ ...cfg.graph, now: () => NOW });
    const store = await openStore('sqlite::memory:');
    try {
      const deps = {
        config: cfg,
        accounts: graphAccountsFrom({ GRAPH_TOKEN }),
        graph,
        store,
        charts: chartRenderer('local'),
        now: () => NOW,
        views: { graph, cache: new ViewCache() },
      };
      const due = Date.UTC(2026, 10, 25, 9, 0);
      const result = await chartedDigest(deps, cfg.accounts[0]!, { range: { preset: 'yesterday' } }, { every: 'daily', dueAtMs: due });
      expect(result.report.totals.sent).toBeGreaterThan(0);
      expect(result.digest?.unavailable.cost).toMatch(/permission/i);
      expect(result.digest?.unavailable.health).toBeUndefined();
      expect(result.digest?.views.templates?.funnels.length).toBe(30);
      const slackText = asRead(JSON.stringify(reportMessage(result.report, { fileId: 'F1' }, undefined, result.digest).blocks));
      expect(slackText).toContain('*Cost*\\nLeft out: ');
      expect(slackText).toContain('3 of 10 numbers need attention');
      const card = reportCard(result.report, 'https://example.test/chart.png', undefined, result.digest);
      expect(validateCard(card)).toEqual([]);
      expect(JSON.stringify(card)).toContain('Left out: ');
      expect(JSON.stringify(card)).not.toContain(GRAPH_TOKEN);
    } finally {
      await graph.close();
      await store.close();
    }
  }, 60_000);
});
