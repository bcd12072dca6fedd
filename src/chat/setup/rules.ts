import { DateTime } from 'luxon';
import { runBacktest, runWebhookBacktest } from '../../alerts/backtest/run.js';
import { HEALTH_LOOKBACK_SECONDS, judgeHealth } from '../../alerts/judge/health.js';
import { DEFAULT_SETTLE_CURVE } from '../../analytics/settle.js';
import { visibleAccounts } from '../../config/access.js';
import { lookupAccount } from '../../config/accounts.js';
import { type RuleProblem, validateChatRule } from '../../config/chatRules.js';
import type { AccountConfig, Config } from '../../config/load.js';
import type { AlertRuleConfig } from '../../config/schema.js';
import { StaleRuleError } from '../../errors.js';
import type { Platform, StoredRule } from '../../store/types.js';
import { quoted } from '../../text.js';
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
  /**
   * Whether the person is in one of these groups (Slack user groups), for `admins:`; a platform
   * without groups leaves it out and only the ids themselves count.
   */
  inGroup?(groups: readonly string[]): Promise<boolean>;
}

export type RuleCheck =
  | { ok: true; owner: ChatTarget; account: AccountConfig; rule: AlertRuleConfig }
  | { ok: false; problems: RuleProblem[] };

/** A form refused for one reason, on the field it is about. */
export const fail = (path: string, message: string): { ok: false; problems: RuleProblem[] } => ({
  ok: false,
  problems: [{ path, message }],
});

/**
 * Why a form may not post to this conversation, asked of the platform: the person is not in it,
 * or the bot cannot post there. Undefined when it may.
 */
export async function postingProblem(editor: RuleEditor, conversation: string): Promise<string | undefined> {
  if (!(await editor.isMember(conversation))) return 'you are not in that channel: choose one of yours';
  if (editor.canPost && !(await editor.canPost(conversation)))
    return 'waba-pulse cannot post in that channel: invite it there first, or choose another';
  return undefined;
}

/**
 * Whether the person may create, edit and delete alert rules: anyone who may see the account,
 * unless `admins:` lists people (or groups) for their platform — then only those.
 */
export async function mayChangeRules(config: Config, editor: RuleEditor): Promise<boolean> {
  const admins = config.admins[editor.platform];
  if (!admins) return true;
  if (admins.includes(editor.user)) return true;
  return editor.inGroup ? editor.inGroup(admins) : false;
}

export const NOT_AN_ADMIN = 'only the admins named in the config (admins:) may change alert rules: ask one of them';

/**
 * A rule from a settings form, checked on the server: by the config's own schema, the person
 * allowed to change rules (`admins:`) and in the conversation it posts to, the bot able to post
 * there, that conversation allowed to see its account, and its name (if any) not taken. Nothing
 * the client sent is taken on trust; `edit` is the rule being changed (its own name is no clash).
 */
export async function checkRuleForm(
  ctx: CommandContext,
  editor: RuleEditor,
  definition: Record<string, unknown>,
  edit?: { ruleId: string },
): Promise<RuleCheck> {
  if (!(await mayChangeRules(ctx.config, editor))) return fail('targets', NOT_AN_ADMIN);
  const target = firstTarget(definition, editor.platform);
  if (!target) return fail('targets', 'choose the channel the alerts go to');
  const owner: ChatTarget = { platform: editor.platform, conversation: target };
  const checked = validateChatRule(ctx.config, owner, definition);
  if (!checked.ok) return checked;
  const posting = await postingProblem(editor, target);
  if (posting) return fail('targets', posting);
  const account = lookupAccount(visibleAccounts(ctx.config, { ...editor, conversation: target }), checked.rule.account);
  if (!account) return fail('account', `${checked.rule.account} may not be seen in that channel: choose another account or channel`);
  const name = checked.rule.name;
  if (name && (await nameTaken(ctx, name, edit?.ruleId)))
    return fail('name', `${quoted(name)} is already the name of another alert rule: choose another`);
  return { ok: true, owner, account, rule: checked.rule };
}

/** Whether another rule (the config file's, or one made in chat anywhere) goes by this name. */
async function nameTaken(ctx: CommandContext, name: string, self: string | undefined): Promise<boolean> {
  const same = (other: unknown) => typeof other === 'string' && other.toLowerCase() === name.toLowerCase();
  if (ctx.config.alerts.some((r) => same(r.name))) return true;
  return (await ctx.store.rules.listRules()).some((r) => r.id !== self && same(r.definition.name));
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
  const checked = await checkRuleForm(ctx, editor, definition, edit);
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
/** Health events read for a preview: far more than 30 days of any account's. */
const HEALTH_EVENTS_READ = 5_000;

/**
 * What a rule would have done over the last 30 days, replayed through the alert checks' own code
 * (the backtest): "would have alerted N times", and when.
 */
export async function previewRule(ctx: CommandContext, account: AccountConfig, rule: AlertRuleConfig): Promise<string> {
  if (rule.kind === 'health') return previewHealth(ctx, account);
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

/**
 * What a health rule would have raised in 30 days: the stored health webhooks (numbers flagged,
 * limits lowered, templates paused…) replayed through the health judge, one alert per problem.
 */
async function previewHealth(ctx: CommandContext, account: AccountConfig): Promise<string> {
  const nowS = Math.floor(ctx.now() / 1000);
  const start = nowS - PREVIEW_DAYS * 86_400;
  const events = await ctx.store.health.healthEvents(account.id, start - HEALTH_LOOKBACK_SECONDS, nowS + 1, HEALTH_EVENTS_READ);
  const problems = judgeHealth(events, nowS * 1000).recent.filter((a) => a.end >= start);
  const n = problems.length;
  const head = `This rule would have alerted ${n === 0 ? 'no' : n} time${n === 1 ? '' : 's'} in ${PREVIEW_DAYS} days${n ? ':' : '.'}`;
  const lines = problems
    .sort((a, b) => a.start - b.start)
    .slice(0, SHOWN_EPISODES)
    .map((a) => `• ${DateTime.fromSeconds(a.start, { zone: account.timezone }).toFormat('ccc d LLL HH:mm')}: ${a.explanation}`);
  const more = n > SHOWN_EPISODES ? [`… and ${n - SHOWN_EPISODES} more`] : [];
  const note = events.length
    ? []
    : ['(No health webhooks are stored for this account: they arrive only when serve receives WhatsApp webhooks.)'];
  return [head, ...lines, ...more, ...note].join('\n');
}

/** Delete a chat rule at the version its form was opened on, if the person is in its channel. */
export async function deleteRuleForm(ctx: CommandContext, editor: RuleEditor, edit: { ruleId: string; version: number }): Promise<string> {
  const stored = await ctx.store.rules.rule(edit.ruleId);
  if (!stored) return 'This rule was already deleted.';
  if (stored.owner.platform !== editor.platform || !(await editor.isMember(stored.owner.conversation)))
    return 'Only someone in its channel may delete this rule.';
  if (!(await mayChangeRules(ctx.config, editor))) return `Not deleted: ${NOT_AN_ADMIN}.`;
  try {
    await ctx.store.rules.deleteRule(edit.ruleId, edit.version, editor.user, ctx.now());
    return 'Rule deleted: its alerts stop from the next check.';
  } catch (err) {
    if (!(err instanceof StaleRuleError)) throw err;
    return `Not deleted: changed by ${err.changedBy} since you opened it (now version ${err.currentVersion}). Open it again to see their change.`;
  }
}
