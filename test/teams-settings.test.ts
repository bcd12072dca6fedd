import { createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingDelivery } from '../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker } from '../src/alerts/checker.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { allDigests } from '../src/jobs/digests.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { alertRuleSource } from '../src/serve/alertRules.js';
import { type RunningService, startService } from '../src/serve/service.js';
import { openStore, type SqlStore } from '../src/store/sql.js';
import { readHealthChange } from '../src/whatsapp/healthEvents.js';
import { startFakeConnector } from './fakes/connector.js';
import { raiseAlert } from './helpers/alerts.js';
import { storeBackends } from './helpers/stores.js';

/**
 * Alert rules set up from Teams: `settings` typed to the bot, then the settings card's and the
 * rule form's Action.Execute buttons as `adaptiveCard/action` invokes, over HTTP to the real bot,
 * its cards and updates recorded by the fake Bot Connector; the saved rule run by the next check.
 */

const require = createRequire(import.meta.url);
const AC = require('adaptivecards/dist/adaptivecards.js') as any;

const NOW = Date.UTC(2026, 10, 25, 10, 15);
const GRAPH_TOKEN = 'EAAG-teams-settings-token-3';
const OPS = '19:chat-ops@thread.v2';
const OTHER = '19:chat-other@thread.v2';
const ALICE = { id: '29:alice', name: 'Alice', aadObjectId: 'aad-alice' };
const BOB = { id: '29:bob', name: 'Bob', aadObjectId: 'aad-bob' };

/**
 * Graph as the service sees it: the sandbox behind a gate that a test may hold shut (requests wait
 * until it is opened), to make a preview outlast Teams' invoke window without timing anything.
 */
async function startGate(target: string) {
  let held: Array<() => void> | undefined;
  const server = createServer((req, res) => {
    const forward = () => {
      const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (held) held.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: () => {
      held = [];
    },
    /** How many requests wait at the gate. */
    waiting: () => held?.length ?? 0,
    open: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let clock = NOW;
let sandbox: RunningSandbox;
let gate: Awaited<ReturnType<typeof startGate>>;
let connector: Awaited<ReturnType<typeof startFakeConnector>>;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => clock, token: GRAPH_TOKEN, callsPerHour: 1_000_000 });
  gate = await startGate(sandbox.url);
  connector = await startFakeConnector();
});
afterAll(async () => {
  await connector.close();
  await gate.close();
  await sandbox.close();
});

function configured(graphUrl = sandbox.url, extra: Record<string, unknown> = {}) {
  return buildConfig(
    {
      accounts: sampleAccounts(NOW).map((a) => ({
        id: a.id,
        name: a.name,
        displayName: a.displayName,
        token: '${GRAPH_TOKEN}',
        timezone: a.timezone,
      })),
      access: [
        { teams: { conversation: OPS }, accounts: ['acme-retail', 'initech-alerts'] },
        { teams: { conversation: OTHER }, accounts: ['globex-support'] },
      ],
      alerts: [{ name: 'ops-floor', account: 'acme-retail', rateFloor: 0.8, targets: [{ teams: { conversation: OPS } }] }],
      teams: { allowUnauthenticated: true, serviceUrls: [connector.url] },
      ...extra,
    },
    { GRAPH_API_URL: graphUrl },
  );
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

/** What a person reads on a card: its text blocks and runs, a line each (a ShowCard's too). */
function plainText(node: unknown): string {
  if (Array.isArray(node)) return node.map(plainText).filter(Boolean).join('\n');
  if (!node || typeof node !== 'object') return '';
  const n = node as Record<string, any>;
  if (n.type === 'TextBlock') return String(n.text);
  if (n.type === 'RichTextBlock') return (n.inlines as Array<{ text: string }>).map((r) => r.text).join('');
  return Object.values(n).map(plainText).filter(Boolean).join('\n');
}

/** Every Action.Execute on a card, by title: its verb and data. */
function buttons(card: unknown): Array<{ title: string; verb: string; data: Record<string, unknown> }> {
  if (Array.isArray(card)) return card.flatMap(buttons);
  if (!card || typeof card !== 'object') return [];
  const n = card as Record<string, any>;
  return [...(n.type === 'Action.Execute' ? [{ title: n.title, verb: n.verb, data: n.data }] : []), ...Object.values(n).flatMap(buttons)];
}

/** An input's value as the card carries it (what a person would send back untouched). */
function inputsOf(card: unknown): Record<string, unknown> {
  if (Array.isArray(card)) return Object.assign({}, ...card.map(inputsOf));
  if (!card || typeof card !== 'object') return {};
  const n = card as Record<string, any>;
  const own = typeof n.type === 'string' && n.type.startsWith('Input.') && n.value !== undefined ? { [n.id]: String(n.value) } : {};
  return Object.assign(own, ...Object.values(n).map(inputsOf));
}

const backends = await storeBackends();

describe.each(backends)('alert rules from Teams, on $name', (backend) => {
  let store: SqlStore;
  let service: RunningService;
  let counter = 0;

  beforeAll(async () => {
    store = await backend.open();
    service = await startService({
      config: configured(gate.url),
      env: { GRAPH_TOKEN },
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
      store,
      schedule: false,
    });
  });
  afterAll(async () => {
    await service.close();
    await store.close();
    await backend.cleanup();
  });

  const base = (from: typeof ALICE, conversation: string) => ({
    id: `in-${++counter}`,
    timestamp: new Date(NOW).toISOString(),
    serviceUrl: connector.url,
    channelId: 'msteams',
    from,
    conversation: { id: conversation, conversationType: 'groupChat', tenantId: 'tenant-1' },
    recipient: { id: '28:waba-pulse', name: 'waba-pulse' },
    channelData: { tenant: { id: 'tenant-1' } },
  });

  async function post(activity: Record<string, unknown>) {
    const started = performance.now();
    const res = await fetch(`${service.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined, ms: performance.now() - started };
  }

  /** `settings` typed in a conversation: the card the bot posts there. */
  async function typeSettings(from = ALICE, conversation = OPS) {
    const before = connector.calls.length;
    expect((await post({ ...base(from, conversation), type: 'message', text: 'settings' })).status).toBe(200);
    const sent = await connector.waitFor(() =>
      connector.calls.slice(before).find((c) => c.conversation === conversation && c.activity.attachments?.length),
    );
    return sent.activity.attachments[0].content as Record<string, any>;
  }

  /** A button pressed on a card in `conversation` (the message `card-1`): the invoke's answer. */
  async function press(verb: string, data: Record<string, unknown>, from = ALICE, conversation = OPS) {
    const answer = await post({
      ...base(from, conversation),
      type: 'invoke',
      name: 'adaptiveCard/action',
      replyToId: 'card-1',
      value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body?.statusCode).toBe(200);
    return answer;
  }
  const cardFrom = (answer: { body?: Record<string, any> }) => {
    expect(answer.body?.type).toBe('application/vnd.microsoft.card.adaptive');
    const card = answer.body!.value as Record<string, any>;
    expect(validateCard(card)).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThan(28 * 1024);
    return card;
  };
  const verbOf = (card: unknown, title: string) => buttons(card).find((b) => b.title === title)!;

  const form = {
    account: 'acme-retail',
    source: 'graph',
    countries: 'IN',
    minSent: '50',
    rateFloor: '',
    sensitivity: 'normal',
    drillDown: 'phone',
    remindEvery: '4h',
  };

  it('answers settings with the conversation’s accounts, open alerts and rules, the config’s read-only; help lists it', async () => {
    await raiseAlert(
      store,
      {
        accountId: sampleAccounts(NOW)[0]!.id,
        accountName: 'Acme Retail',
        timezone: 'UTC',
        anomalies: [{ severity: 'critical', explanation: 'Delivery 71% vs 97% expected' }],
      },
      NOW,
    );
    const card = await typeSettings();
    expect(validateCard(card)).toEqual([]);
    const shown = plainText(card);
    expect(shown).toMatch(/Acme Retail \(acme-retail\): \d+\.\d% of [\d,]+ delivered yesterday/);
    expect(shown).toContain('Initech');
    expect(shown).not.toContain('Globex');
    expect(shown).toMatch(/Open: A-[2-9A-Z]{4} Acme Retail: Delivery 71% vs 97% expected/);
    expect(shown).toContain('alerts[0] ops-floor: defined in waba-pulse.yaml, change it there');
    expect(buttons(card).map((b) => b.title)).toEqual(['New alert rule', 'New digest']);
    expect(shown).toContain('Digests posted here');
    // A conversation that may see nothing is told so, with no button.
    const nowhere = await typeSettings(ALICE, '19:chat-nowhere@thread.v2');
    expect(plainText(nowhere)).toContain('may see no WhatsApp account yet');
    expect(buttons(nowhere)).toEqual([]);
    const before = connector.calls.length;
    await post({ ...base(ALICE, OPS), type: 'message', text: 'help' });
    const help = await connector.waitFor(() => connector.calls.slice(before).find((c) => c.activity.attachments?.length));
    expect(plainText(help.activity.attachments[0].content)).toContain('Alert rules in a card, with a 30-day preview: @waba-pulse settings');
  });

  it('opens the rule form with only this conversation’s accounts; refuses bad fields beside each, values kept, nothing stored', async () => {
    const settings = await typeSettings();
    const opened = await press(verbOf(settings, 'New alert rule').verb, {});
    console.log(`teams settings: New alert rule answered in ${opened.ms.toFixed(0)} ms`);
    const card = cardFrom(opened);
    const accounts = (card.body as any[]).find((b) => b.id === 'account').choices.map((c: any) => c.value);
    expect(accounts).toEqual(['acme-retail', 'initech-alerts']);
    expect(buttons(card).map((b) => b.title)).toEqual(['Back', 'Save', 'Preview']);

    const save = verbOf(card, 'Save');
    for (const [fields, field, words] of [
      [{ minSent: '-1' }, 'minSent', '"-1" is under the minimum, 0'],
      [{ minSent: '1e9' }, 'minSent', '"1e9" is not a number'],
      [{ countries: 'India' }, 'countries', '"India" is not an ISO 3166 alpha-2 country code'],
      [{ rateFloor: '1.2' }, 'rateFloor', 'is over the maximum, 1'],
      [{ remindEvery: '1m' }, 'remindEvery', '1m'],
      [{ account: 'globex-support' }, 'account', 'globex-support may not be seen in that channel'],
    ] as const) {
      const answer = cardFrom(await press(save.verb, { ...save.data, ...form, ...fields }));
      const body = answer.body as any[];
      const at = body.findIndex((b) => b.id === field);
      // The server's words right under the field, the rest of the form as it was sent.
      expect(plainText(body[at + 1]), JSON.stringify(fields)).toContain(words);
      expect(inputsOf(answer).source).toBe('graph');
      if (field !== 'countries') expect(inputsOf(answer).countries).toBe('IN');
    }
    expect(await store.rules.listRules()).toEqual([]);
  });

  it('previews the rule over 30 days in the card (or says "previewing…" and updates the card), then saves it', async () => {
    const settings = await typeSettings();
    const card = cardFrom(await press(verbOf(settings, 'New alert rule').verb, {}));
    const preview = verbOf(card, 'Preview');
    const before = connector.calls.length;
    const answered = await press(preview.verb, { ...preview.data, ...form });
    console.log(`teams settings: Preview answered in ${answered.ms.toFixed(0)} ms`);
    let shown = plainText(cardFrom(answered));
    if (shown.includes('Previewing the last 30 days…')) {
      // Past Teams' invoke window: the answer is put into the card's message when it is in.
      const update = await connector.waitFor(
        () => connector.calls.slice(before).find((c) => c.method === 'PUT' && c.activityId === 'card-1'),
        60_000,
      );
      expect(update.conversation).toBe(OPS);
      const updated = update.activity.attachments[0].content;
      expect(validateCard(updated)).toEqual([]);
      shown = plainText(updated);
    }
    const count = /This rule would have alerted (no|\d+) times? in 30 days/.exec(shown);
    expect(count).not.toBeNull();
    // Yesterday's drop on Acme's number to India is in the window.
    expect(Number(count![1])).toBeGreaterThanOrEqual(1);
    expect(await store.rules.listRules()).toEqual([]);

    const save = verbOf(card, 'Save');
    const saved = cardFrom(await press(save.verb, { ...save.data, ...form }));
    const [rule] = await store.rules.listRules({ platform: 'teams', conversation: OPS });
    expect(rule).toMatchObject({
      version: 1,
      createdBy: 'aad-alice',
      createdAt: NOW,
      definition: { account: 'acme-retail', minSent: 50, scope: { countries: ['IN'] }, targets: [{ teams: { conversation: OPS } }] },
    });
    // Back on the settings, with the new rule and its buttons.
    expect(plainText(saved)).toContain(`Saved: ${rule!.id}, version 1.`);
    expect(plainText(saved)).toContain('drop · acme-retail · graph · countries IN · min 50 sent · normal sensitivity · by phone');
    expect(buttons(saved).map((b) => b.title)).toEqual(['Edit', 'Delete', 'New alert rule', 'New digest']);
  }, 90_000);

  it('answers a preview that outlasts Teams’ invoke window with "previewing…", and puts the answer into the card when it is in', async () => {
    const settings = await typeSettings();
    const card = cardFrom(await press(verbOf(settings, 'New alert rule').verb, {}));
    const preview = verbOf(card, 'Preview');
    const before = connector.calls.length;
    // Graph holds every request until the invoke has been answered.
    gate.hold();
    try {
      const answered = await press(preview.verb, { ...preview.data, ...form, account: 'initech-alerts', countries: '' });
      console.log(`teams settings: a held preview answered "previewing…" in ${answered.ms.toFixed(0)} ms`);
      const shown = cardFrom(answered);
      expect(plainText(shown)).toContain('Previewing the last 30 days…');
      expect(inputsOf(shown).account).toBe('initech-alerts');
      expect(gate.waiting()).toBeGreaterThan(0);
    } finally {
      gate.open();
    }
    const update = await connector.waitFor(
      () => connector.calls.slice(before).find((c) => c.method === 'PUT' && c.activityId === 'card-1'),
      60_000,
    );
    expect(update.conversation).toBe(OPS);
    const updated = update.activity.attachments[0].content;
    expect(validateCard(updated)).toEqual([]);
    expect(plainText(updated)).toMatch(/This rule would have alerted (no|\d+) times? in 30 days/);
    expect(inputsOf(updated).account).toBe('initech-alerts');
    expect(await store.rules.listRules({ platform: 'teams', conversation: OPS })).toHaveLength(1);
  }, 90_000);

  it('runs the saved rule in the next alert checks, like a rule from the file', async () => {
    const [rule] = await store.rules.listRules({ platform: 'teams', conversation: OPS });
    const config = configured();
    const graph = new GraphClient({ ...config.graph, now: () => clock });
    const checker = new AlertChecker({
      store,
      ctx: { config, accounts: graphAccountsFrom({ GRAPH_TOKEN }), graph, now: () => clock },
      owner: 'replica-a',
      logger: silentLogger,
      delivery: new RecordingDelivery(),
      rules: alertRuleSource(config, store, silentLogger),
    });
    try {
      // Through yesterday's drop (13:00–17:30 in Kolkata), a check every half hour.
      for (let t = Date.UTC(2026, 10, 24, 7, 0); t <= Date.UTC(2026, 10, 24, 12, 30); t += 30 * 60_000) {
        clock = t;
        await checker.tick(t);
      }
    } finally {
      clock = NOW;
      await graph.close();
    }
    const runs = await store.runs.listRuns({ job: `alert-check:chat:${rule!.id}` });
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.map((r) => r.status)).toContain('posted');
  }, 90_000);

  it('opens a rule to edit; of two edits of one version the second is told who changed it first, and nothing of theirs is lost', async () => {
    const [rule] = await store.rules.listRules({ platform: 'teams', conversation: OPS });
    const settings = await typeSettings();
    const edit = verbOf(settings, 'Edit');
    expect(edit.data).toEqual({ ruleId: rule!.id, version: rule!.version });
    const aliceForm = cardFrom(await press(edit.verb, edit.data, ALICE));
    const bobForm = cardFrom(await press(edit.verb, edit.data, BOB));
    expect(inputsOf(aliceForm)).toMatchObject({ account: 'acme-retail', countries: 'IN', minSent: '50', drillDown: 'phone' });
    expect(buttons(aliceForm).map((b) => b.title)).toEqual(['Back', 'Delete', 'Save', 'Preview']);

    const bobSave = verbOf(bobForm, 'Save');
    const bobSaved = cardFrom(await press(bobSave.verb, { ...bobSave.data, ...inputsOf(bobForm), minSent: '500' }, BOB));
    expect(plainText(bobSaved)).toContain(`Saved: ${rule!.id}, version 2.`);
    const aliceSave = verbOf(aliceForm, 'Save');
    const refused = cardFrom(await press(aliceSave.verb, { ...aliceSave.data, ...inputsOf(aliceForm), minSent: '5' }, ALICE));
    expect(plainText(refused)).toContain('changed by aad-bob since you opened it (now version 2)');
    // Alice's typing is kept in the card.
    expect(inputsOf(refused).minSent).toBe('5');
    expect(await store.rules.rule(rule!.id)).toMatchObject({ version: 2, updatedBy: 'aad-bob', definition: { minSent: 500 } });
  });

  it('answers a forged card (a rule of another conversation, an unknown rule) with one line, and changes nothing', async () => {
    const theirs = await store.rules.createRule(
      {
        owner: { platform: 'teams', conversation: OTHER },
        definition: { account: 'globex-support', targets: [{ teams: { conversation: OTHER } }] },
        by: 'aad-carol',
      },
      NOW,
    );
    const line = 'That rule is not one of this conversation’s (or was deleted): nothing changed.';
    for (const [verb, data] of [
      ['waba-pulse.rule.edit', { ruleId: theirs.id, version: 1 }],
      ['waba-pulse.rule.save', { ruleId: theirs.id, version: 1, ...form }],
      ['waba-pulse.rule.delete', { ruleId: theirs.id, version: 1 }],
      ['waba-pulse.rule.save', { ruleId: 'r-nonexistent', version: 1, ...form }],
    ] as const) {
      const answer = await press(verb, data);
      expect(answer.body, verb).toEqual({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: line });
    }
    expect(await store.rules.rule(theirs.id)).toMatchObject({ version: 1, definition: { account: 'globex-support' } });
    expect(await store.rules.listRules({ platform: 'teams', conversation: OPS })).toHaveLength(1);
    const unknown = await press('waba-pulse.rule.launch', {});
    expect(unknown.body?.value).toBe('This card is out of date: type settings for a new one.');
  });

  it('answers malformed card actions with a line, never a 500', async () => {
    const invoke = (value: unknown) =>
      post({ ...base(ALICE, OPS), type: 'invoke', name: 'adaptiveCard/action', replyToId: 'card-1', value });
    for (const value of [
      undefined,
      {},
      { action: { type: 'Action.Execute', verb: 42, data: [] } },
      { action: { type: 'Action.Execute', verb: 'waba-pulse.rule.save', data: 'not an object' } },
      { action: { type: 'Action.Execute', verb: 'waba-pulse.rule.edit', data: { ruleId: 'r'.repeat(10_000), version: 1 } } },
      { action: { type: 'Action.Execute', verb: 'waba-pulse.rule.save', data: { ruleId: { $ne: null }, version: '1' } } },
    ]) {
      const answer = await invoke(value);
      expect(answer.status, JSON.stringify(value)?.slice(0, 80)).toBe(200);
      expect(answer.body?.statusCode).toBe(200);
      expect(['application/vnd.microsoft.activity.message', 'application/vnd.microsoft.card.adaptive']).toContain(answer.body?.type);
    }
    expect(await store.rules.listRules({ platform: 'teams', conversation: OPS })).toHaveLength(1);
  });

  it('deletes a rule only at its current version, and logs who did', async () => {
    const [rule] = await store.rules.listRules({ platform: 'teams', conversation: OPS });
    const settings = await typeSettings();
    const remove = verbOf(settings, 'Delete');
    const stale = cardFrom(await press(remove.verb, { ...remove.data, version: 1 }));
    expect(plainText(stale)).toContain('Not deleted: changed by aad-bob since you opened it (now version 2)');
    const done = cardFrom(await press(remove.verb, remove.data));
    expect(plainText(done)).toContain('Rule deleted: its alerts stop from the next check.');
    expect(plainText(done)).not.toContain(rule!.id);
    expect(await store.rules.rule(rule!.id)).toBeUndefined();
    expect((await store.rules.ruleChanges(rule!.id)).map((c) => [c.version, c.action, c.by])).toEqual([
      [1, 'create', 'aad-alice'],
      [2, 'update', 'aad-bob'],
      [3, 'delete', 'aad-alice'],
    ]);
  });

  it('sets up a digest from the card: a bad zone beside its field, saved for the one digest scheduler, a second of the period refused', async () => {
    const settings = await typeSettings();
    expect(buttons(settings).map((b) => b.title)).toEqual(['New alert rule', 'New digest']);
    const card = cardFrom(await press(verbOf(settings, 'New digest').verb, {}));
    expect(buttons(card).map((b) => b.title)).toEqual(['Back', 'Save']);
    const save = verbOf(card, 'Save');
    const digest = { account: 'acme-retail', every: 'daily', day: 'mon', at: '07:45', timezone: 'Asia/Kolkata', by: 'phone' };
    const listed = () => store.preferences.listSubscriptions({ platform: 'teams', conversation: OPS });

    const bad = cardFrom(await press(save.verb, { ...save.data, ...digest, timezone: 'Mars/Olympus_Mons' }));
    const body = bad.body as any[];
    expect(plainText(body[body.findIndex((b) => b.id === 'timezone') + 1])).toContain('Mars/Olympus_Mons');
    expect(inputsOf(bad)).toMatchObject({ account: 'acme-retail', at: '07:45', by: 'phone', timezone: 'Mars/Olympus_Mons' });
    const hidden = cardFrom(await press(save.verb, { ...save.data, ...digest, account: 'globex-support' }));
    expect(plainText(hidden)).toContain('globex-support may not be seen in that channel');
    expect(await listed()).toEqual([]);

    // Input.Time may send seconds.
    const saved = cardFrom(await press(save.verb, { ...save.data, ...digest, at: '07:45:00' }));
    expect(plainText(saved)).toContain('Acme Retail · daily at 07:45 Asia/Kolkata · by phone');
    const [made] = await listed();
    expect(made).toMatchObject({
      accountId: sampleAccounts(NOW)[0]!.id,
      every: 'daily',
      at: '07:45',
      by: 'phone',
      createdBy: 'aad-alice',
      version: 1,
    });
    const job = allDigests(configured(), await store.preferences.listSubscriptions()).find((d) => d.origin === made!.id);
    expect(job).toMatchObject({ job: `digest:${made!.id}`, source: 'chat' });

    const again = cardFrom(await press(save.verb, { ...save.data, ...digest, at: '18:00' }));
    expect(plainText(again)).toContain('that channel already has a daily digest of Acme Retail (set by aad-alice): edit that one');
    expect(await listed()).toHaveLength(1);

    // Another conversation's digest, named in a forged card: one line, nothing changed.
    const theirs = await store.preferences.createDigest(
      {
        platform: 'teams',
        conversation: OTHER,
        accountId: sampleAccounts(NOW)[1]!.id,
        every: 'daily',
        at: '08:00',
        timezone: 'UTC',
        createdBy: 'aad-carol',
      },
      NOW,
    );
    for (const verb of ['waba-pulse.digest.edit', 'waba-pulse.digest.save', 'waba-pulse.digest.delete'])
      expect((await press(verb, { digestId: theirs.id, version: 1, ...digest })).body?.value, verb).toBe(
        'That digest is not one of this conversation’s (or was deleted): nothing changed.',
      );
    expect(await store.preferences.subscription(theirs.id)).toMatchObject({ version: 1, conversation: OTHER });

    const form = cardFrom(await press(verbOf(saved, 'Edit').verb, verbOf(saved, 'Edit').data));
    expect(inputsOf(form)).toMatchObject({ account: 'acme-retail', every: 'daily', at: '07:45', timezone: 'Asia/Kolkata', by: 'phone' });
    const weekly = cardFrom(
      await press(verbOf(form, 'Save').verb, { ...verbOf(form, 'Save').data, ...inputsOf(form), every: 'weekly', day: 'fri' }),
    );
    expect(plainText(weekly)).toContain('Acme Retail · weekly on Friday at 07:45 Asia/Kolkata · by phone');
    const removed = cardFrom(await press(verbOf(weekly, 'Delete').verb, verbOf(weekly, 'Delete').data));
    expect(plainText(removed)).toContain('Digest deleted: it is not posted again.');
    expect(await listed()).toEqual([]);
  });

  it('makes a health rule (none of a drop rule’s settings) previewed from the stored health webhooks; a name taken or a bad kind beside its field', async () => {
    const flagged = readHealthChange(
      sampleAccounts(NOW)[0]!.id,
      (NOW - 3 * 86_400_000) / 1000,
      'phone_number_quality_update',
      { display_phone_number: '16315551000', event: 'FLAGGED', current_limit: 'TIER_10K' },
      NOW / 1000,
    );
    if (!flagged.ok) throw new Error(flagged.detail);
    await store.health.recordHealthEvents([flagged.event]);
    const settings = await typeSettings();
    const card = cardFrom(await press(verbOf(settings, 'New alert rule').verb, {}));
    const kind = (card.body as any[]).find((b) => b.id === 'kind');
    expect(kind.choices.map((c: any) => c.value)).toEqual(['drop', 'health']);
    expect(kind.value).toBe('drop');
    expect((card.body as any[]).find((b) => b.id === 'name')).toMatchObject({ type: 'Input.Text', label: 'Name' });
    // The drop settings as the card sends them (its defaults, what was typed): left out of a health rule.
    const health = { ...form, kind: 'health', name: 'Acme health' };

    const previewed = cardFrom(await press(verbOf(card, 'Preview').verb, { ...verbOf(card, 'Preview').data, ...health }));
    expect(plainText(previewed)).toContain('This rule would have alerted 1 time in 30 days:');
    // Three days ago at 10:15 UTC, in Acme's zone (Asia/Kolkata).
    expect(plainText(previewed)).toContain(
      '• Sun 22 Nov 15:45: +1 631 555 1000 flagged: its quality rating fell below GREEN (limit TIER_10K)',
    );
    expect(inputsOf(previewed)).toMatchObject({ kind: 'health', name: 'Acme health' });

    const save = verbOf(card, 'Save');
    const saved = cardFrom(await press(save.verb, { ...save.data, ...health }));
    const [rule] = await store.rules.listRules({ platform: 'teams', conversation: OPS });
    expect(rule!.definition).toEqual({
      kind: 'health',
      name: 'Acme health',
      account: 'acme-retail',
      remindEvery: '4h',
      targets: [{ teams: { conversation: OPS } }],
    });
    expect(plainText(saved)).toContain('health · acme-retail · reminds every 4h');

    // The config file's rule's name and the chat rule's, in any case; a kind no one knows.
    for (const [fields, at, words] of [
      [{ name: 'OPS-FLOOR' }, 'name', '"OPS-FLOOR" is already the name of another alert rule: choose another'],
      [{ ...health, name: 'acme HEALTH' }, 'name', '"acme HEALTH" is already the name of another alert rule: choose another'],
      [{ kind: 'outage' }, 'kind', '"outage" is not an alert kind — use drop (the default) or health'],
    ] as const) {
      const refused = cardFrom(await press(save.verb, { ...save.data, ...form, ...fields }));
      const body = refused.body as any[];
      expect(plainText(body[body.findIndex((b) => b.id === at) + 1]), JSON.stringify(fields)).toContain(words);
      expect(inputsOf(refused).account).toBe('acme-retail');
    }
    expect(await store.rules.listRules({ platform: 'teams', conversation: OPS })).toHaveLength(1);
    // Opened again: a health rule, with its name.
    const reopened = cardFrom(await press(verbOf(saved, 'Edit').verb, verbOf(saved, 'Edit').data));
    expect(inputsOf(reopened)).toMatchObject({ kind: 'health', name: 'Acme health', account: 'acme-retail', remindEvery: '4h' });
  });
});

describe('admins: on Teams, by Microsoft Entra object id', () => {
  const ADMIN = { id: '29:dana', name: 'Dana', aadObjectId: '6f1c2a9e-2b9d-4c7a-9d5e-0a1b2c3d4e5f' };
  let store: SqlStore;
  let service: RunningService;

  beforeAll(async () => {
    // A store of its own (the check is the core's, the same on every backend).
    store = await openStore('sqlite::memory:');
    service = await startService({
      // Written in capitals, as the Entra admin center may show it: Teams sends it in lower case.
      config: configured(sandbox.url, { admins: { teams: [ADMIN.aadObjectId.toUpperCase()] } }),
      env: { GRAPH_TOKEN },
      logger: silentLogger,
      now: () => NOW,
      port: 0,
      host: '127.0.0.1',
      store,
      schedule: false,
    });
  });
  afterAll(async () => {
    await service.close();
    await store.close();
  });

  let counter = 0;
  const post = async (from: typeof ALICE, activity: Record<string, unknown>) => {
    const res = await fetch(`${service.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: `admin-${++counter}`,
        timestamp: new Date(NOW).toISOString(),
        serviceUrl: connector.url,
        channelId: 'msteams',
        from,
        conversation: { id: OPS, conversationType: 'groupChat', tenantId: 'tenant-1' },
        recipient: { id: '28:waba-pulse', name: 'waba-pulse' },
        channelData: { tenant: { id: 'tenant-1' } },
        ...activity,
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    return text ? (JSON.parse(text) as { statusCode: number; type: string; value: Record<string, any> }) : undefined;
  };
  const save = async (from: typeof ALICE) => {
    const data = { account: 'acme-retail', minSent: '50', remindEvery: '4h' };
    const body = await post(from, {
      type: 'invoke',
      name: 'adaptiveCard/action',
      replyToId: 'card-1',
      value: { action: { type: 'Action.Execute', verb: 'waba-pulse.rule.save', data }, trigger: 'manual' },
    });
    expect(body?.type).toBe('application/vnd.microsoft.card.adaptive');
    return body!.value;
  };

  it("refuses someone else's Save with one short line on the card, storing nothing; the admin's is saved", async () => {
    // The bot learns the conversation (and may post there) from a first message in it.
    const before = connector.calls.length;
    await post(ADMIN, { type: 'message', text: 'settings' });
    await connector.waitFor(() => connector.calls.slice(before).find((c) => c.conversation === OPS && c.activity.attachments?.length));
    const refused = await save(ALICE);
    expect(validateCard(refused)).toEqual([]);
    const lines = plainText(refused)
      .split('\n')
      .filter((l) => l.startsWith('⚠️'));
    expect(lines).toEqual(['⚠️ only the admins named in the config (admins:) may change alert rules: ask one of them']);
    // What was typed is kept, for an admin to be shown.
    expect(inputsOf(refused)).toMatchObject({ account: 'acme-retail', minSent: '50' });
    expect(await store.rules.listRules()).toEqual([]);

    const saved = await save(ADMIN);
    const [rule] = await store.rules.listRules({ platform: 'teams', conversation: OPS });
    expect(plainText(saved)).toContain(`Saved: ${rule!.id}, version 1.`);
    expect(rule).toMatchObject({ createdBy: ADMIN.aadObjectId, definition: { account: 'acme-retail', minSent: 50 } });
  });
});
