import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../src/configure.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { type RunningService, startService } from '../src/serve/service.js';
import { openStore, type SqlStore } from '../src/store/sql.js';
import { startFakeSlack } from './fakes/slack.js';
import { raiseAlert } from './helpers/alerts.js';

const NOW = Date.UTC(2026, 10, 25, 10, 15);
const SIGNING_SECRET = 'setup-signing-secret-5c4b';
const BOT_TOKEN = 'xoxb-setup-bot-token-77';
const GRAPH_TOKEN = 'EAAG-setup-graph-token-9';

let sandbox: RunningSandbox;
let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let service: RunningService;
let store: SqlStore;

beforeAll(async () => {
  const accounts = sampleAccounts(NOW);
  sandbox = await startSandbox({ accounts, now: () => NOW, token: GRAPH_TOKEN, callsPerHour: 100_000 });
  slack = await startFakeSlack();
  store = await openStore('sqlite::memory:');
  const config = buildConfig(
    {
      accounts: accounts.map((a) => ({
        id: a.id,
        name: a.name,
        displayName: a.displayName,
        token: '${GRAPH_TOKEN}',
        timezone: a.timezone,
      })),
      access: [
        { slack: { channel: 'C0OPS' }, accounts: ['acme-retail', 'initech-alerts'] },
        { slack: { channel: 'C0OTHER' }, accounts: ['globex-support'] },
      ],
      alerts: [{ name: 'ops-floor', account: 'acme-retail', rateFloor: 0.8, targets: [{ slack: { channel: 'C0OPS' } }] }],
    },
    { GRAPH_API_URL: sandbox.url, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl },
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
  // Alice is in #ops and a channel with no access; Bob in #ops; nobody here is in #other.
  slack.setMembership('U0ALICE', ['C0RANDOM', 'C0OPS', 'C0LOBBY']);
  slack.setMembership('U0BOB', ['C0OPS']);
});
afterAll(async () => {
  await service.close();
  await store.close();
  await slack.close();
  await sandbox.close();
});

async function post(body: string, contentType: string) {
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(`${service.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, any>) : undefined };
}

let events = 0;
const openHome = (user: string) =>
  post(
    JSON.stringify({
      token: 'legacy',
      team_id: 'T0FAKE',
      api_app_id: 'A0FAKE',
      type: 'event_callback',
      event_id: `Ev${++events}`,
      event_time: Math.floor(NOW / 1000),
      event: { type: 'app_home_opened', user, channel: `D0${user}`, tab: 'home', event_ts: `${NOW / 1000}.${events}` },
    }),
    'application/json',
  );

const interaction = (payload: Record<string, unknown>) =>
  post(
    new URLSearchParams({
      payload: JSON.stringify({ team: { id: 'T0FAKE' }, api_app_id: 'A0FAKE', token: 'legacy', ...payload }),
    }).toString(),
    'application/x-www-form-urlencoded',
  );

const newCalls = (method: string, since: number) => slack.calls.slice(since).filter((c) => c.method === method);
const homeOf = (user: string, since: number) =>
  slack.waitFor(() => newCalls('views.publish', since).find((c) => c.args.user_id === user)?.args.view as Record<string, any> | undefined);
const textOf = (view: Record<string, any>) =>
  view.blocks
    .map((b: Record<string, any>) =>
      [b.text?.text, ...(b.elements ?? []).map((e: any) => e.text?.text ?? e.text)].filter(Boolean).join(' '),
    )
    .join('\n');

/** A form's state as Slack sends it back: each block's `value` action. */
function state(fields: {
  channel?: string;
  account?: string;
  source?: string;
  minSent?: string;
  rateFloor?: string;
  countries?: string;
  sensitivity?: string;
  drillDown?: string[];
  remindEvery?: string;
}) {
  const select = (v: string | undefined) => ({ value: { type: 'static_select', selected_option: v ? { value: v } : null } });
  const text = (v: string | undefined) => ({ value: { type: 'plain_text_input', value: v ?? null } });
  return {
    values: {
      channel: { value: { type: 'conversations_select', selected_conversation: fields.channel ?? null } },
      account: select(fields.account),
      source: select(fields.source ?? 'graph'),
      numbers: text(undefined),
      countries: text(fields.countries),
      min_sent: text(fields.minSent),
      rate_floor: text(fields.rateFloor),
      sensitivity: select(fields.sensitivity ?? 'normal'),
      drill_down: { value: { type: 'checkboxes', selected_options: (fields.drillDown ?? ['phone']).map((value) => ({ value })) } },
      ...(fields.remindEvery ? { remind_every: select(fields.remindEvery) } : {}),
    },
  };
}

const submit = (user: string, fields: Parameters<typeof state>[0], metadata: Record<string, unknown> = {}) =>
  interaction({
    type: 'view_submission',
    user: { id: user, team_id: 'T0FAKE' },
    view: {
      id: 'V0FORM',
      type: 'modal',
      callback_id: 'setup_rule_form',
      private_metadata: JSON.stringify(metadata),
      state: state(fields),
      hash: 'h0',
    },
  });

describe('Slack App Home', () => {
  it("shows the person's channels that may see accounts: yesterday's delivery, open alerts, and the rules, config ones read-only", async () => {
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
    const since = slack.calls.length;
    expect((await openHome('U0ALICE')).status).toBe(200);
    const view = await homeOf('U0ALICE', since);
    expect(view.type).toBe('home');
    const shown = textOf(view);
    expect(shown).toContain('<#C0OPS>');
    expect(shown).not.toContain('C0OTHER');
    expect(shown).not.toContain('C0RANDOM');
    expect(shown).toMatch(/\*Acme Retail\* \(`acme-retail`\): \d+\.\d% of [\d,]+ delivered yesterday/);
    expect(shown).toMatch(/Open: A-[2-9A-Z]{4} Acme Retail: Delivery 71% vs 97% expected/);
    expect(shown).toContain('alerts[0] ops-floor in the config file: change it there');
    expect(view.blocks.find((b: any) => b.type === 'actions').elements[0]).toMatchObject({
      action_id: 'setup_new_rule',
      text: { text: 'New alert rule' },
    });
    // users.conversations answers two channels a page: all three pages were read.
    expect(newCalls('users.conversations', since).length).toBe(2);
    expect(newCalls('views.publish', since)[0]!.violations).toEqual([]);
  });
});

describe('the rule form', () => {
  it("opens from the App Home button with only the accounts of the person's channels", async () => {
    const since = slack.calls.length;
    const res = await interaction({
      type: 'block_actions',
      user: { id: 'U0ALICE', team_id: 'T0FAKE' },
      trigger_id: '111.222',
      container: { type: 'view', view_id: 'VHOMEU0ALICE' },
      view: { id: 'VHOMEU0ALICE', type: 'home' },
      actions: [{ action_id: 'setup_new_rule', block_id: 'x', type: 'button', value: 'new' }],
    });
    expect(res.status).toBe(200);
    const opened = await slack.waitFor(() => newCalls('views.open', since)[0]);
    expect(opened.args.trigger_id).toBe('111.222');
    expect(opened.violations).toEqual([]);
    const view = opened.args.view as Record<string, any>;
    expect(view).toMatchObject({ type: 'modal', callback_id: 'setup_rule_form', submit: { text: 'Save' } });
    const accounts = view.blocks.find((b: any) => b.block_id === 'account').element.options.map((o: any) => o.value);
    expect(accounts.sort()).toEqual(['acme-retail', 'initech-alerts']);
  });

  it("opens from /waba settings on the command's trigger, with its channel chosen", async () => {
    const since = slack.calls.length;
    await post(
      new URLSearchParams({
        team_id: 'T0FAKE',
        channel_id: 'C0OPS',
        user_id: 'U0BOB',
        command: '/waba',
        text: 'settings',
        trigger_id: '333.444',
        response_url: slack.responseUrl('settings'),
      }).toString(),
      'application/x-www-form-urlencoded',
    );
    const opened = await slack.waitFor(() => newCalls('views.open', since)[0]);
    expect(opened.args.trigger_id).toBe('333.444');
    expect((opened.args.view as any).blocks[0].element.initial_conversation).toBe('C0OPS');
  });

  it("answers bad fields with response_action errors on each field, in the config schema's words", async () => {
    const { json } = await submit('U0ALICE', {
      channel: 'C0OPS',
      account: 'acme-retail',
      minSent: 'lots',
      rateFloor: '1.2',
      countries: 'India',
    });
    expect(json?.response_action).toBe('errors');
    expect(json?.errors).toEqual({
      min_sent: '"lots" is not a number',
      rate_floor: '"1.2" is over the maximum, 1 — a rate is a fraction: write 0.012 for 1.2%',
      countries: '"India" is not an ISO 3166 alpha-2 country code (e.g. US, IN)',
    });
    expect(await store.rules.listRules()).toEqual([]);
  });

  it('checks access on the server: an account the channel may not see, a channel the person is not in', async () => {
    const hidden = await submit('U0ALICE', { channel: 'C0OPS', account: 'globex-support' });
    expect(hidden.json).toEqual({
      response_action: 'errors',
      errors: { account: 'globex-support may not be seen in that channel: choose another account or channel' },
    });
    const outsider = await submit('U0ALICE', { channel: 'C0OTHER', account: 'globex-support' });
    expect(outsider.json?.errors).toEqual({ channel: 'you are not in that channel: choose one of yours' });
    expect(await store.rules.listRules()).toEqual([]);
  });

  it('saves a good rule (closing the form), redraws the App Home with it, and the second of two edits of one version is told', async () => {
    const since = slack.calls.length;
    const saved = await submit('U0ALICE', {
      channel: 'C0OPS',
      account: 'acme-retail',
      minSent: '50',
      rateFloor: '90%',
      countries: 'in, br',
    });
    expect(saved.status).toBe(200);
    expect(saved.json).toBeUndefined();
    const [rule] = await store.rules.listRules({ platform: 'slack', conversation: 'C0OPS' });
    expect(rule).toMatchObject({
      version: 1,
      createdBy: 'U0ALICE',
      createdAt: NOW,
      definition: {
        account: 'acme-retail',
        minSent: 50,
        rateFloor: 0.9,
        scope: { countries: ['in', 'br'] },
        targets: [{ slack: { channel: 'C0OPS' } }],
      },
    });
    const home = textOf(await homeOf('U0ALICE', since));
    expect(home).toContain(`${rule!.id}, version 1, last changed by <@U0ALICE>`);
    expect(home).toContain('drop · acme-retail · graph · countries IN, BR · min 50 sent · floor 90.0% · normal sensitivity · by phone');

    // Alice and Bob both opened version 1; Bob saves first, Alice is told, and Bob's change stays.
    const bob = await submit('U0BOB', { channel: 'C0OPS', account: 'acme-retail', minSent: '500' }, { ruleId: rule!.id, version: 1 });
    expect(bob.json).toBeUndefined();
    const alice = await submit('U0ALICE', { channel: 'C0OPS', account: 'acme-retail', minSent: '5' }, { ruleId: rule!.id, version: 1 });
    expect(alice.json).toEqual({
      response_action: 'errors',
      errors: {
        channel: 'changed by U0BOB since you opened it (now version 2): close this form and open the rule again, then make your change',
      },
    });
    expect(await store.rules.rule(rule!.id)).toMatchObject({ version: 2, updatedBy: 'U0BOB', definition: { minSent: 500 } });
    expect((await store.rules.ruleChanges(rule!.id)).map((c) => [c.version, c.action, c.by])).toEqual([
      [1, 'create', 'U0ALICE'],
      [2, 'update', 'U0BOB'],
    ]);
  });

  it("opens a chat rule to edit, filled in and carrying its version, only for someone in the rule's channel", async () => {
    const [rule] = await store.rules.listRules({ platform: 'slack', conversation: 'C0OPS' });
    const edit = (user: string) =>
      interaction({
        type: 'block_actions',
        user: { id: user, team_id: 'T0FAKE' },
        trigger_id: `edit.${user}`,
        actions: [{ action_id: 'setup_edit_rule', block_id: 'r', type: 'button', value: rule!.id }],
      });
    slack.setMembership('U0EVE', ['C0OTHER']);
    const since = slack.calls.length;
    await edit('U0EVE');
    await edit('U0BOB');
    const opened = await slack.waitFor(() => newCalls('views.open', since)[0]);
    // Eve is not in #ops: nothing opened for her.
    expect(newCalls('views.open', since).map((c) => c.args.trigger_id)).toEqual(['edit.U0BOB']);
    const view = opened.args.view as Record<string, any>;
    expect(JSON.parse(view.private_metadata)).toEqual({ ruleId: rule!.id, version: rule!.version });
    expect(view.title.text).toBe('Edit alert rule');
    const block = (id: string) => view.blocks.find((b: any) => b.block_id === id).element;
    expect(block('channel').initial_conversation).toBe('C0OPS');
    expect(block('min_sent').initial_value).toBe('500');
    expect(block('account').initial_option.value).toBe('acme-retail');
  });

  it('previews a rule: the 30-day backtest, written into the open form by views.update on its hash', async () => {
    const since = slack.calls.length;
    await interaction({
      type: 'block_actions',
      user: { id: 'U0BOB', team_id: 'T0FAKE' },
      trigger_id: '555.666',
      actions: [{ action_id: 'setup_new_rule', block_id: 'x', type: 'button', value: 'new' }],
    });
    await slack.waitFor(() => newCalls('views.open', since)[0]);
    const open = slack.openedViews().at(-1)!;
    await interaction({
      type: 'block_actions',
      user: { id: 'U0BOB', team_id: 'T0FAKE' },
      container: { type: 'view', view_id: open },
      view: {
        id: open,
        hash: slack.openView(open)!.hash,
        type: 'modal',
        callback_id: 'setup_rule_form',
        private_metadata: '{}',
        state: state({ channel: 'C0OPS', account: 'acme-retail' }),
      },
      actions: [{ action_id: 'setup_preview', block_id: 'preview', type: 'button', value: 'preview' }],
    });
    const updated = await slack.waitFor(() => newCalls('views.update', since)[0], 60_000);
    expect(updated.violations).toEqual([]);
    expect(updated.args.view_id).toBe(open);
    const answer = (updated.args.view as any).blocks.find((b: any) => b.block_id === 'preview_result').text.text as string;
    const count = /would have alerted (no|\d+) times? in 30 days/.exec(answer);
    expect(count).not.toBeNull();
    // Yesterday's drop on acme-retail is in the window: at least that one.
    expect(Number(count![1])).toBeGreaterThanOrEqual(1);
    expect(answer.split('\n').filter((l) => l.startsWith('• ')).length).toBe(Math.min(8, Number(count![1])));
    // A second preview sent with the hash the form had before the first answer is dropped: the newer form stands.
    const before = slack.openView(open)!.hash;
    const stale = slack.calls.length;
    await interaction({
      type: 'block_actions',
      user: { id: 'U0BOB', team_id: 'T0FAKE' },
      view: {
        id: open,
        hash: 'h-old',
        type: 'modal',
        callback_id: 'setup_rule_form',
        private_metadata: '{}',
        state: state({ channel: 'C0OPS', account: 'acme-retail' }),
      },
      actions: [{ action_id: 'setup_preview', block_id: 'preview', type: 'button', value: 'preview' }],
    });
    await slack.waitFor(() => newCalls('views.update', stale)[0], 60_000);
    expect(slack.openView(open)!.hash).toBe(before);
    // The form keeps what was typed (same block and action ids).
    expect((updated.args.view as any).blocks.map((b: any) => b.block_id)).toContain('min_sent');
  }, 90_000);
  it('deletes a rule at the version its form was opened on, only for someone in its channel, and logs it', async () => {
    const [rule] = await store.rules.listRules({ platform: 'slack', conversation: 'C0OPS' });
    const since = slack.calls.length;
    await interaction({
      type: 'block_actions',
      user: { id: 'U0BOB', team_id: 'T0FAKE' },
      trigger_id: 'del.1',
      actions: [{ action_id: 'setup_edit_rule', block_id: 'r', type: 'button', value: rule!.id }],
    });
    const opened = await slack.waitFor(() => newCalls('views.open', since)[0]);
    expect((opened.args.view as any).blocks.find((b: any) => b.block_id === 'preview').elements[1]).toMatchObject({
      action_id: 'setup_delete_rule',
      confirm: { confirm: { text: 'Delete' } },
    });
    const form = slack.openedViews().at(-1)!;
    const remove = async (user: string, version: number) => {
      const before = newCalls('views.update', since).length;
      await interaction({
        type: 'block_actions',
        user: { id: user, team_id: 'T0FAKE' },
        view: {
          id: form,
          type: 'modal',
          callback_id: 'setup_rule_form',
          private_metadata: JSON.stringify({ ruleId: rule!.id, version }),
          state: state({}),
        },
        actions: [{ action_id: 'setup_delete_rule', block_id: 'preview', type: 'button', value: 'delete' }],
      });
      const update = await slack.waitFor(() => newCalls('views.update', since)[before]);
      return (update.args.view as any).blocks[0].text.text as string;
    };
    expect(await remove('U0EVE', rule!.version)).toBe('Only someone in its channel may delete this rule.');
    expect(await remove('U0BOB', rule!.version - 1)).toBe(
      `Not deleted: changed by U0BOB since you opened it (now version ${rule!.version}). Open it again to see their change.`,
    );
    expect(await store.rules.rule(rule!.id)).toBeDefined();
    const deleting = slack.calls.length;
    expect(await remove('U0BOB', rule!.version)).toBe('Rule deleted: its alerts stop from the next check.');
    expect(await store.rules.rule(rule!.id)).toBeUndefined();
    expect((await store.rules.ruleChanges(rule!.id)).at(-1)).toMatchObject({ action: 'delete', by: 'U0BOB', at: NOW, after: null });
    // The App Home is redrawn without it (an earlier redraw, after the refused delete, may land first).
    const home = await slack.waitFor(() =>
      newCalls('views.publish', deleting)
        .map((c) => c.args.view as Record<string, any>)
        .find((v) => textOf(v).includes('<#C0OPS>') && !v.blocks.some((b: any) => b.accessory?.value === rule!.id)),
    );
    // Gone from the rules, and in the recent changes.
    expect(textOf(home)).toContain(`<@U0BOB> deleted rule ${rule!.id} in <#C0OPS>: deleted: drop acme-retail`);
  });

  it("previews an existing named rule: the rule's own name is no clash", async () => {
    const made = await store.rules.createRule(
      {
        owner: { platform: 'slack', conversation: 'C0OPS' },
        definition: { name: 'ops-preview', account: 'acme-retail', targets: [{ slack: { channel: 'C0OPS' } }] },
        by: 'U0BOB',
      },
      NOW,
    );
    const since = slack.calls.length;
    await interaction({
      type: 'block_actions',
      user: { id: 'U0BOB', team_id: 'T0FAKE' },
      trigger_id: '777.888',
      actions: [{ action_id: 'setup_new_rule', block_id: 'x', type: 'button', value: 'new' }],
    });
    await slack.waitFor(() => newCalls('views.open', since)[0]);
    const open = slack.openedViews().at(-1)!;
    const s = state({ channel: 'C0OPS', account: 'acme-retail' }) as { values: Record<string, unknown> };
    s.values.name = { value: { type: 'plain_text_input', value: 'ops-preview' } };
    await interaction({
      type: 'block_actions',
      user: { id: 'U0BOB', team_id: 'T0FAKE' },
      view: {
        id: open,
        hash: slack.openView(open)!.hash,
        type: 'modal',
        callback_id: 'setup_rule_form',
        private_metadata: JSON.stringify({ ruleId: made.id, version: made.version }),
        state: s,
      },
      actions: [{ action_id: 'setup_preview', block_id: 'preview', type: 'button', value: 'preview' }],
    });
    const updated = await slack.waitFor(() => newCalls('views.update', since)[0], 60_000);
    const answer = (updated.args.view as any).blocks.find((b: any) => b.block_id === 'preview_result').text.text as string;
    expect(answer).toMatch(/^This rule would have alerted (no|\d+) times? in 30 days/);
    await store.rules.deleteRule(made.id, made.version, 'U0BOB', NOW);
  }, 90_000);
});

/** The digest form's state as Slack sends it back. */
function digestState(fields: { channel?: string; account?: string; every?: string; at?: string; timezone?: string; by?: string }) {
  const select = (v: string | undefined) => ({ value: { type: 'static_select', selected_option: v ? { value: v } : null } });
  return {
    values: {
      digest_channel: { value: { type: 'conversations_select', selected_conversation: fields.channel ?? null } },
      digest_account: select(fields.account),
      digest_every: select(fields.every ?? 'daily'),
      digest_day: select('mon'),
      digest_at: { value: { type: 'timepicker', selected_time: fields.at ?? '09:00' } },
      digest_timezone: { value: { type: 'plain_text_input', value: fields.timezone ?? null } },
      digest_by: select(fields.by ?? 'none'),
    },
  };
}

const submitForm = (user: string, callbackId: string, formState: unknown, metadata = '{}') =>
  interaction({
    type: 'view_submission',
    user: { id: user, team_id: 'T0FAKE' },
    view: { id: 'V0FORM2', type: 'modal', callback_id: callbackId, private_metadata: metadata, state: formState, hash: 'h0' },
  });

const click = (user: string, actionId: string, extra: Record<string, unknown> = {}) =>
  interaction({
    type: 'block_actions',
    user: { id: user, team_id: 'T0FAKE' },
    trigger_id: `${actionId}.${user}`,
    actions: [{ action_id: actionId, block_id: 'x', type: 'button', value: 'new' }],
    ...extra,
  });

describe('a person who has never seen the YAML sets up a digest and an alert rule from Slack', () => {
  it('creates a daily digest and a rule (previewed first), saves both, and the next tick runs them; bad input stores nothing', async () => {
    // Carol is in #ops and in a private channel the bot was never invited to.
    slack.setMembership('U0CAROL', ['C0OPS', 'C0SECRET']);
    slack.setChannel('C0SECRET', { private: true, botMember: false });
    const ops = { platform: 'slack' as const, conversation: 'C0OPS' };
    let since = slack.calls.length;
    await openHome('U0CAROL');
    const home = await homeOf('U0CAROL', since);
    expect(home.blocks.find((b: any) => b.type === 'actions').elements.map((e: any) => e.action_id)).toEqual([
      'setup_new_rule',
      'setup_new_digest',
    ]);

    // The digest form, from the App Home.
    since = slack.calls.length;
    await click('U0CAROL', 'setup_new_digest');
    const opened = await slack.waitFor(() => newCalls('views.open', since)[0]);
    expect(opened.violations).toEqual([]);
    expect((opened.args.view as any).callback_id).toBe('setup_digest_form');

    const good = { channel: 'C0OPS', account: 'acme-retail', every: 'daily', at: '10:30', timezone: 'UTC', by: 'phone' };
    const errorsOf = async (formState: unknown, metadata?: string) =>
      (await submitForm('U0CAROL', 'setup_digest_form', formState, metadata)).json?.errors as Record<string, string> | undefined;
    expect(await errorsOf(digestState({ ...good, timezone: 'Mars/Olympus_Mons' }))).toEqual({
      digest_timezone: expect.stringMatching(/^unknown time zone "Mars\/Olympus_Mons"/),
    });
    expect(await errorsOf(digestState({ ...good, channel: 'C0SECRET' }))).toEqual({
      digest_channel: 'waba-pulse cannot post in that channel: invite it there first, or choose another',
    });
    for (const forged of ['{"digestId":"x","version":"2"}', '{"ruleId":"r-1","version":1}', 'not json', '[]'])
      expect(await errorsOf(digestState(good), forged)).toEqual({
        digest_channel: 'this form could not be read: close it and open it again',
      });
    expect(await store.preferences.listSubscriptions(ops)).toEqual([]);

    since = slack.calls.length;
    expect((await submitForm('U0CAROL', 'setup_digest_form', digestState(good))).json).toBeUndefined();
    const [digest] = await store.preferences.listSubscriptions(ops);
    expect(digest).toMatchObject({ accountId: sampleAccounts(NOW)[0]!.id, every: 'daily', at: '10:30', timezone: 'UTC', by: 'phone' });
    const redrawn = await homeOf('U0CAROL', since);
    expect(redrawn.blocks.find((b: any) => b.accessory?.value === digest!.id).accessory.action_id).toBe('setup_edit_digest');
    expect(textOf(redrawn)).toContain(
      `<@U0CAROL> made digest ${digest!.id.slice(0, 8)} in <#C0OPS>: made: acme-retail daily at 10:30 UTC by phone`,
    );

    // The rule form: previewed, bad values refused on their fields, then saved.
    since = slack.calls.length;
    await click('U0CAROL', 'setup_new_rule');
    await slack.waitFor(() => newCalls('views.open', since)[0]);
    const form = slack.openedViews().at(-1)!;
    const rule = { channel: 'C0OPS', account: 'acme-retail', minSent: '100', rateFloor: '0.9', remindEvery: '1h' };
    await click('U0CAROL', 'setup_preview', {
      view: {
        id: form,
        hash: slack.openView(form)!.hash,
        type: 'modal',
        callback_id: 'setup_rule_form',
        private_metadata: '{}',
        state: state(rule),
      },
    });
    const preview = await slack.waitFor(() => newCalls('views.update', since)[0], 60_000);
    expect((preview.args.view as any).blocks.find((b: any) => b.block_id === 'preview_result').text.text).toMatch(
      /^This rule would have alerted (no|\d+) times? in 30 days/,
    );
    const ruleErrors = async (fields: Parameters<typeof state>[0], name?: string) => {
      const s = state(fields) as { values: Record<string, unknown> };
      if (name) s.values.name = { value: { type: 'plain_text_input', value: name } };
      return (await submitForm('U0CAROL', 'setup_rule_form', s)).json?.errors as Record<string, string> | undefined;
    };
    expect(await ruleErrors({ ...rule, minSent: '-1' })).toEqual({ min_sent: '"-1" is under the minimum, 0' });
    expect(await ruleErrors({ ...rule, minSent: '1000000000' })).toEqual({
      min_sent: '"1000000000" is over the maximum, 10000000 — more than any bucket sends, so the rule would never judge; use e.g. 200',
    });
    expect(await ruleErrors(rule, 'ops-floor')).toEqual({ name: '"ops-floor" is already the name of another alert rule: choose another' });
    expect(await ruleErrors({ ...rule, channel: 'C0SECRET' })).toEqual({
      channel: 'waba-pulse cannot post in that channel: invite it there first, or choose another',
    });
    expect(await store.rules.listRules(ops)).toEqual([]);
    expect(await ruleErrors(rule, 'carol-drop')).toBeUndefined();
    const [made] = await store.rules.listRules(ops);
    expect(made!.definition).toMatchObject({ name: 'carol-drop', account: 'acme-retail', minSent: 100, rateFloor: 0.9, remindEvery: '1h' });

    // The next tick (10:35): the digest posts to #ops and the rule is checked, each claimed once.
    since = slack.calls.length;
    await service.scheduler.tick(NOW + 20 * 60_000);
    const runs = await store.runs.listRuns({ limit: 100 });
    expect(runs.find((r) => r.job === `digest:${digest!.id}`)).toMatchObject({
      status: 'posted',
      period: expect.stringContaining('2026-11-25'),
    });
    expect(runs.find((r) => r.job === `alert-check:chat:${made!.id}`)).toMatchObject({ status: 'posted' });
    expect(newCalls('chat.postMessage', since).some((c) => c.args.channel === 'C0OPS')).toBe(true);
  }, 120_000);
});
