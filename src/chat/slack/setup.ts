import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { visibleAccounts } from '../../config/access.js';
import type { Logger } from '../../log.js';
import type { CommandContext } from '../context.js';
import { setupHome } from '../setup/home.js';
import { checkRuleForm, deleteRuleForm, previewRule, type RuleEditor, saveRuleForm } from '../setup/rules.js';
import { errorMessage } from '../surface.js';
import { homeView, SETUP_ACTIONS } from './homeView.js';
import {
  fieldErrors,
  formValues,
  RULE_FORM,
  type RuleFormMetadata,
  type RuleFormValues,
  ruleDefinition,
  ruleFormView,
  valuesOf,
} from './ruleForm.js';

/** The channels a person is in, as Slack says (every page): what their App Home and their rules may name. */
async function memberChannels(client: WebClient, user: string): Promise<string[]> {
  const channels: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.users.conversations({
      user,
      types: 'public_channel,private_channel',
      exclude_archived: true,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    channels.push(...(page.channels ?? []).flatMap((c) => (c.id ? [c.id] : [])));
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return channels;
}

function editorOf(client: WebClient, user: string, team: string | undefined): RuleEditor {
  // Asked of Slack once per request, however many checks need it.
  let channels: Promise<string[]> | undefined;
  const mine = () => {
    channels = channels ?? memberChannels(client, user);
    return channels;
  };
  return { platform: 'slack', user, team, isMember: async (conversation) => (await mine()).includes(conversation) };
}

/** The accounts a person may choose in the form: those any of their channels may see. */
async function accountChoices(ctx: CommandContext, client: WebClient, user: string, team: string | undefined) {
  const seen = new Map<string, { value: string; label: string }>();
  for (const conversation of await memberChannels(client, user))
    for (const a of visibleAccounts(ctx.config, { platform: 'slack', conversation, user, team }))
      seen.set(a.id, { value: a.name, label: a.displayName });
  return [...seen.values()];
}

async function publishHome(ctx: CommandContext, client: WebClient, user: string, team: string | undefined): Promise<void> {
  const home = await setupHome(ctx, { platform: 'slack', user, team }, await memberChannels(client, user));
  await client.views.publish({ user_id: user, view: homeView(home) as never });
}

/** Open the rule form (new, or a stored rule to edit) on a trigger from a button or the slash command. */
export async function openRuleForm(
  ctx: CommandContext,
  client: WebClient,
  who: { user: string; team?: string | undefined; triggerId: string },
  start: { values: RuleFormValues; metadata: RuleFormMetadata },
): Promise<void> {
  const accounts = await accountChoices(ctx, client, who.user, who.team);
  await client.views.open({ trigger_id: who.triggerId, view: ruleFormView({ accounts, ...start }) as never });
}

type ViewBody = {
  user: { id: string; team_id?: string };
  team?: { id?: string } | null;
  trigger_id?: string;
  view?: { id: string; hash?: string; private_metadata?: string; state?: Parameters<typeof formValues>[0] };
};

/** The form replaced by a line of news (nothing left to submit). */
function noticeView(text: string) {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Alert rule' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'plain_text', text } }],
  };
}

function metadataOf(view: ViewBody['view']): RuleFormMetadata {
  try {
    const m = JSON.parse(view?.private_metadata || '{}') as RuleFormMetadata;
    return { ruleId: typeof m.ruleId === 'string' ? m.ruleId : undefined, version: typeof m.version === 'number' ? m.version : undefined };
  } catch {
    return {};
  }
}

/**
 * Setting alerts up in Slack: the App Home (drawn from the store each time it is opened), the
 * rule form it and `/waba settings` open, its Preview (a 30-day backtest) and its Save.
 */
export function listenToSetup(app: App, ctx: CommandContext, log: Logger): void {
  app.event('app_home_opened', async ({ event, client, body }) => {
    if (event.tab !== 'home') return;
    await publishHome(ctx, client, event.user, (body as { team_id?: string }).team_id);
  });

  app.action(SETUP_ACTIONS.newRule, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    await openRuleForm(ctx, client, { user: b.user.id, team: b.user.team_id, triggerId: b.trigger_id ?? '' }, { values: {}, metadata: {} });
  });

  app.action(SETUP_ACTIONS.editRule, async ({ ack, body, action, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    const stored = await ctx.store.rules.rule(String((action as { value?: unknown }).value ?? ''));
    // Only someone in the rule's channel may open it.
    if (!stored || !(await editorOf(client, b.user.id, b.user.team_id).isMember(stored.owner.conversation))) return;
    await openRuleForm(
      ctx,
      client,
      { user: b.user.id, team: b.user.team_id, triggerId: b.trigger_id ?? '' },
      { values: valuesOf(stored.definition), metadata: { ruleId: stored.id, version: stored.version } },
    );
  });

  app.action(SETUP_ACTIONS.preview, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    if (!b.view) return;
    const values = formValues(b.view.state);
    const metadata = metadataOf(b.view);
    const checked = await checkRuleForm(ctx, editorOf(client, b.user.id, b.user.team_id), ruleDefinition(values, 'slack'));
    let preview: string;
    try {
      preview = checked.ok
        ? await previewRule(ctx, checked.account, checked.rule)
        : `Nothing to preview yet: ${checked.problems.map((p) => p.message).join('; ')}`;
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'rule preview failed');
      preview = `The preview failed: ${errorMessage(err)}`;
    }
    const accounts = await accountChoices(ctx, client, b.user.id, b.user.team_id);
    // The hash makes Slack refuse this update if the form changed meanwhile (another preview's
    // answer came first): the newer form stands, and this answer is dropped.
    await client.views
      .update({
        view_id: b.view.id,
        ...(b.view.hash ? { hash: b.view.hash } : {}),
        view: ruleFormView({ accounts, values, metadata, preview }) as never,
      })
      .catch((err: unknown) => {
        if ((err as { data?: { error?: string } }).data?.error !== 'hash_conflict') throw err;
        log.info({ view: b.view?.id }, 'rule preview dropped: the form changed while it ran');
      });
  });

  app.action(SETUP_ACTIONS.deleteRule, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    const metadata = metadataOf(b.view);
    if (!b.view || !metadata.ruleId || metadata.version === undefined) return;
    const said = await deleteRuleForm(ctx, editorOf(client, b.user.id, b.user.team_id), {
      ruleId: metadata.ruleId,
      version: metadata.version,
    });
    await client.views.update({ view_id: b.view.id, view: noticeView(said) as never });
    await publishHome(ctx, client, b.user.id, b.user.team_id).catch((err: unknown) =>
      log.warn({ err: errorMessage(err) }, 'app home not redrawn after a delete'),
    );
  });

  app.view(RULE_FORM, async ({ ack, body, client }) => {
    const b = body as unknown as ViewBody;
    const metadata = metadataOf(b.view);
    const edit = metadata.ruleId && metadata.version !== undefined ? { ruleId: metadata.ruleId, version: metadata.version } : undefined;
    const definition = ruleDefinition(formValues(b.view?.state), 'slack');
    const saved = await saveRuleForm(ctx, editorOf(client, b.user.id, b.user.team_id), definition, edit);
    if (!saved.ok) {
      await ack({ response_action: 'errors', errors: fieldErrors(saved.problems) });
      return;
    }
    await ack();
    log.info({ rule: saved.rule.id, version: saved.rule.version, by: b.user.id }, 'alert rule saved from slack');
    await publishHome(ctx, client, b.user.id, b.user.team_id).catch((err: unknown) =>
      log.warn({ err: errorMessage(err) }, 'app home not redrawn after a save'),
    );
  });
}
