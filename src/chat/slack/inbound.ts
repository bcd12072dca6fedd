import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/web-api';
import { applyAlertAction } from '../../alerts/actions.js';
import { type Command, parseCommand } from '../../command/grammar.js';
import type { Requester } from '../../config/access.js';
import type { Logger } from '../../log.js';
import { runCommand } from '../commands.js';
import type { CommandContext, CommandResult } from '../context.js';
import { logCommandFailure } from '../surface.js';
import { openDigestForm } from './digestSetup.js';
import type { SlackOutbound } from './outbound.js';
import { errorText, noticeMessage } from './render.js';
import { openRuleForm } from './setup.js';

/**
 * What people do in Slack, answered: the slash command (acknowledged at once, answered on its
 * response_url) and the alert buttons (checked against the stored alert, never the client's blocks).
 */
export function listenToSlack(app: App, command: string, ctx: CommandContext, outbound: SlackOutbound, log: Logger): void {
  app.command(command, async ({ command: typed, ack, respond, client }) => {
    const who: Requester = { platform: 'slack', conversation: typed.channel_id, user: typed.user_id, team: typed.team_id };
    // The forms: Slack modals, opened on the command's trigger (valid for three seconds), with its channel chosen.
    const words = typed.text.trim().toLowerCase().split(/\s+/);
    if (words[0] === 'settings' && words.length <= 2 && ['rule', 'digest', undefined].includes(words[1])) {
      await ack();
      const who = { user: typed.user_id, team: typed.team_id, triggerId: typed.trigger_id };
      const start = { values: { channel: typed.channel_id }, metadata: {} };
      await (words[1] === 'digest' ? openDigestForm(ctx, client, who, start) : openRuleForm(ctx, client, who, start)).catch(
        (err: unknown) => respond({ response_type: 'ephemeral', text: errorText(err) }),
      );
      return;
    }
    let parsed: Command;
    try {
      parsed = parseCommand(typed.text);
    } catch (err) {
      await ack({ response_type: 'ephemeral', text: errorText(err) });
      return;
    }
    if (parsed.kind === 'help') {
      await ack({
        response_type: 'ephemeral',
        ...noticeMessage((await runCommand(ctx, who, parsed)) as CommandResult & { type: 'notice' }),
      });
      return;
    }
    // Acknowledge first, always: Slack gives three seconds, Graph may take longer. The
    // placeholder is replaced by the answer (or removed when the answer goes to the channel).
    await ack({ response_type: 'ephemeral', text: ':hourglass_flowing_sand: Working on it…' });
    try {
      const result = await runCommand(ctx, who, parsed);
      const message = await outbound.message(result, client);
      // Reports and views go to the channel; settings and lists only to whoever asked.
      if (result.type !== 'notice') {
        await respond({ delete_original: true });
        await respond({ ...message, response_type: 'in_channel', replace_original: false });
      } else {
        await respond({ ...message, response_type: 'ephemeral', replace_original: true });
      }
    } catch (err) {
      logCommandFailure(log, err, { platform: 'slack', command: parsed.kind });
      await respond({ response_type: 'ephemeral', text: errorText(err), replace_original: true });
    }
  });

  app.action(/^alert_/, async ({ ack, body, action, client }) => {
    await ack();
    const b = body as unknown as { user?: { id?: string; name?: string }; channel?: { id?: string }; message?: { ts?: string } };
    const channel = b.channel?.id;
    const ts = b.message?.ts;
    const user = b.user?.id;
    if (!channel || !ts || !user) return;
    const who: Requester = { platform: 'slack', conversation: channel, user };
    const actionId = String((action as { action_id?: unknown }).action_id ?? '');
    let key: unknown;
    try {
      key = (JSON.parse((action as { value?: string }).value ?? '{}') as { key?: unknown }).key;
    } catch {
      key = undefined;
    }
    try {
      const outcome = await applyAlertAction(ctx, who, { key, action: actionId.replace(/^alert_/, ''), byName: b.user?.name }, log);
      if (!outcome.ok) {
        await client.chat.postEphemeral({ channel, user, text: `:no_entry_sign: ${outcome.message}` });
        return;
      }
      if (outcome.kind === 'report') {
        const message = await outbound.message(outcome.result, client);
        await outbound.paced(channel, () => client.chat.postMessage({ channel, thread_ts: ts, ...message }));
        return;
      }
      // Redrawn from the stored alert, with who did what; never from the blocks the client sent.
      const message = await outbound.alertMessage(outcome.alert, client);
      await outbound.paced(channel, () =>
        client.chat.update({ channel, ts, blocks: message.blocks as unknown as KnownBlock[], text: message.text }),
      );
    } catch (err) {
      log.warn({ err, action: actionId }, 'slack action failed');
      await client.chat.postEphemeral({ channel, user, text: errorText(err) });
    }
  });

  app.error(async (err) => {
    log.error({ err }, 'slack app error');
  });
}
