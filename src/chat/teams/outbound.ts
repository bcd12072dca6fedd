import type { Activity, ConversationReference, TurnContext } from 'botbuilder';
import pLimit from 'p-limit';
import { type AlertContent, type AlertFollowUp, saidInChannel } from '../../alerts/model.js';
import { followUpText } from '../../alerts/presentation.js';
import type { ChartedReport } from '../../compose/request.js';
import type { Logger } from '../../log.js';
import type { StoreWith } from '../../store/types.js';
import type { PostOutcome } from '../../vocabulary/chat.js';
import { plainMessage, type TeamsActivities } from './activities.js';
import type { TeamsAdapter } from './adapter.js';

export const PROACTIVE_CONCURRENCY = 16;

/** The connector answers 403/404 for a conversation the bot was removed from. */
function gone(err: unknown): boolean {
  const status = (err as { statusCode?: number; status?: number }).statusCode ?? (err as { status?: number }).status;
  return status === 403 || status === 404;
}

/**
 * Everything the bot posts on its own (digests, alerts and their edits and thread replies):
 * into a stored conversation through Bot Framework, 16 at a time, a removed bot marking the
 * conversation inactive.
 */
export class TeamsOutbound {
  // Teams throttles bots that post too fast; fan-outs (digests, alerts) go out 16 at a time.
  private readonly proactive = pLimit(PROACTIVE_CONCURRENCY);

  constructor(
    private readonly adapter: TeamsAdapter,
    private readonly appId: string | undefined,
    private readonly store: StoreWith<'conversations'>,
    private readonly activities: TeamsActivities,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  postActivity(conversation: string, activity: Partial<Activity>): Promise<PostOutcome> {
    return this.inConversation(conversation, async (context) => (await context.sendActivity(activity))?.id ?? '');
  }

  async postAlert(conversation: string, alert: AlertContent): Promise<PostOutcome> {
    return this.postActivity(conversation, await this.activities.alert(alert));
  }

  postReport(conversation: string, result: ChartedReport): Promise<PostOutcome> {
    return this.postActivity(conversation, this.activities.answer(result));
  }

  async updateAlert(conversation: string, ref: string, alert: AlertContent): Promise<PostOutcome> {
    const activity = await this.activities.alert(alert);
    return this.inConversation(
      conversation,
      async (context) => {
        await context.updateActivity({ ...activity, id: ref });
        return ref;
      },
      undefined,
      true,
    );
  }

  async replyToAlert(conversation: string, ref: string, alert: AlertContent, kind: AlertFollowUp): Promise<PostOutcome> {
    const say = async (context: TurnContext) => (await context.sendActivity(plainMessage(followUpText(alert, kind))))?.id ?? '';
    let channel = false;
    const outcome = await this.inConversation(
      conversation,
      (context, reference) => {
        channel = reference.conversation?.conversationType === 'channel';
        return say(context);
      },
      ref,
    );
    // Teams has no "also send to channel": an escalation or resumption is posted to the channel as
    // well, where a thread reply would go unseen (a chat has no threads: its reply is already in the chat).
    if (saidInChannel(kind) && outcome.delivered && channel) await this.inConversation(conversation, say);
    return outcome;
  }

  /** Run `work` in a stored conversation (proactively), as an outcome: a removed bot is "gone". */
  private async inConversation(
    conversation: string,
    work: (context: TurnContext, reference: Partial<ConversationReference>) => Promise<string>,
    thread?: string,
    editing = false,
  ): Promise<PostOutcome> {
    const record = await this.store.conversations.conversation(conversation);
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
      await this.proactive(() =>
        this.adapter.continueConversationAsync(this.appId ?? '', reference, async (context) => {
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
      if (!gone(err)) throw err;
      // A message edited away is only that message; otherwise the bot was removed from the
      // team or chat: stop trying, keep the record for the operator.
      if (editing) return { delivered: false, reason: 'gone' };
      await this.store.conversations.markConversationInactive(
        conversation,
        `connector answered ${(err as { statusCode?: number }).statusCode ?? 403}`,
        this.now(),
      );
      this.log.warn({ conversation }, 'teams conversation is gone; marked inactive');
      return { delivered: false, reason: 'gone' };
    }
  }
}
