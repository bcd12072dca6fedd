import {
  type Activity,
  ActivityTypes,
  CardFactory,
  ConfigurationBotFrameworkAuthentication,
  type ConversationReference,
  TextFormatTypes,
  TurnContext,
} from 'botbuilder';
import express, { type Request, type Response } from 'express';
import pLimit from 'p-limit';
import type { ChartLinks } from '../../charts/links.js';
import type { RenderedChart } from '../../charts/render.js';
import { alertChartSpec } from '../../charts/spec.js';
import { type Command, parseCommand } from '../../command/grammar.js';
import { type Logger, LogLimiter } from '../../log.js';
import { clipEcho } from '../../text.js';
import type { Requester } from '../access.js';
import { applyAlertAction } from '../alertActions.js';
import { runCommand } from '../commands.js';
import type { CommandContext, CommandResult } from '../context.js';
import { alertSummary, followUpText, reportSummary } from '../presentation.js';
import { type AlertContent, type ChatSurface, errorMessage, logCommandFailure, type PostOutcome } from '../surface.js';
import { badConversationId, sdkError, TeamsAdapter } from './adapter.js';
import { ALERT_SUBMIT, alertCard, type Card, errorCard, noticeCard, reportCard } from './cards.js';
import { mountTeamsPages } from './pages.js';
import { isAllowedServiceUrl } from './serviceUrl.js';
import { TEAMS_MESSAGES_PATH, type TeamsSettings } from './settings.js';

export interface TeamsSurface extends ChatSurface {
  /** POST /api/messages */
  handle(req: Request, res: Response): Promise<void>;
  /** Proactive post to a stored conversation. */
  postActivity(conversation: string, activity: Partial<Activity>): Promise<PostOutcome>;
}

export const PROACTIVE_CONCURRENCY = 16;

/** One line of plain text for `text` and `summary`: our `command` marks dropped (a card shows them as monospace), clipped for previews. */
function plainLine(text: string): string {
  return clipEcho(text.replace(/`([^`\n]+)`/g, '$1'), 250);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host.slice(0, 100);
  } catch {
    return 'not a URL';
  }
}

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
  const adapter = new TeamsAdapter(auth, log);
  adapter.onTurnError = async (context, err) => {
    log.error({ err: sdkError(err) }, 'teams turn failed');
    try {
      await context.sendActivity(attachment(errorCard(errorMessage(err)), errorMessage(err)));
    } catch (replyErr) {
      log.warn({ err: sdkError(replyErr) }, 'teams error reply not sent');
    }
  };
  const refusals = new LogLimiter(ctx.now);
  const prefix = '@waba-pulse';
  // Another platform's slash command typed here out of habit ("/waba report …") is read past.
  const slashCommands = (ctx.prefixes ?? []).filter((p) => p.startsWith('/'));
  const slashPrefix = new RegExp(
    `^(${slashCommands.map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|') || '(?!)'})(\\s+|$)`,
    'i',
  );
  // Teams throttles bots that post too fast; fan-outs (digests, alerts) go out 16 at a time.
  const proactive = pLimit(PROACTIVE_CONCURRENCY);

  function imageUrl(chart: RenderedChart): string | undefined {
    if (chart.kind === 'url') return chart.url;
    return links?.publish(chart.png);
  }

  /**
   * A card as an activity, with a `summary` for notifications and previews (else Teams shows
   * "Card") and the same line as `text` — plain text, as the card is: Teams reads `text` as
   * Markdown by default, and a line that echoes what someone typed must not become a link.
   */
  function attachment(card: Card, summary: string) {
    const line = plainLine(summary);
    return {
      type: ActivityTypes.Message,
      textFormat: TextFormatTypes.Plain,
      summary: line,
      text: line,
      attachments: [CardFactory.adaptiveCard(card)],
    };
  }

  function toActivity(result: CommandResult) {
    return result.type === 'notice'
      ? attachment(noticeCard(result), result.title)
      : attachment(
          reportCard(result.report, imageUrl(result.chart), result.failureChart ? imageUrl(result.failureChart) : undefined),
          reportSummary(result.report),
        );
  }

  /** The alert's card, with its small chart when one can be drawn. */
  async function alertActivity(alert: AlertContent) {
    const spec = alert.resolved ? undefined : alertChartSpec(alert);
    let url: string | undefined;
    if (spec) {
      try {
        url = imageUrl(await ctx.charts.render(spec));
      } catch (err) {
        log.warn({ err, alert: alert.shortId }, 'alert chart not drawn; posting without it');
      }
    }
    return attachment(alertCard(alert, url), alertSummary(alert));
  }

  const authenticated = Boolean(settings.appId);

  async function remember(context: TurnContext): Promise<void> {
    const a = context.activity;
    await ctx.store.saveConversation(
      {
        conversation: a.conversation.id,
        reference: TurnContext.getConversationReference(a) as unknown as Record<string, unknown>,
        tenant: (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? a.conversation.tenantId ?? null,
        updatedAt: ctx.now(),
      },
      // Without authentication anyone can claim to be any conversation: such a request may add
      // one we have never seen, but never redirect where a known one's messages go.
      { overwrite: authenticated },
    );
  }

  function requester(context: TurnContext): Requester {
    const a = context.activity;
    const data = a.channelData as { team?: { id?: string }; tenant?: { id?: string } } | undefined;
    return {
      platform: 'teams',
      conversation: a.conversation.id,
      user: a.from.aadObjectId ?? a.from.id,
      team: data?.team?.id,
      tenant: data?.tenant?.id ?? a.conversation.tenantId,
    };
  }

  async function onAlertAction(context: TurnContext, value: { key?: unknown; action?: unknown }): Promise<void> {
    const who = requester(context);
    const outcome = await applyAlertAction(ctx, who, { ...value, byName: context.activity.from.name }, log);
    if (!outcome.ok) {
      await context.sendActivity(attachment(errorCard(outcome.message), outcome.message));
      return;
    }
    if (outcome.kind === 'report') {
      await context.sendActivity({ type: ActivityTypes.Typing });
      await context.sendActivity(toActivity(outcome.result));
      return;
    }
    // Redrawn in place from the stored alert, never from what the client submitted.
    await context.updateActivity({ ...(await alertActivity(outcome.alert)), id: context.activity.replyToId });
  }

  async function onMessage(context: TurnContext): Promise<void> {
    const value = context.activity.value as { kind?: unknown; key?: unknown; action?: unknown } | undefined;
    if (value && typeof value === 'object' && value.kind === ALERT_SUBMIT) return onAlertAction(context, value);
    // In channels and group chats the bot is @mentioned: the mention is not part of the command.
    const typed = (TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '').trim();
    const text = slashPrefix.test(typed) ? typed.replace(slashPrefix, '') : typed;
    let command: Command;
    try {
      command = parseCommand(text);
    } catch (err) {
      await context.sendActivity(attachment(errorCard(errorMessage(err)), errorMessage(err)));
      return;
    }
    // Graph can be slow: show that we are on it.
    await context.sendActivity({ type: ActivityTypes.Typing });
    try {
      const result = await runCommand({ ...ctx, prefix }, requester(context), command);
      await context.sendActivity(toActivity(result));
    } catch (err) {
      logCommandFailure(log, err, { platform: 'teams', command: command.kind });
      await context.sendActivity(attachment(errorCard(errorMessage(err)), errorMessage(err)));
    }
  }

  async function turn(context: TurnContext): Promise<void> {
    const a = context.activity;
    if (a.type === ActivityTypes.Message) {
      await remember(context);
      await onMessage(context);
    } else if (a.type === ActivityTypes.ConversationUpdate || a.type === ActivityTypes.InstallationUpdate) {
      const added =
        a.type === ActivityTypes.InstallationUpdate ? a.action === 'add' : (a.membersAdded ?? []).some((m) => m.id === a.recipient.id);
      const removed =
        a.type === ActivityTypes.InstallationUpdate ? a.action === 'remove' : (a.membersRemoved ?? []).some((m) => m.id === a.recipient.id);
      if (added) {
        await remember(context);
        await context.sendActivity(toActivity(await runCommand({ ...ctx, prefix }, requester(context), { kind: 'help' })));
      } else if (removed) {
        await ctx.store.markConversationInactive(a.conversation.id, 'bot removed', ctx.now());
      }
    }
  }

  /** Run `work` in a stored conversation (proactively), as an outcome: a removed bot is "gone". */
  async function inConversation(
    conversation: string,
    work: (context: TurnContext, reference: Partial<ConversationReference>) => Promise<string>,
    thread?: string,
    editing = false,
  ): Promise<PostOutcome> {
    const record = await ctx.store.conversation(conversation);
    if (!record?.active) return { delivered: false, reason: 'gone' };
    let reference = record.reference as Partial<ConversationReference>;
    // A reply in a channel thread is posted to "<channel>;messageid=<root>"; chats have no threads.
    if (thread && reference.conversation?.conversationType === 'channel') {
      reference = {
        ...reference,
        conversation: { ...reference.conversation, id: `${reference.conversation.id.split(';')[0]};messageid=${thread}` },
      };
    }
    try {
      let ref = '';
      // The work's failure comes back here, to the caller, not to onTurnError (which answers a person).
      let failure: { err: unknown } | undefined;
      await proactive(() =>
        adapter.continueConversationAsync(settings.appId ?? '', reference, async (context) => {
          try {
            ref = await work(context, reference);
          } catch (err) {
            failure = { err };
          }
        }),
      );
      if (failure) throw failure.err;
      // A send the connector accepted is delivered, whether or not it named the new activity.
      return { delivered: true, ref };
    } catch (err) {
      if (gone(err)) {
        // A message edited away is only that message; otherwise the bot was removed from the
        // team or chat: stop trying, keep the record for the operator.
        if (editing) return { delivered: false, reason: 'gone' };
        await ctx.store.markConversationInactive(
          conversation,
          `connector answered ${(err as { statusCode?: number }).statusCode ?? 403}`,
          ctx.now(),
        );
        log.warn({ conversation }, 'teams conversation is gone; marked inactive');
        return { delivered: false, reason: 'gone' };
      }
      throw err;
    }
  }

  const postActivity = (conversation: string, activity: Partial<Activity>): Promise<PostOutcome> =>
    inConversation(conversation, async (context) => (await context.sendActivity(activity))?.id ?? '');

  const surface: TeamsSurface = {
    mode: settings.appId ? 'on' : 'unauthenticated',
    mount(web) {
      web.post(TEAMS_MESSAGES_PATH, express.json({ limit: '1mb' }), (req, res, next) => {
        surface.handle(req, res).catch(next);
      });
      mountTeamsPages(web);
    },
    async start() {
      // Nothing to connect: Bot Framework calls in, and credentials are checked per request.
    },
    async stop() {},
    async handle(req, res) {
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
        const held = refusals.allow(`conversation:${refused}`);
        if (held !== undefined)
          log.warn(
            { length: body.conversation.id.length, heldBack: held },
            `teams request refused: conversation id with ${refused} (one line per 10 minutes)`,
          );
        res.status(400).json({ error: 'conversation id not acceptable' });
        return;
      }
      // Replies and stored references go to the activity's serviceUrl: only Bot Framework's own
      // hosts (and any the operator listed) are ever called.
      if (!isAllowedServiceUrl(body.serviceUrl, settings.serviceUrls ?? [])) {
        log.warn({ host: safeHost(body.serviceUrl) }, 'teams request refused: serviceUrl not allowed');
        res.status(403).json({ error: 'serviceUrl not allowed' });
        return;
      }
      const tenant = body.channelData?.tenant?.id;
      if (settings.tenantId && tenant && tenant !== settings.tenantId) {
        log.warn({ tenant }, 'teams request from another tenant refused');
        res.status(403).json({ error: 'tenant not allowed' });
        return;
      }
      const answer = await adapter.handleActivity(req.get('authorization') ?? '', body as Activity, turn);
      res.status(answer.status);
      if (answer.body === undefined) res.end();
      else res.json(answer.body);
    },
    platform: 'teams',
    postActivity,
    postAlert: async (conversation, alert) => postActivity(conversation, await alertActivity(alert)),
    updateAlert: async (conversation, ref, alert) => {
      const activity = await alertActivity(alert);
      return inConversation(
        conversation,
        async (context) => {
          await context.updateActivity({ ...activity, id: ref });
          return ref;
        },
        undefined,
        true,
      );
    },
    replyToAlert: (conversation, ref, alert, kind) =>
      inConversation(
        conversation,
        async (context) =>
          (
            await context.sendActivity({
              type: ActivityTypes.Message,
              textFormat: TextFormatTypes.Plain,
              text: plainLine(followUpText(alert, kind)),
            })
          )?.id ?? '',
        ref,
      ),
    postReport: (conversation, result) => postActivity(conversation, toActivity(result)),
  };
  return surface;
}
