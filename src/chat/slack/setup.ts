import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../log.js';
import type { CommandContext } from '../context.js';
import { checkRuleForm, deleteRuleForm, previewRule, saveRuleForm } from '../setup/rules.js';
import { errorMessage } from '../surface.js';
import { listenToDigestForms } from './digestSetup.js';
import { SETUP_ACTIONS } from './homeView.js';
import { accountChoices, editOf, editorOf, FORGED_FORM, noticeView, publishHome, redrawHome, type ViewBody, whoOf } from './people.js';
import {
  fieldErrors,
  formValues,
  RULE_FORM,
  type RuleFormMetadata,
  type RuleFormValues,
  ruleFormDefinition,
  ruleFormView,
  valuesOf,
} from './ruleForm.js';

/** The message shortcut that opens the rule form on the channel of the message it was used on. */
export const RULE_SHORTCUT = 'waba_new_rule';

/** Open the rule form (new, or a stored rule to edit) on a trigger from a button, a shortcut or the slash command. */
export async function openRuleForm(
  ctx: CommandContext,
  client: WebClient,
  who: { user: string; team?: string | undefined; triggerId: string },
  start: { values: RuleFormValues; metadata: RuleFormMetadata },
): Promise<void> {
  const accounts = await accountChoices(ctx, client, who.user, who.team);
  await client.views.open({ trigger_id: who.triggerId, view: ruleFormView({ accounts, ...start }) as never });
}

function ruleEdit(view: ViewBody['view']) {
  const edit = editOf(view, 'ruleId');
  return edit === 'forged' ? edit : edit && { ruleId: edit.id, version: edit.version };
}

/** The rule form's Preview: the rule as filled in, replayed over 30 days, written into the open form. */
async function answerPreview(ctx: CommandContext, client: WebClient, b: ViewBody, log: Logger): Promise<void> {
  if (!b.view) return;
  const values = formValues(b.view.state as never);
  const edit = ruleEdit(b.view);
  const metadata = edit && edit !== 'forged' ? edit : {};
  // An edit's own name is no clash (a forged id only previews, never stores).
  const checked = await checkRuleForm(
    ctx,
    editorOf(client, b.user.id, b.user.team_id),
    ruleFormDefinition(values),
    edit && edit !== 'forged' ? { ruleId: edit.ruleId } : undefined,
  );
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
}

/**
 * Setting alerts and digests up in Slack: the App Home (drawn from the store each time it is
 * opened), the forms it, the message shortcut and `/waba settings` open, the rule form's Preview
 * (a 30-day backtest), Save and Delete.
 */
export function listenToSetup(app: App, ctx: CommandContext, log: Logger): void {
  app.event('app_home_opened', async ({ event, client, body }) => {
    if (event.tab !== 'home') return;
    await publishHome(ctx, client, event.user, (body as { team_id?: string }).team_id);
  });

  app.action(SETUP_ACTIONS.newRule, async ({ ack, body, client }) => {
    await ack();
    await openRuleForm(ctx, client, whoOf(body as unknown as ViewBody), { values: {}, metadata: {} });
  });

  // On a message: the form opens with the message's channel chosen.
  app.shortcut(RULE_SHORTCUT, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as {
      user: { id: string; team_id?: string };
      team?: { id?: string };
      trigger_id: string;
      channel?: { id?: string };
    };
    await openRuleForm(
      ctx,
      client,
      { user: b.user.id, team: b.user.team_id ?? b.team?.id, triggerId: b.trigger_id },
      { values: b.channel?.id ? { channel: b.channel.id } : {}, metadata: {} },
    );
  });

  app.action(SETUP_ACTIONS.editRule, async ({ ack, body, action, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    const stored = await ctx.store.rules.rule(String((action as { value?: unknown }).value ?? ''));
    // Only someone in the rule's channel may open it.
    if (!stored || !(await editorOf(client, b.user.id, b.user.team_id).isMember(stored.owner.conversation))) return;
    await openRuleForm(ctx, client, whoOf(b), {
      values: valuesOf(stored.definition),
      metadata: { ruleId: stored.id, version: stored.version },
    });
  });

  app.action(SETUP_ACTIONS.preview, async ({ ack, body, client }) => {
    await ack();
    await answerPreview(ctx, client, body as unknown as ViewBody, log);
  });

  app.action(SETUP_ACTIONS.deleteRule, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    const edit = ruleEdit(b.view);
    if (!b.view || !edit) return;
    const said =
      edit === 'forged' ? `Not deleted: ${FORGED_FORM}.` : await deleteRuleForm(ctx, editorOf(client, b.user.id, b.user.team_id), edit);
    await client.views.update({ view_id: b.view.id, view: noticeView('Alert rule', said) as never });
    await redrawHome(ctx, client, whoOf(b), log);
  });

  app.view(RULE_FORM, async ({ ack, body, client }) => {
    const b = body as unknown as ViewBody;
    const edit = ruleEdit(b.view);
    if (edit === 'forged') {
      await ack({ response_action: 'errors', errors: fieldErrors([{ path: 'targets', message: FORGED_FORM }]) });
      return;
    }
    const definition = ruleFormDefinition(formValues(b.view?.state as never));
    const saved = await saveRuleForm(ctx, editorOf(client, b.user.id, b.user.team_id), definition, edit);
    if (!saved.ok) {
      await ack({ response_action: 'errors', errors: fieldErrors(saved.problems) });
      return;
    }
    await ack();
    log.info({ rule: saved.rule.id, version: saved.rule.version, by: b.user.id }, 'alert rule saved from slack');
    await redrawHome(ctx, client, whoOf(b), log);
  });

  listenToDigestForms(app, ctx, log);
}
