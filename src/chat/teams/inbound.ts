import { type Activity, ActivityTypes, TurnContext } from 'botbuilder';
import type { Request, Response } from 'express';
import { applyAlertAction } from '../../alerts/actions.js';
import { type Command, parseCommand } from '../../command/grammar.js';
import type { Requester } from '../../config/access.js';
import { type Logger, LogLimiter } from '../../log.js';
import { runCommand } from '../commands.js';
import type { CommandContext } from '../context.js';
import { errorMessage, logCommandFailure } from '../surface.js';
import { cardActivity, type TeamsActivities } from './activities.js';
import { badConversationId, sdkError, type TeamsAdapter } from './adapter.js';
import { ALERT_SUBMIT, errorCard } from './cards.js';
import { isAllowedServiceUrl } from './serviceUrl.js';
import type { TeamsSettings } from './settings.js';
import { CARD_ACTION_INVOKE, requesterOf, TeamsSetup } from './setup.js';

function safeHost(url: string): string {
  try {
    return new URL(url).host.slice(0, 100);
  } catch {
    return 'not a URL';
  }
}

const errorActivity = (err: unknown) => cardActivity(errorCard(errorMessage(err)), errorMessage(err));

/**
 * What Bot Framework brings in on POST /api/messages: refused before the SDK sees it when it is
 * not a plausible activity, comes from a host or tenant not allowed, or names a conversation id
 * no one would use; then each turn — commands typed or @mentioned, card buttons, the bot added
 * or removed — answered in the conversation.
 */
export class TeamsInbound {
  private readonly refusals: LogLimiter;
  private readonly slashPrefix: RegExp;
  private readonly authenticated: boolean;
  private readonly setup: TeamsSetup;

  constructor(
    private readonly adapter: TeamsAdapter,
    private readonly settings: TeamsSettings,
    private readonly ctx: CommandContext,
    private readonly activities: TeamsActivities,
    private readonly log: Logger,
  ) {
    this.refusals = new LogLimiter(ctx.now);
    this.authenticated = Boolean(settings.appId);
    this.setup = new TeamsSetup(adapter, settings.appId, ctx, log);
    // Another platform's slash command typed here out of habit ("/waba report …") is read past.
    const slashCommands = (ctx.prefixes ?? []).filter((p) => p.startsWith('/'));
    this.slashPrefix = new RegExp(
      `^(${slashCommands.map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|') || '(?!)'})(\\s+|$)`,
      'i',
    );
    adapter.onTurnError = async (context, err) => {
      log.error({ err: sdkError(err) }, 'teams turn failed');
      try {
        await context.sendActivity(errorActivity(err));
      } catch (replyErr) {
        log.warn({ err: sdkError(replyErr) }, 'teams error reply not sent');
      }
    };
  }

  async handle(req: Request, res: Response): Promise<void> {
    const body = req.body as
      | { type?: unknown; serviceUrl?: unknown; conversation?: { id?: unknown }; channelData?: { tenant?: { id?: unknown } } }
      | undefined;
    if (
      !body ||
      typeof body !== 'object' ||
      typeof body.type !== 'string' ||
      typeof body.conversation?.id !== 'string' ||
      !body.conversation.id ||
      typeof body.serviceUrl !== 'string'
    ) {
      res.status(400).json({ error: 'not a Bot Framework activity' });
      return;
    }
    const refused = badConversationId(body.conversation.id);
    if (refused) {
      const held = this.refusals.allow(`conversation:${refused}`);
      if (held !== undefined)
        this.log.warn(
          { length: body.conversation.id.length, heldBack: held },
          `teams request refused: conversation id with ${refused} (one line per 10 minutes)`,
        );
      res.status(400).json({ error: 'conversation id not acceptable' });
      return;
    }
    // Replies and stored references go to the activity's serviceUrl: only Bot Framework's own
    // hosts (and any the operator listed) are ever called.
    if (!isAllowedServiceUrl(body.serviceUrl, this.settings.serviceUrls ?? [])) {
      this.log.warn({ host: safeHost(body.serviceUrl) }, 'teams request refused: serviceUrl not allowed');
      res.status(403).json({ error: 'serviceUrl not allowed' });
      return;
    }
    const tenant = body.channelData?.tenant?.id;
    if (this.settings.tenantId && tenant && tenant !== this.settings.tenantId) {
      this.log.warn({ tenant }, 'teams request from another tenant refused');
      res.status(403).json({ error: 'tenant not allowed' });
      return;
    }
    const answer = await this.adapter.handleActivity(req.get('authorization') ?? '', body as Activity, (context) => this.turn(context));
    res.status(answer.status);
    if (answer.body === undefined) res.end();
    else res.json(answer.body);
  }

  private async turn(context: TurnContext): Promise<void> {
    const a = context.activity;
    if (a.type === ActivityTypes.Message) {
      await this.remember(context);
      await this.onMessage(context);
    } else if (a.type === ActivityTypes.Invoke && a.name === CARD_ACTION_INVOKE) {
      await this.setup.onAction(context);
    } else if (a.type === ActivityTypes.ConversationUpdate || a.type === ActivityTypes.InstallationUpdate) {
      const added =
        a.type === ActivityTypes.InstallationUpdate ? a.action === 'add' : (a.membersAdded ?? []).some((m) => m.id === a.recipient.id);
      const removed =
        a.type === ActivityTypes.InstallationUpdate ? a.action === 'remove' : (a.membersRemoved ?? []).some((m) => m.id === a.recipient.id);
      if (added) {
        await this.remember(context);
        await context.sendActivity(this.activities.answer(await runCommand(this.ctx, this.requester(context), { kind: 'help' })));
      } else if (removed) {
        await this.ctx.store.conversations.markConversationInactive(a.conversation.id, 'bot removed', this.ctx.now());
      }
    }
  }

  private async remember(context: TurnContext): Promise<void> {
    const a = context.activity;
    await this.ctx.store.conversations.saveConversation(
      {
        conversation: a.conversation.id,
        reference: TurnContext.getConversationReference(a) as unknown as Record<string, unknown>,
        tenant: (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? a.conversation.tenantId ?? null,
        updatedAt: this.ctx.now(),
      },
      // Without authentication anyone can claim to be any conversation: such a request may add
      // one we have never seen, but never redirect where a known one's messages go.
      { overwrite: this.authenticated },
    );
  }

  private requester(context: TurnContext): Requester {
    return requesterOf(context.activity);
  }

  private async onAlertAction(context: TurnContext, value: { key?: unknown; action?: unknown }): Promise<void> {
    const outcome = await applyAlertAction(this.ctx, this.requester(context), { ...value, byName: context.activity.from.name }, this.log);
    if (!outcome.ok) {
      await context.sendActivity(cardActivity(errorCard(outcome.message), outcome.message));
      return;
    }
    if (outcome.kind === 'report') {
      await context.sendActivity({ type: ActivityTypes.Typing });
      await context.sendActivity(this.activities.answer(outcome.result));
      return;
    }
    // Redrawn in place from the stored alert, never from what the client submitted.
    await context.updateActivity({ ...(await this.activities.alert(outcome.alert)), id: context.activity.replyToId });
  }

  private async onMessage(context: TurnContext): Promise<void> {
    const value = context.activity.value as { kind?: unknown; key?: unknown; action?: unknown } | undefined;
    if (value && typeof value === 'object' && value.kind === ALERT_SUBMIT) return this.onAlertAction(context, value);
    // In channels and group chats the bot is @mentioned: the mention is not part of the command.
    const typed = (TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '').trim();
    const text = this.slashPrefix.test(typed) ? typed.replace(this.slashPrefix, '') : typed;
    if (text.toLowerCase() === 'settings') return this.setup.postSettings(context);
    let command: Command;
    try {
      command = parseCommand(text);
    } catch (err) {
      await context.sendActivity(errorActivity(err));
      return;
    }
    // Graph can be slow: show that we are on it.
    await context.sendActivity({ type: ActivityTypes.Typing });
    try {
      await context.sendActivity(this.activities.answer(await runCommand(this.ctx, this.requester(context), command)));
    } catch (err) {
      logCommandFailure(this.log, err, { platform: 'teams', command: command.kind });
      await context.sendActivity(errorActivity(err));
    }
  }
}
