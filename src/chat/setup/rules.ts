import { DateTime } from 'luxon';
import { runBacktest, runWebhookBacktest } from '../../alerts/backtest/run.js';
import type { DropRule } from '../../alerts/checker.js';
import { DEFAULT_SETTLE_CURVE } from '../../analytics/settle.js';
import { visibleAccounts } from '../../config/access.js';
import { lookupAccount } from '../../config/accounts.js';
import { type RuleProblem, validateChatRule } from '../../config/chatRules.js';
import type { AccountConfig } from '../../config/load.js';
import { StaleRuleError } from '../../errors.js';
import type { Platform, StoredRule } from '../../store/types.js';
import type { ChatTarget } from '../../vocabulary/chat.js';
import type { CommandContext } from '../context.js';

/** Who is setting a rule up, and how the platform answers whether they are in a conversation. */
export interface RuleEditor {
  platform: Platform;
  user: string;
  team?: string | undefined;
  /** Asked of the platform (never taken from what the client sent). */
  isMember(conversation: string): Promise<boolean>;
  /**
   * Whether the bot can post in the conversation (a private channel it was not invited to, an
   * archived one: no), asked of the platform; a platform that cannot tell leaves it out.
   */
  canPost?(conversation: string): Promise<boolean>;
}

export type RuleCheck = { ok: true; owner: ChatTarget; account: AccountConfig; rule: DropRule } | { ok: false; problems: RuleProblem[] };

/**
 * A rule from a settings form, checked on the server: by the config's own schema, the person in
 * the conversation it posts to, and that conversation allowed to see its account. Nothing the
 * client sent is taken on trust.
 */
export async function checkRuleForm(ctx: CommandContext, editor: RuleEditor, definition: Record<string, unknown>): Promise<RuleCheck> {
  const target = firstTarget(definition, editor.platform);
  if (!target) return { ok: false, problems: [{ path: 'targets', message: 'choose the channel the alerts go to' }] };
  const owner: ChatTarget = { platform: editor.platform, conversation: target };
  const checked = validateChatRule(ctx.config, owner, definition);
  if (!checked.ok) return checked;
  if (checked.rule.kind !== 'drop') return { ok: false, problems: [{ path: 'kind', message: 'only drop rules are set up in chat' }] };
  if (!(await editor.isMember(target)))
    return { ok: false, problems: [{ path: 'targets', message: 'you are not in that channel: choose one of yours' }] };
  if (editor.canPost && !(await editor.canPost(target)))
    return {
      ok: false,
      problems: [{ path: 'targets', message: 'waba-pulse cannot post in that channel: invite it there first, or choose another' }],
    };
  const account = lookupAccount(visibleAccounts(ctx.config, { ...editor, conversation: target }), checked.rule.account);
  if (!account)
    return {
      ok: false,
      problems: [
        { path: 'account', message: `${checked.rule.account} may not be seen in that channel: choose another account or channel` },
      ],
    };
  return { ok: true, owner, account, rule: checked.rule };
}

/** The conversation a form's `targets` name first, on the editor's platform. */
export function firstTarget(definition: Record<string, unknown>, platform: string): string | undefined {
  const targets = definition.targets as Array<Record<string, { channel?: unknown; conversation?: unknown }>> | undefined;
  const first = targets?.[0]?.[platform];
  const value = first?.channel ?? first?.conversation;
  return typeof value === 'string' && value ? value : undefined;
}

export type SaveOutcome = { ok: true; rule: StoredRule } | { ok: false; problems: RuleProblem[] };

/**
 * Store a rule from a settings form: new, or an edit of the version the form was opened on. An
 * edit someone else saved first is refused (the form says who), and nothing of theirs is lost.
 */
export async function saveRuleForm(
  ctx: CommandContext,
  editor: RuleEditor,
  definition: Record<string, unknown>,
  edit?: { ruleId: string; version: number },
): Promise<SaveOutcome> {
  const checked = await checkRuleForm(ctx, editor, definition);
  if (!checked.ok) return checked;
  const now = ctx.now();
  if (!edit) return { ok: true, rule: await ctx.store.rules.createRule({ owner: checked.owner, definition, by: editor.user }, now) };
  const stored = await ctx.store.rules.rule(edit.ruleId);
  if (!stored) return { ok: false, problems: [{ path: 'targets', message: 'this rule was deleted since you opened it' }] };
  // A rule stays in its channel, and is changed only by someone in it.
  if (stored.owner.conversation !== checked.owner.conversation || stored.owner.platform !== checked.owner.platform)
    return { ok: false, problems: [{ path: 'targets', message: 'a rule stays in its channel: make a new rule for another channel' }] };
  try {
    return { ok: true, rule: await ctx.store.rules.updateRule(edit.ruleId, edit.version, definition, editor.user, now) };
  } catch (err) {
    if (!(err instanceof StaleRuleError)) throw err;
    return {
      ok: false,
      problems: [
        {
          path: 'targets',
          message: `changed by ${err.changedBy} since you opened it (now version ${err.currentVersion}): close this form and open the rule again, then make your change`,
        },
      ],
    };
  }
}

const PREVIEW_DAYS = 30;
const SHOWN_EPISODES = 8;

/**
 * What a rule would have done over the last 30 days, replayed through the alert checks' own code
 * (the backtest): "would have alerted N times", and when.
 */
export async function previewRule(ctx: CommandContext, account: AccountConfig, rule: DropRule): Promise<string> {
  const nowMs = ctx.now();
  const end = Math.floor(nowMs / 1000);
  const range = { start: end - PREVIEW_DAYS * 86_400, end };
  const result =
    rule.source === 'webhooks'
      ? await runWebhookBacktest(ctx.store, { config: ctx.config, account, rule, range })
      : await runBacktest(ctx.graph, {
          config: ctx.config,
          account,
          token: ctx.accounts(account).token,
          rule,
          range,
          curve: DEFAULT_SETTLE_CURVE,
          maxCalls: Math.max(ctx.config.graph.callsPerReport, Math.floor(ctx.config.graph.callsPerHour / 2)),
        });
  const n = result.episodes.length;
  const head = `This rule would have alerted ${n === 0 ? 'no' : n} time${n === 1 ? '' : 's'} in ${PREVIEW_DAYS} days${n ? ':' : '.'}`;
  const lines = result.episodes.slice(0, SHOWN_EPISODES).map((e) => {
    const at = DateTime.fromMillis(e.openedAt, { zone: account.timezone }).toFormat('ccc d LLL HH:mm');
    return `• ${at}: ${e.explanation}`;
  });
  const more = n > SHOWN_EPISODES ? [`… and ${n - SHOWN_EPISODES} more`] : [];
  return [head, ...lines, ...more, ...result.notes.slice(0, 2)].join('\n');
}

/** Delete a chat rule at the version its form was opened on, if the person is in its channel. */
export async function deleteRuleForm(ctx: CommandContext, editor: RuleEditor, edit: { ruleId: string; version: number }): Promise<string> {
  const stored = await ctx.store.rules.rule(edit.ruleId);
  if (!stored) return 'This rule was already deleted.';
  if (stored.owner.platform !== editor.platform || !(await editor.isMember(stored.owner.conversation)))
    return 'Only someone in its channel may delete this rule.';
  try {
    await ctx.store.rules.deleteRule(edit.ruleId, edit.version, editor.user, ctx.now());
    return 'Rule deleted: its alerts stop from the next check.';
  } catch (err) {
    if (!(err instanceof StaleRuleError)) throw err;
    return `Not deleted: changed by ${err.changedBy} since you opened it (now version ${err.currentVersion}). Open it again to see their change.`;
  }
}
