import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../log.js';
import type { CommandContext } from '../context.js';
import { deleteDigestForm, digestDefinition, saveDigestForm } from '../setup/digests.js';
import {
  DIGEST_FORM,
  type DigestFormMetadata,
  type DigestFormValues,
  digestDefinitionOf,
  digestFieldErrors,
  digestFormValues,
  digestFormView,
  digestValuesOf,
} from './digestForm.js';
import { DIGEST_ACTIONS } from './homeView.js';
import { accountChoices, editOf, editorOf, FORGED_FORM, noticeView, redrawHome, type ViewBody, whoOf } from './people.js';

/** Open the digest form (new, or a stored digest to edit) on a trigger from a button or the slash command. */
export async function openDigestForm(
  ctx: CommandContext,
  client: WebClient,
  who: { user: string; team?: string | undefined; triggerId: string },
  start: { values: DigestFormValues; metadata: DigestFormMetadata },
): Promise<void> {
  const accounts = await accountChoices(ctx, client, who.user, who.team);
  await client.views.open({ trigger_id: who.triggerId, view: digestFormView({ accounts, ...start }) as never });
}

function digestEdit(view: ViewBody['view']) {
  const edit = editOf(view, 'digestId');
  return edit === 'forged' ? edit : edit && { digestId: edit.id, version: edit.version };
}

/** The digest form: opened from the App Home (New digest, Edit), saved and deleted, checked on the server. */
export function listenToDigestForms(app: App, ctx: CommandContext, log: Logger): void {
  app.action(DIGEST_ACTIONS.newDigest, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    await openDigestForm(ctx, client, whoOf(b), { values: {}, metadata: {} });
  });

  app.action(DIGEST_ACTIONS.editDigest, async ({ ack, body, action, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    const stored = await ctx.store.preferences.subscription(String((action as { value?: unknown }).value ?? ''));
    // Only someone in the digest's channel may open it.
    const editor = editorOf(client, b.user.id, b.user.team_id);
    const theirs = stored?.platform === 'slack' && (await editor.isMember(stored.conversation));
    if (!stored || !theirs) return;
    await openDigestForm(ctx, client, whoOf(b), {
      values: digestValuesOf(digestDefinition(ctx.config, stored, { slack: { channel: stored.conversation } })),
      metadata: { digestId: stored.id, version: stored.version },
    });
  });

  app.action(DIGEST_ACTIONS.deleteDigest, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ViewBody;
    const edit = digestEdit(b.view);
    if (!b.view || !edit) return;
    const said =
      edit === 'forged' ? `Not deleted: ${FORGED_FORM}.` : await deleteDigestForm(ctx, editorOf(client, b.user.id, b.user.team_id), edit);
    await client.views.update({ view_id: b.view.id, view: noticeView('Digest', said) as never });
    await redrawHome(ctx, client, whoOf(b), log);
  });

  app.view(DIGEST_FORM, async ({ ack, body, client }) => {
    const b = body as unknown as ViewBody;
    const edit = digestEdit(b.view);
    if (edit === 'forged') {
      await ack({ response_action: 'errors', errors: digestFieldErrors([{ path: 'targets', message: FORGED_FORM }]) });
      return;
    }
    const definition = digestDefinitionOf(digestFormValues(b.view?.state as never));
    const saved = await saveDigestForm(ctx, editorOf(client, b.user.id, b.user.team_id), definition, edit);
    if (!saved.ok) {
      await ack({ response_action: 'errors', errors: digestFieldErrors(saved.problems) });
      return;
    }
    await ack();
    log.info({ digest: saved.digest.id, version: saved.digest.version, by: b.user.id }, 'digest saved from slack');
    await redrawHome(ctx, client, whoOf(b), log);
  });
}
