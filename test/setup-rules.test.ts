import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartRenderer } from '../src/charts/render.js';
import type { CommandContext } from '../src/chat/context.js';
import { saveDigestForm } from '../src/chat/setup/digests.js';
import { deleteRuleForm, previewRule, saveRuleForm } from '../src/chat/setup/rules.js';
import { editorOf } from '../src/chat/slack/people.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { ConfigError } from '../src/errors.js';
import { GraphClient } from '../src/graph/client.js';
import { openStore, type SqlStore } from '../src/store/sql.js';
import { readHealthChange } from '../src/whatsapp/healthEvents.js';
import { startFakeSlack } from './fakes/slack.js';
import { thrown } from './helpers/thrown.js';

const NOW = Date.parse('2026-11-25T10:15:00Z');
const ACME = '104729384756102';
const base = {
  accounts: [{ id: ACME, name: 'acme-retail', displayName: 'Acme Retail', token: '${T}', timezone: 'UTC' }],
  access: [{ slack: { channel: 'C0OPS' }, accounts: '*' }],
};
const config = buildConfig({ ...base, admins: { slack: ['U0ADMIN', 'S0LEADS'] } }, { T: 'x', GRAPH_API_URL: 'http://127.0.0.1:9' });
const ops = { slack: { channel: 'C0OPS' } };

let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let store: SqlStore;
let ctx: CommandContext;
let client: WebClient;
beforeAll(async () => {
  slack = await startFakeSlack();
  for (const user of ['U0ADMIN', 'U0LEAD', 'U0PLAIN']) slack.setMembership(user, ['C0OPS']);
  slack.setUserGroup('S0LEADS', ['U0LEAD']);
  client = new WebClient('xoxb-setup-rules', { slackApiUrl: slack.apiUrl });
  store = await openStore('sqlite::memory:');
  ctx = {
    config,
    accounts: graphAccountsFrom({ T: 'x' }),
    store,
    // Never called: a health rule's preview reads the store only.
    graph: new GraphClient({ ...config.graph, now: () => NOW }),
    charts: chartRenderer('local'),
    now: () => NOW,
    prefix: '/waba',
  };
});
afterAll(async () => {
  await store.close();
  await slack.close();
});

const as = (user: string) => editorOf(client, user, 'T0FAKE');

describe('admins: narrows who may change alert rules', () => {
  it('lets a listed person and a member of a listed Slack user group (usergroups.users.list) change rules, and no one else', async () => {
    const plain = await saveRuleForm(ctx, as('U0PLAIN'), { account: 'acme-retail', targets: [ops] });
    expect(plain).toEqual({
      ok: false,
      problems: [{ path: 'targets', message: 'only the admins named in the config (admins:) may change alert rules: ask one of them' }],
    });
    expect(await store.rules.listRules()).toEqual([]);
    const lead = await saveRuleForm(ctx, as('U0LEAD'), { account: 'acme-retail', targets: [ops] });
    expect(lead.ok).toBe(true);
    expect(slack.calls.filter((c) => c.method === 'usergroups.users.list').map((c) => c.args.usergroup)).toEqual(['S0LEADS', 'S0LEADS']);
    const admin = await saveRuleForm(ctx, as('U0ADMIN'), { account: 'acme-retail', minSent: 50, targets: [ops] });
    expect(admin.ok).toBe(true);
    if (!lead.ok) return;
    expect(await deleteRuleForm(ctx, as('U0PLAIN'), { ruleId: lead.rule.id, version: 1 })).toBe(
      'Not deleted: only the admins named in the config (admins:) may change alert rules: ask one of them.',
    );
    expect(await store.rules.rule(lead.rule.id)).toBeDefined();
    // Digests stay as `subscribe` is: anyone in the channel.
    const digest = await saveDigestForm(ctx, as('U0PLAIN'), { account: 'acme-retail', at: '09:00', targets: [ops] });
    expect(digest.ok).toBe(true);
  });

  it('reads ids Slack shows (U…, W…, S…) and names a wrong one', () => {
    const error = thrown(() => buildConfig({ ...base, admins: { slack: ['alice'] } }, { T: 'x' }), ConfigError);
    expect(error.message).toContain('admins.slack[0]');
    expect(error.message).toContain('"alice" is not a Slack user id (U…) or user group id (S…)');
  });

  it('reads Teams admins as Microsoft Entra object ids (GUIDs, any case) and names a wrong one', () => {
    const guid = '6F1C2A9E-2B9D-4C7A-9D5E-0A1B2C3D4E5F';
    expect(buildConfig({ ...base, admins: { teams: [guid] } }, { T: 'x' }).admins.teams).toEqual([guid.toLowerCase()]);
    const error = thrown(() => buildConfig({ ...base, admins: { teams: [guid, 'alice@contoso.com'] } }, { T: 'x' }), ConfigError);
    expect(error.message).toContain('admins.teams[1]');
    expect(error.message).toContain('"alice@contoso.com" is not a Microsoft Entra (AAD) object id — a GUID such as');
  });
});

describe('health rules in the form', () => {
  it('saves a kind: health rule and previews it from the stored health webhooks', async () => {
    const saved = await saveRuleForm(ctx, as('U0ADMIN'), { kind: 'health', account: 'acme-retail', targets: [ops] });
    if (!saved.ok) throw new Error(JSON.stringify(saved.problems));
    const flagged = readHealthChange(
      ACME,
      (NOW - 3 * 86_400_000) / 1000,
      'phone_number_quality_update',
      { display_phone_number: '15550001000', event: 'FLAGGED', current_limit: 'TIER_10K' },
      (NOW - 3 * 86_400_000) / 1000,
    );
    if (!flagged.ok) throw new Error(flagged.detail);
    const rule = { kind: 'health' as const, account: 'acme-retail', remindEvery: 4 * 3_600_000, checkEvery: 60_000, targets: [] };
    const account = config.accounts[0]!;
    expect(await previewRule(ctx, account, rule)).toBe(
      'This rule would have alerted no times in 30 days.\n(No health webhooks are stored for this account: they arrive only when serve receives WhatsApp webhooks.)',
    );
    await store.health.recordHealthEvents([flagged.event]);
    expect(await previewRule(ctx, account, rule)).toBe(
      'This rule would have alerted 1 time in 30 days:\n• Sun 22 Nov 10:15: +1 555 000 1000 flagged: its quality rating fell below GREEN (limit TIER_10K)',
    );
  });

  it('refuses the settings of a drop rule on a health rule, by name', async () => {
    const out = await saveRuleForm(ctx, as('U0ADMIN'), { kind: 'health', account: 'acme-retail', minSent: 5, targets: [ops] });
    expect(out).toMatchObject({
      ok: false,
      problems: [{ path: 'minSent', message: expect.stringContaining('a health rule takes no minSent') }],
    });
  });
});

describe('a rule form’s fields, the same on every platform', () => {
  it('make a rule in the YAML’s shape for the platform’s own target, read back from it, problems pointed at their field', async () => {
    const { fieldOfProblem, fieldsOf, ruleDefinition } = await import('../src/chat/setup/ruleFields.js');
    const typed = { account: 'acme-retail', countries: 'IN, BR', minSent: '50', rateFloor: '90%', drillDown: ['phone'], remindEvery: '1h' };
    const teams = { teams: { conversation: '19:ops@thread.v2' } };
    const definition = ruleDefinition(typed, teams);
    expect(definition).toEqual({
      account: 'acme-retail',
      remindEvery: '1h',
      source: 'graph',
      scope: { countries: ['IN', 'BR'] },
      minSent: 50,
      rateFloor: 0.9,
      sensitivity: 'normal',
      drillDown: ['phone'],
      targets: [teams],
    });
    expect(fieldsOf(definition)).toMatchObject({ kind: 'drop', countries: 'IN, BR', minSent: '50', rateFloor: '0.9', remindEvery: '1h' });
    // Display numbers as people type them, spaces and all: parted by commas and lines only.
    expect(ruleDefinition({ ...typed, numbers: '+1 631 555 1000, +91 80 4555 1234\n16315551001' }, teams).scope).toEqual({
      phoneNumbers: ['+1 631 555 1000', '+91 80 4555 1234', '16315551001'],
      countries: ['IN', 'BR'],
    });
    // A health rule: none of a drop rule's settings, whatever was typed in them.
    expect(ruleDefinition({ ...typed, kind: 'health', name: 'acme health' }, undefined)).toEqual({
      kind: 'health',
      name: 'acme health',
      account: 'acme-retail',
      remindEvery: '1h',
      targets: [],
    });
    expect(['scope.countries[1]', 'minSent', 'name', 'kind', 'targets[0]', 'scope', ''].map(fieldOfProblem)).toEqual([
      'countries',
      'minSent',
      'name',
      'kind',
      'targets',
      'targets',
      'targets',
    ]);
  });
});
