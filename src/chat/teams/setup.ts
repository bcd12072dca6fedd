import { type Activity, ActivityTypes, type ConversationReference, TurnContext } from 'botbuilder';
import { type Requester, visibleAccounts } from '../../config/access.js';
import type { Logger } from '../../log.js';
import type { CommandContext } from '../context.js';
import { deleteDigestForm, saveDigestForm } from '../setup/digests.js';
import { setupHome } from '../setup/home.js';
import { fieldsOf } from '../setup/ruleFields.js';
import { checkRuleForm, deleteRuleForm, previewRule, type RuleEditor, saveRuleForm } from '../setup/rules.js';
import { errorMessage } from '../surface.js';
import { cardActivity } from './activities.js';
import { sdkError, type TeamsAdapter } from './adapter.js';
import type { Card } from './cards.js';
import {
  cardDigestDefinition,
  DIGEST_VERBS,
  type DigestCardMetadata,
  type DigestCardValues,
  digestCardValues,
  digestErrors,
  digestFormCard,
  storedDigestValues,
} from './digestCard.js';
import {
  cardErrors,
  cardRuleDefinition,
  cardValues,
  type RuleCardMetadata,
  type RuleCardValues,
  ruleFormCard,
  SETUP_VERBS,
} from './ruleCard.js';
import { settingsCard } from './settingsCard.js';

/** The invoke Teams sends for an `Action.Execute`. */
export const CARD_ACTION_INVOKE = 'adaptiveCard/action';

/**
 * How long a Preview may run before its invoke is answered with "previewing…" (the card updated
 * when the answer is in): Teams gives up on an invoke after 10–15 s ("Something went wrong").
 */
export const PREVIEW_ANSWER_MS = 5_000;

/** Who is acting, and where: the conversation the message or the card is in. */
export function requesterOf(a: Activity): Requester {
  const data = a.channelData as { team?: { id?: string }; tenant?: { id?: string } } | undefined;
  return {
    platform: 'teams',
    conversation: a.conversation.id,
    user: a.from.aadObjectId ?? a.from.id,
    team: data?.team?.id,
    tenant: data?.tenant?.id ?? a.conversation.tenantId,
  };
}

/** What an `adaptiveCard/action` invoke is answered with: the card drawn again in place, or a line. */
type CardAnswer =
  | { statusCode: 200; type: 'application/vnd.microsoft.card.adaptive'; value: Card }
  | { statusCode: 200; type: 'application/vnd.microsoft.activity.message'; value: string };

const cardAnswer = (card: Card): CardAnswer => ({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card });
const lineAnswer = (line: string): CardAnswer => ({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: line });

/** The rule a card's button names and the version it was drawn at (shape only: access is checked against the store). */
function metadataOf(data: Record<string, unknown>): RuleCardMetadata {
  const ruleId = typeof data.ruleId === 'string' && data.ruleId.length <= 100 ? data.ruleId : undefined;
  const version = typeof data.version === 'number' && Number.isSafeInteger(data.version) ? data.version : undefined;
  return { ruleId, version };
}

/**
 * Setting alerts up in Teams: `settings` posts the conversation's settings card; its buttons and
 * the rule form's (`Action.Execute`) come back as `adaptiveCard/action` invokes, each answered by
 * the card drawn again — checked on the server as Slack's forms are (`checkRuleForm`,
 * `saveRuleForm`), the person's conversation being the one the card is in.
 */
export class TeamsSetup {
  constructor(
    private readonly adapter: TeamsAdapter,
    private readonly appId: string | undefined,
    private readonly ctx: CommandContext,
    private readonly log: Logger,
    private readonly previewAnswerMs = PREVIEW_ANSWER_MS,
  ) {}

  /** `settings` typed to the bot: the settings card, as a message. */
  async postSettings(context: TurnContext): Promise<void> {
    await context.sendActivity({ type: ActivityTypes.Typing });
    const card = await this.settings(requesterOf(context.activity));
    await context.sendActivity(cardActivity(card, 'Settings: accounts, open alerts and alert rules here'));
  }

  /** A button on a settings or rule card: answered in the invoke's response (Teams waits for it). */
  async onAction(context: TurnContext): Promise<void> {
    const value = context.activity.value as { action?: { verb?: unknown; data?: unknown } } | undefined;
    const verb = typeof value?.action?.verb === 'string' ? value.action.verb : '';
    const raw = value?.action?.data;
    const data = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    let answer: CardAnswer;
    try {
      answer = await this.answer(context, verb, data);
    } catch (err) {
      this.log.error({ err: errorMessage(err), verb }, 'teams settings action failed');
      answer = lineAnswer(`That did not work: ${errorMessage(err)}`);
    }
    await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body: answer } });
  }

  private async answer(context: TurnContext, verb: string, data: Record<string, unknown>): Promise<CardAnswer> {
    const who = requesterOf(context.activity);
    const metadata = metadataOf(data);
    switch (verb) {
      case SETUP_VERBS.settings:
        return cardAnswer(await this.settings(who));
      case SETUP_VERBS.newRule:
        return cardAnswer(ruleFormCard({ accounts: this.choices(who), values: {}, metadata: {} }));
      case SETUP_VERBS.editRule: {
        const stored = await this.ruleHere(who, metadata.ruleId);
        if (!stored) return lineAnswer(NOT_HERE);
        const form = { accounts: this.choices(who), values: fieldsOf(stored.definition) };
        return cardAnswer(ruleFormCard({ ...form, metadata: { ruleId: stored.id, version: stored.version } }));
      }
      case SETUP_VERBS.preview:
        return this.preview(context, who, cardValues(data), metadata);
      case SETUP_VERBS.save:
        return this.save(who, cardValues(data), metadata);
      case SETUP_VERBS.deleteRule:
        return this.remove(who, metadata);
      case DIGEST_VERBS.newDigest:
        return cardAnswer(digestFormCard({ accounts: this.choices(who), values: {}, metadata: {} }));
      case DIGEST_VERBS.editDigest:
      case DIGEST_VERBS.save:
      case DIGEST_VERBS.deleteDigest:
        return this.digestAction(who, verb, data);
      default:
        return lineAnswer('This card is out of date: type settings for a new one.');
    }
  }

  private editor(who: Requester): RuleEditor {
    return {
      ...who,
      // Teams delivers a card's invoke only from someone in the conversation the card is in.
      isMember: async (conversation) => conversation === who.conversation,
      // The bot posts (digests, alerts) where it has a conversation reference, still active.
      canPost: async (conversation) => (await this.ctx.store.conversations.conversation(conversation))?.active === true,
    };
  }

  /** The accounts this conversation may see, for the form's account choice. */
  private choices(who: Requester) {
    return visibleAccounts(this.ctx.config, who).map((a) => ({ value: a.name, label: a.displayName }));
  }

  /** This conversation's settings card, from the model Slack's App Home draws, and its digests. */
  private async settings(who: Requester, news?: { text: string; tone: 'good' | 'bad' }): Promise<Card> {
    const home = await setupHome(this.ctx, who, [who.conversation]);
    return settingsCard(home.conversations[0], { news });
  }

  /** A stored rule, only if it belongs to this conversation. */
  private async ruleHere(who: Requester, ruleId: string | undefined) {
    const stored = ruleId ? await this.ctx.store.rules.rule(ruleId) : undefined;
    return stored && stored.owner.platform === who.platform && stored.owner.conversation === who.conversation ? stored : undefined;
  }

  private async save(who: Requester, values: RuleCardValues, metadata: RuleCardMetadata): Promise<CardAnswer> {
    let edit: { ruleId: string; version: number } | undefined;
    if (metadata.ruleId !== undefined) {
      // An edit of a rule that is not this conversation's (or is gone): a forged or stale card.
      const stored = await this.ruleHere(who, metadata.ruleId);
      if (!stored || metadata.version === undefined)
        return lineAnswer(stored ? 'This card names no version: open the rule again.' : NOT_HERE);
      edit = { ruleId: stored.id, version: metadata.version };
    }
    const saved = await saveRuleForm(this.ctx, this.editor(who), cardRuleDefinition(values, who.conversation), edit);
    if (!saved.ok) return cardAnswer(ruleFormCard({ accounts: this.choices(who), values, metadata, errors: cardErrors(saved.problems) }));
    this.log.info({ rule: saved.rule.id, version: saved.rule.version, by: who.user }, 'alert rule saved from teams');
    return cardAnswer(await this.settings(who, { text: `Saved: ${saved.rule.id}, version ${saved.rule.version}.`, tone: 'good' }));
  }

  private async remove(who: Requester, metadata: RuleCardMetadata): Promise<CardAnswer> {
    const stored = await this.ruleHere(who, metadata.ruleId);
    if (!stored || metadata.version === undefined) return lineAnswer(NOT_HERE);
    const said = await deleteRuleForm(this.ctx, this.editor(who), { ruleId: stored.id, version: metadata.version });
    const gone = !(await this.ctx.store.rules.rule(stored.id));
    return cardAnswer(await this.settings(who, { text: said, tone: gone ? 'good' : 'bad' }));
  }

  /** A digest's Edit, Save or Delete: only a digest of this conversation (else one line); the form again on a problem. */
  private async digestAction(who: Requester, verb: string, data: Record<string, unknown>): Promise<CardAnswer> {
    const digestId = typeof data.digestId === 'string' && data.digestId.length <= 100 ? data.digestId : undefined;
    const version = typeof data.version === 'number' && Number.isSafeInteger(data.version) ? data.version : undefined;
    const stored = digestId ? await this.ctx.store.preferences.subscription(digestId) : undefined;
    const here = stored && stored.platform === who.platform && stored.conversation === who.conversation ? stored : undefined;
    if (digestId !== undefined && (!here || version === undefined)) return lineAnswer(DIGEST_NOT_HERE);
    const metadata: DigestCardMetadata = here ? { digestId: here.id, version } : {};
    if (verb === DIGEST_VERBS.editDigest) {
      if (!here) return lineAnswer(DIGEST_NOT_HERE);
      return cardAnswer(digestFormCard({ accounts: this.choices(who), values: storedDigestValues(this.ctx.config, here), metadata }));
    }
    const edit = here && version !== undefined ? { digestId: here.id, version } : undefined;
    if (verb === DIGEST_VERBS.deleteDigest) {
      if (!edit) return lineAnswer(DIGEST_NOT_HERE);
      const said = await deleteDigestForm(this.ctx, this.editor(who), edit);
      const gone = !(await this.ctx.store.preferences.subscription(edit.digestId));
      return cardAnswer(await this.settings(who, { text: said, tone: gone ? 'good' : 'bad' }));
    }
    const values: DigestCardValues = digestCardValues(data);
    const saved = await saveDigestForm(this.ctx, this.editor(who), cardDigestDefinition(values, who.conversation), edit);
    if (!saved.ok)
      return cardAnswer(digestFormCard({ accounts: this.choices(who), values, metadata, errors: digestErrors(saved.problems) }));
    this.log.info({ digest: saved.digest.id, version: saved.digest.version, by: who.user }, 'digest saved from teams');
    return cardAnswer(await this.settings(who, { text: `Saved: the digest, version ${saved.digest.version}.`, tone: 'good' }));
  }

  /**
   * The 30-day backtest of the rule as filled in, answered in the card when it takes less than
   * Teams' invoke window allows; otherwise "previewing…" at once, and the card updated with the
   * answer when it is in (the connector's updateActivity on the card's message).
   */
  private async preview(context: TurnContext, who: Requester, values: RuleCardValues, metadata: RuleCardMetadata): Promise<CardAnswer> {
    const accounts = this.choices(who);
    // An edit's own name is no clash (a forged id only previews, never stores).
    const checked = await checkRuleForm(
      this.ctx,
      this.editor(who),
      cardRuleDefinition(values, who.conversation),
      metadata.ruleId ? { ruleId: metadata.ruleId } : undefined,
    );
    if (!checked.ok)
      return cardAnswer(
        ruleFormCard({
          accounts,
          values,
          metadata,
          errors: cardErrors(checked.problems),
          preview: 'Nothing to preview yet: fix the fields marked.',
        }),
      );
    const form = (preview: string) => ruleFormCard({ accounts, values, metadata, preview });
    const running = previewRule(this.ctx, checked.account, checked.rule).catch((err: unknown) => {
      this.log.warn({ err: errorMessage(err) }, 'rule preview failed');
      return `The preview failed: ${errorMessage(err)}`;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.previewAnswerMs, undefined);
    });
    const inTime = await Promise.race([running, late]);
    clearTimeout(timer);
    if (inTime !== undefined) return cardAnswer(form(inTime));
    const reference = TurnContext.getConversationReference(context.activity);
    const message = context.activity.replyToId;
    void running.then((preview) => this.updateCard(reference, message, form(preview)));
    return cardAnswer(form('Previewing the last 30 days… this card shows the answer when it is in (under a minute).'));
  }

  /** Put a card into the message it was on (or, with no message to edit, a new one), outside the invoke's turn. */
  private async updateCard(reference: Partial<ConversationReference>, message: string | undefined, card: Card): Promise<void> {
    const activity = cardActivity(card, 'Alert rule preview');
    try {
      await this.adapter.continueConversationAsync(this.appId ?? '', reference, async (context) => {
        if (message) await context.updateActivity({ ...activity, id: message });
        else await context.sendActivity(activity);
      });
    } catch (err) {
      this.log.warn({ err: sdkError(err) }, 'rule preview not put into its card');
    }
  }
}

const NOT_HERE = 'That rule is not one of this conversation’s (or was deleted): nothing changed.';
const DIGEST_NOT_HERE = 'That digest is not one of this conversation’s (or was deleted): nothing changed.';
