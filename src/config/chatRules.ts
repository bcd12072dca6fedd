import { didYouMean } from '../didYouMean.js';
import type { StoredRule } from '../store/types.js';
import { quoted } from '../text.js';
import type { ChatTarget } from '../vocabulary/chat.js';
import { lookupAccount } from './accounts.js';
import { type Config, formatPath, issueLine } from './load.js';
import { type AlertRuleConfig, alertRuleEntrySchema } from './schema.js';

/**
 * Alert rules made in chat: the YAML's own rule shape, checked by the config's own schema (so a
 * rule made in chat means exactly what the same lines under `alerts:` would), posting only to the
 * conversation the rule belongs to.
 */

/** A field of a rule and what is wrong with it (`minSent`: "-1 is below 0"). */
export interface RuleProblem {
  path: string;
  message: string;
}

export type RuleValidation = { ok: true; rule: AlertRuleConfig } | { ok: false; problems: RuleProblem[] };

/** The id a chat-made rule runs under (its claims, its episodes): apart from every YAML rule's. */
export function chatRuleRunId(id: string): string {
  return `chat:${id}`;
}

/** Check a rule's definition as `alerts:` would, for the conversation it belongs to. */
export function validateChatRule(config: Pick<Config, 'platforms' | 'accounts'>, owner: ChatTarget, definition: unknown): RuleValidation {
  const parsed = alertRuleEntrySchema(config.platforms).safeParse(definition, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(issueLine) };
  const rule = parsed.data;
  const problems: RuleProblem[] = [];
  if (!lookupAccount(config.accounts, rule.account)) {
    const near = didYouMean(
      rule.account,
      config.accounts.map((a) => a.name),
    );
    problems.push({ path: 'account', message: `unknown account ${quoted(rule.account)}${near ? ` — did you mean "${near}"?` : ''}` });
  }
  // A rule made in a conversation posts there and nowhere else: nobody reaches a channel through another's rule.
  rule.targets.forEach((t, i) => {
    if (t.platform !== owner.platform || t.conversation !== owner.conversation)
      problems.push({
        path: formatPath(['targets', i]),
        message: `${quoted(t.conversation)} is not this rule's conversation — a rule made in chat posts only where it was made`,
      });
  });
  return problems.length ? { ok: false, problems } : { ok: true, rule };
}

/** A stored rule as the alert checker runs it. */
export interface RunnableRule {
  id: string;
  rule: AlertRuleConfig;
}

/**
 * The stored rules that run under this config, and why any does not (its account left the config,
 * the schema grew stricter): those are skipped, never guessed at.
 */
export function runnableChatRules(
  config: Pick<Config, 'platforms' | 'accounts'>,
  stored: readonly StoredRule[],
): { rules: RunnableRule[]; problems: Array<{ id: string; problems: RuleProblem[] }> } {
  const rules: RunnableRule[] = [];
  const problems: Array<{ id: string; problems: RuleProblem[] }> = [];
  for (const s of stored) {
    const checked = validateChatRule(config, s.owner, s.definition);
    if (checked.ok) rules.push({ id: chatRuleRunId(s.id), rule: checked.rule });
    else problems.push({ id: s.id, problems: checked.problems });
  }
  return { rules, problems };
}
