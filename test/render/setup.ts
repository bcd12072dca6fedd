import { createHash } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { RecordingDelivery } from '../../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker } from '../../src/alerts/checker.js';
import { LocalChartRenderer } from '../../src/charts/render.js';
import type { CommandContext } from '../../src/chat/context.js';
import { digestDefinition, saveDigestForm } from '../../src/chat/setup/digests.js';
import { setupHome } from '../../src/chat/setup/home.js';
import { checkRuleForm, previewRule, type RuleEditor, saveRuleForm } from '../../src/chat/setup/rules.js';
import { digestDefinitionOf, digestFormView, digestValuesOf } from '../../src/chat/slack/digestForm.js';
import { accountChoices, editorOf, publishHome } from '../../src/chat/slack/people.js';
import { ruleFormDefinition, ruleFormView } from '../../src/chat/slack/ruleForm.js';
import type { Card } from '../../src/chat/teams/cards.js';
import { cardDigestDefinition, digestFormCard, storedDigestValues } from '../../src/chat/teams/digestCard.js';
import { cardRuleDefinition, type RuleCardValues, ruleFormCard } from '../../src/chat/teams/ruleCard.js';
import { settingsCard } from '../../src/chat/teams/settingsCard.js';
import { graphAccountsFrom } from '../../src/compose/graphAccount.js';
import { visibleAccounts } from '../../src/config/access.js';
import { buildConfig } from '../../src/configure.js';
import { GraphClient } from '../../src/graph/client.js';
import { silentLogger } from '../../src/log.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../../src/sandbox/accounts.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { openStore } from '../../src/store/sql.js';
import { startFakeSlack } from '../fakes/slack.js';
import { fingerprint, SAMPLE_NOW, type SampleMessage } from './messages.js';

/**
 * The setup-from-chat surfaces, made by the product's own code over the sandbox of the message
 * samples: Slack's App Home, rule form (with its Preview answered by the 30-day backtest) and
 * digest form, and Teams' settings card, rule card and digest card. Drawn at 15:00 IST on the incident's day
 * (Tue 24 Nov), the alert checks run through it, so the Home has an alert open.
 */
export interface SetupSample {
  name: string;
  title: string;
  /** A Slack view: `type: 'home'` or `'modal'`. */
  slack?: Record<string, unknown> | undefined;
  teams?: Card | undefined;
}

/** The channel and Teams conversation of the samples, and who works in them. */
export const OPS_CHANNEL = 'C0OPS';
const TEAMS_OPS = '19:ops@thread.tacv2';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const TEAMS_ALICE = '6f1c2a9e-2b9d-4c7a-9d5e-0a1b2c3d4e5f';

/** Tue 24 Nov 2026 at `hours` in Kolkata. */
const kolkata = (hours: number) => Date.UTC(2026, 10, 24, 0, 0) - 5.5 * 3_600_000 + hours * 3_600_000;

function setupConfig(graphUrl: string) {
  const accounts = sampleAccounts(SAMPLE_NOW).map((a) => ({
    id: a.id,
    name: a.name,
    displayName: a.displayName,
    token: '${T}',
    timezone: a.timezone,
  }));
  return buildConfig(
    {
      accounts,
      access: [
        { slack: { channel: OPS_CHANNEL }, accounts: ['acme-retail'] },
        { teams: { conversation: TEAMS_OPS }, accounts: ['acme-retail'] },
      ],
      alerts: [
        {
          name: 'delivery',
          account: 'acme-retail',
          drillDown: ['phone', 'country'],
          targets: [{ slack: { channel: OPS_CHANNEL } }, { teams: { conversation: TEAMS_OPS } }],
        },
      ],
    },
    { GRAPH_API_URL: graphUrl, T: SANDBOX_TOKEN },
  );
}

/** The drop rule Alice drafts: Acme's main number to India, judged from 50 sent. */
const MAIN_TO_INDIA: RuleCardValues = {
  account: 'acme-retail',
  name: 'Main number to India',
  numbers: '16315551000',
  countries: 'IN',
  minSent: '50',
  sensitivity: 'high',
  drillDown: ['phone'],
};

/** The rule Alice made in Slack (Bob lowered its floor): Acme's failures to India and Brazil, from the status webhooks. */
const FAILURES = {
  channel: OPS_CHANNEL,
  account: 'acme-retail',
  name: 'Failures to India and Brazil',
  source: 'webhooks',
  countries: 'IN, BR',
  rateFloor: '0.85',
  drillDown: ['country'],
};

export async function setupSamples(): Promise<SetupSample[]> {
  let clock = kolkata(12);
  const sandbox = await startSandbox({ accounts: sampleAccounts(SAMPLE_NOW), now: () => clock, callsPerHour: 1_000_000 });
  const config = setupConfig(sandbox.url);
  const graph = new GraphClient({ ...config.graph, now: () => clock });
  const store = await openStore('sqlite::memory:');
  const slack = await startFakeSlack();
  try {
    const ctx: CommandContext = {
      config,
      accounts: graphAccountsFrom({ T: SANDBOX_TOKEN }),
      store,
      graph,
      charts: new LocalChartRenderer(),
      now: () => clock,
      prefix: '/waba',
    };
    // The alert checks as the scheduler runs them, half-hourly from noon: the drop is open at 15:00.
    const checker = new AlertChecker({ store, ctx, owner: 'samples', logger: silentLogger, delivery: new RecordingDelivery() });
    for (; clock <= kolkata(14.5); clock += 30 * 60_000) await checker.tick(clock);
    if ((await store.alerts.openAlerts([config.accounts[0]!.id])).length === 0)
      throw new Error('the sandbox incident left no alert open: the App Home cannot be drawn');

    // Alice makes a rule and a digest in Slack, Bob changes the rule; in Teams, a health rule and a weekly digest.
    for (const user of [ALICE, BOB]) slack.setMembership(user, [OPS_CHANNEL]);
    const client = new WebClient('xoxb-samples', { slackApiUrl: slack.apiUrl });
    const as = (user: string) => editorOf(client, user, 'T0SAMPLE');
    const saved = async <T>(what: string, outcome: Promise<({ ok: true } & T) | { ok: false; problems: unknown[] }>) => {
      const o = await outcome;
      if (!o.ok) throw new Error(`${what} not saved: ${JSON.stringify(o.problems)}`);
      return o;
    };
    clock = kolkata(14) + 40 * 60_000;
    const rule = await saved('the Slack rule', saveRuleForm(ctx, as(ALICE), ruleFormDefinition({ ...FAILURES, rateFloor: '0.9' })));
    clock += 5 * 60_000;
    const digest = await saved(
      'the Slack digest',
      saveDigestForm(
        ctx,
        as(ALICE),
        digestDefinitionOf({ channel: OPS_CHANNEL, account: 'acme-retail', every: 'daily', at: '09:30', by: 'phone' }),
      ),
    );
    clock += 5 * 60_000;
    await saved(
      'the change to the Slack rule',
      saveRuleForm(ctx, as(BOB), ruleFormDefinition(FAILURES), { ruleId: rule.rule.id, version: 1 }),
    );
    const teams: RuleEditor = { platform: 'teams', user: TEAMS_ALICE, isMember: async (c) => c === TEAMS_OPS };
    clock += 3 * 60_000;
    await saved('the Teams rule', saveRuleForm(ctx, teams, cardRuleDefinition({ kind: 'health', account: 'acme-retail' }, TEAMS_OPS)));
    clock += 2 * 60_000;
    const weekly = await saved(
      'the Teams digest',
      saveDigestForm(
        ctx,
        teams,
        cardDigestDefinition({ account: 'acme-retail', every: 'weekly', day: 'mon', at: '09:00', by: 'country' }, TEAMS_OPS),
      ),
    );

    clock = kolkata(15);
    const out: SetupSample[] = [];
    // Slack: the Home as `app_home_opened` publishes it.
    await publishHome(ctx, client, ALICE, 'T0SAMPLE');
    const home = slack.calls.filter((c) => c.method === 'views.publish').at(-1)!.args.view as Record<string, unknown>;
    // A new rule's form, filled in, its Preview answered as `answerPreview` does.
    const accounts = await accountChoices(ctx, client, ALICE, 'T0SAMPLE');
    const values = { ...MAIN_TO_INDIA, channel: OPS_CHANNEL };
    const preview = await previewOf(ctx, as(ALICE), ruleFormDefinition(values));
    const ruleForm = ruleFormView({ accounts, values, metadata: {}, preview });
    const digestForm = digestFormView({
      accounts,
      values: digestValuesOf(digestDefinition(config, digest.digest, { slack: { channel: OPS_CHANNEL } })),
      metadata: { digestId: digest.digest.id, version: digest.digest.version },
    });
    // Teams: the conversation's settings card, and a new rule's card with its Preview answered.
    const here = await setupHome(ctx, { platform: 'teams', user: TEAMS_ALICE }, [TEAMS_OPS]);
    const teamsAccounts = visibleAccounts(config, { platform: 'teams', user: TEAMS_ALICE, conversation: TEAMS_OPS }).map((a) => ({
      value: a.name,
      label: a.displayName,
    }));
    const teamsPreview = await previewOf(ctx, teams, cardRuleDefinition(MAIN_TO_INDIA, TEAMS_OPS));
    out.push(
      { name: 'app-home', title: 'Slack App Home / Teams settings card', slack: home, teams: settingsCard(here.conversations[0]) },
      {
        name: 'rule-form',
        title: 'The rule form with its Preview',
        slack: ruleForm,
        teams: ruleFormCard({ accounts: teamsAccounts, values: MAIN_TO_INDIA, metadata: {}, preview: teamsPreview }),
      },
      {
        name: 'digest-form',
        title: 'The digest form',
        slack: digestForm,
        teams: digestFormCard({
          accounts: teamsAccounts,
          values: storedDigestValues(config, weekly.digest),
          metadata: { digestId: weekly.digest.id, version: weekly.digest.version },
        }),
      },
    );
    return out;
  } finally {
    await slack.close();
    await store.close();
    await graph.close();
    await sandbox.close();
  }
}

/** A form's Preview, as the platforms answer it: the rule checked, then replayed over 30 days. */
async function previewOf(ctx: CommandContext, editor: RuleEditor, definition: Record<string, unknown>): Promise<string> {
  const checked = await checkRuleForm(ctx, editor, definition);
  if (!checked.ok) throw new Error(`the previewed rule is refused: ${JSON.stringify(checked.problems)}`);
  return previewRule(ctx, checked.account, checked.rule);
}

/** What a screenshot shows of a setup surface, ids made at random (rules, digests, alerts) aside. */
export function setupFingerprint(sample: SetupSample): string {
  const stable = JSON.stringify({ slack: sample.slack, teams: sample.teams })
    .replace(/r-[0-9a-f]{10}/g, 'r-ID')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/(digest|sub) [0-9a-f]{8}\b/g, '$1 ID')
    .replace(/A-[0-9A-Z]{4}/g, 'A-XXXX');
  return createHash('sha256').update(stable).digest('hex').slice(0, 16);
}

/** What each screenshot in docs/screenshots/ shows, by name (messages.json): the rendering test compares it with what the code sends. */
export function screenshotManifest(messages: readonly SampleMessage[], setup: readonly SetupSample[]): Record<string, string> {
  return Object.fromEntries([...messages.map((m) => [m.name, fingerprint(m)]), ...setup.map((s) => [s.name, setupFingerprint(s)])]);
}
