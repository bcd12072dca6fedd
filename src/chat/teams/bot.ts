import { ActivityTypes, CardFactory, CloudAdapter, ConfigurationBotFrameworkAuthentication, TurnContext, type ConversationReference } from 'botbuilder';
import type { Request, Response } from 'express';
import pLimit from 'p-limit';
import type { ChartLinks } from '../../charts/links.js';
import type { RenderedChart } from '../../charts/render.js';
import { parseCommand } from '../../command/grammar.js';
import type { Logger } from '../../log.js';
import { formatDuration } from '../../report/format.js';
import type { Requester } from '../access.js';
import { buildCommandReport, resolveAccount, runCommand, type CommandContext, type CommandResult } from '../commands.js';
import { errorMessage, type AlertContent, type ChatSurface } from '../surface.js';
import { ALERT_SUBMIT, alertCard, errorCard, noticeCard, reportCard, type AlertAction, type Card } from './cards.js';

export interface TeamsSettings {
  appId: string | undefined;
  appPassword: string | undefined;
  appType: 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI' | undefined;
  tenantId: string | undefined;
}

export interface TeamsSurface extends ChatSurface {
  /** POST /api/messages */
  handle(req: Request, res: Response): Promise<void>;
  /** Proactive post to a stored conversation; undefined when the conversation is gone. */
  postCard(conversation: string, card: Card): Promise<string | undefined>;
  postAlert(conversation: string, alert: AlertContent): Promise<string | undefined>;
  postReport(conversation: string, result: CommandResult & { type: 'report' }): Promise<string | undefined>;
}

export const PROACTIVE_CONCURRENCY = 16;

/** The connector answers 403/404 for a conversation the bot was removed from. */
function gone(err: unknown): boolean {
  const status = (err as { statusCode?: number; status?: number }).statusCode ?? (err as { status?: number }).status;
  return status === 403 || status === 404;
}

export function createTeamsSurface(settings: TeamsSettings, ctx: CommandContext, links: ChartLinks | undefined, log: Logger): TeamsSurface {
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: settings.appId ?? '',
    MicrosoftAppPassword: settings.appPassword ?? '',
    MicrosoftAppType: settings.appType ?? (settings.appId ? 'MultiTenant' : ''),
    MicrosoftAppTenantId: settings.tenantId ?? '',
  });
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context, err) => {
    log.error({ err }, 'teams turn failed');
    await context.sendActivity({ attachments: [CardFactory.adaptiveCard(errorCard(errorMessage(err)))] });
  };
  const prefix = '@waba-pulse';
  // Teams throttles bots that post too fast; fan-outs (digests, alerts) go out 16 at a time.
  const proactive = pLimit(PROACTIVE_CONCURRENCY);

  function imageUrl(chart: RenderedChart): string | undefined {
    if (chart.kind === 'url') return chart.url;
    return links?.publish(chart.png);
  }

  function toCard(result: CommandResult): Card {
    return result.type === 'notice' ? noticeCard(result) : reportCard(result.report, imageUrl(result.chart));
  }

  const attachment = (card: Card) => ({ type: ActivityTypes.Message, attachments: [CardFactory.adaptiveCard(card)] });

  async function remember(context: TurnContext): Promise<void> {
    const a = context.activity;
    await ctx.store.saveConversation({
      conversation: a.conversation.id,
      reference: TurnContext.getConversationReference(a) as unknown as Record<string, unknown>,
      tenant: (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? a.conversation.tenantId ?? null,
      updatedAt: ctx.now(),
    });
  }

  function requester(context: TurnContext): Requester {
    const a = context.activity;
    const data = a.channelData as { team?: { id?: string }; tenant?: { id?: string } } | undefined;
    return { platform: 'teams', conversation: a.conversation.id, user: a.from.aadObjectId ?? a.from.id, team: data?.team?.id, tenant: data?.tenant?.id ?? a.conversation.tenantId };
  }

  async function onAlertAction(context: TurnContext, value: { action: AlertAction; alert: AlertContent }): Promise<void> {
    const who = requester(context);
    const { alert, action } = value;
    const now = ctx.now();
    if (action === 'by_phone') {
      await context.sendActivity({ type: ActivityTypes.Typing });
      const result = await buildCommandReport(ctx, resolveAccount(ctx, who, alert.accountId), { range: { preset: 'today' }, by: 'phone' });
      await context.sendActivity(attachment(toCard(result)));
      return;
    }
    const name = context.activity.from.name ?? who.user;
    const time = new Date(now).toISOString().slice(11, 16);
    let status: string;
    if (action === 'ack') {
      await ctx.store.recordAlertAction(alert.key, { status: 'acknowledged', by: who.user, at: now });
      status = `✅ Acknowledged by ${name} at ${time} UTC`;
    } else {
      const duration = action === 'mute_1h' ? 3_600_000 : 86_400_000;
      const until = now + duration;
      await ctx.store.recordAlertAction(alert.key, { status: 'muted', by: who.user, at: now, mutedUntil: until });
      await ctx.store.muteAlerts({ platform: 'teams', conversation: who.conversation }, alert.accountId, until);
      status = `🔕 Muted for ${formatDuration(duration)} by ${name} (until ${new Date(until).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
    }
    // Redraw the card in place with who did what.
    await context.updateActivity({ ...attachment(alertCard(alert, status)), id: context.activity.replyToId });
  }

  async function onMessage(context: TurnContext): Promise<void> {
    const value = context.activity.value as { kind?: string; action?: AlertAction; alert?: AlertContent } | undefined;
    if (value?.kind === ALERT_SUBMIT && value.action && value.alert) return onAlertAction(context, { action: value.action, alert: value.alert });
    // In channels and group chats the bot is @mentioned: the mention is not part of the command.
    const text = (TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '').trim().replace(/^\/waba\s*/i, '');
    let command;
    try {
      command = parseCommand(text);
    } catch (err) {
      await context.sendActivity(attachment(errorCard(errorMessage(err))));
      return;
    }
    // Graph can be slow: show that we are on it.
    await context.sendActivity({ type: ActivityTypes.Typing });
    try {
      const result = await runCommand({ ...ctx, prefix }, requester(context), command);
      await context.sendActivity(attachment(toCard(result)));
    } catch (err) {
      log.warn({ err, command: command.kind }, 'teams command failed');
      await context.sendActivity(attachment(errorCard(errorMessage(err))));
    }
  }

  async function turn(context: TurnContext): Promise<void> {
    const a = context.activity;
    if (a.type === ActivityTypes.Message) {
      await remember(context);
      await onMessage(context);
    } else if (a.type === ActivityTypes.ConversationUpdate || a.type === ActivityTypes.InstallationUpdate) {
      const added = a.type === ActivityTypes.InstallationUpdate ? a.action === 'add' : (a.membersAdded ?? []).some((m) => m.id === a.recipient.id);
      const removed = a.type === ActivityTypes.InstallationUpdate ? a.action === 'remove' : (a.membersRemoved ?? []).some((m) => m.id === a.recipient.id);
      if (added) {
        await remember(context);
        await context.sendActivity(attachment(noticeCard(await runCommand({ ...ctx, prefix }, requester(context), { kind: 'help' }) as CommandResult & { type: 'notice' })));
      } else if (removed) {
        await ctx.store.markConversationInactive(a.conversation.id, 'bot removed', ctx.now());
      }
    }
  }

  async function postCard(conversation: string, card: Card): Promise<string | undefined> {
    const record = (await ctx.store.listConversations({ activeOnly: true })).find((c) => c.conversation === conversation);
    if (!record) return undefined;
    let id: string | undefined;
    try {
      await proactive(() =>
        adapter.continueConversationAsync(settings.appId ?? '', record.reference as Partial<ConversationReference>, async (context) => {
          id = (await context.sendActivity(attachment(card)))?.id;
        }),
      );
      return id;
    } catch (err) {
      if (gone(err)) {
        // Removed from the team or chat: stop trying, keep the record for the operator.
        await ctx.store.markConversationInactive(conversation, `connector answered ${(err as { statusCode?: number }).statusCode ?? 403}`, ctx.now());
        log.warn({ conversation }, 'teams conversation is gone; marked inactive');
        return undefined;
      }
      throw err;
    }
  }

  return {
    async handle(req, res) {
      const tenant = (req.body as { channelData?: { tenant?: { id?: string } } } | undefined)?.channelData?.tenant?.id;
      if (settings.tenantId && tenant && tenant !== settings.tenantId) {
        log.warn({ tenant }, 'teams request from another tenant refused');
        res.status(403).json({ error: 'tenant not allowed' });
        return;
      }
      await adapter.process(req, res, turn);
    },
    postCard,
    postAlert: (conversation, alert) => postCard(conversation, alertCard(alert)),
    postReport: (conversation, result) => postCard(conversation, toCard(result)),
  };
}
