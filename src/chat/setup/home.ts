import { type Requester, visibleAccounts } from '../../config/access.js';
import { validateChatRule } from '../../config/chatRules.js';
import type { AccountConfig } from '../../config/load.js';
import type { Platform } from '../../store/types.js';
import { deliveryLine } from '../commands.js';
import type { CommandContext } from '../context.js';
import { type SetupChange, setupChanges } from './changes.js';
import { digestsOf, type SetupDigest } from './digests.js';
import { describeRule } from './ruleSummary.js';

/** A rule as the settings list it: from the config file (read-only here) or made in chat (editable). */
export interface SetupRule {
  id: string;
  origin: 'config' | 'chat';
  summary: string;
  /** Chat rules: the version an edit starts from, who changed it last. */
  version?: number | undefined;
  updatedBy?: string | undefined;
  /** A chat rule serve skips (its account left the config): why. */
  problem?: string | undefined;
}

/** One conversation the person is in, with what it may see and the rules posting there. */
export interface SetupConversation {
  conversation: string;
  /** Yesterday's delivery of each account it may see, a line each. */
  accounts: string[];
  /** Its accounts' open alerts, newest first: "A-7K3F Acme Retail: delivery 71% vs 97% expected". */
  openAlerts: string[];
  rules: SetupRule[];
  /** The digests posted there: the config file's (read-only here), then those made in chat. */
  digests: SetupDigest[];
}

/** What a person's settings page shows: every conversation of theirs that may see an account. */
export interface SetupHome {
  conversations: SetupConversation[];
  /** The latest changes of the rules and digests posting to those conversations, newest first. */
  changes: SetupChange[];
}

/** Changes shown on the settings page; the log read to find them (everyone's, newest first). */
const CHANGES_SHOWN = 8;
const CHANGES_READ = 500;

/**
 * A person's settings page, from the config and the store as they are now: for each of their
 * conversations (the platform says which they are in) that the access rules let see an account,
 * those accounts' delivery yesterday, their open alerts, and the alert rules and digests posting there.
 */
export async function setupHome(
  ctx: CommandContext,
  person: { platform: Platform; user: string; team?: string | undefined },
  conversations: readonly string[],
): Promise<SetupHome> {
  const seen = conversations
    .map((conversation) => {
      const who: Requester = { ...person, conversation };
      return { conversation, accounts: visibleAccounts(ctx.config, who) };
    })
    .filter((c) => c.accounts.length > 0);
  // Each account's figures once, however many of the person's conversations see it.
  const lines = new Map<string, Promise<string>>();
  const lineOf = (account: AccountConfig) => {
    if (!lines.has(account.id)) lines.set(account.id, deliveryLine(ctx, account));
    return lines.get(account.id)!;
  };
  const [ruleLog, digestLog] = await Promise.all([
    ctx.store.rules.recentRuleChanges(CHANGES_READ),
    ctx.store.preferences.recentDigestChanges(CHANGES_READ),
  ]);
  const targets = seen.map((c) => ({ platform: person.platform, conversation: c.conversation }));
  return {
    changes: setupChanges(ctx.config.accounts, { rules: ruleLog, digests: digestLog }, CHANGES_SHOWN, targets),
    conversations: await Promise.all(
      seen.map(async ({ conversation, accounts }) => {
        const target = { platform: person.platform, conversation };
        const [delivery, open, rules, digests] = await Promise.all([
          Promise.all(accounts.map(lineOf)),
          ctx.store.alerts.openAlerts(accounts.map((a) => a.id)),
          rulesOf(ctx, target),
          digestsOf(ctx, target),
        ]);
        const names = new Map(accounts.map((a) => [a.id, a.displayName]));
        return {
          conversation,
          accounts: delivery,
          openAlerts: open.map(
            (a) => `${a.shortId} ${names.get(a.accountId) ?? a.accountId}: ${a.content.anomalies[0]?.explanation ?? 'open'}`,
          ),
          rules,
          digests,
        };
      }),
    ),
  };
}

/** The rules posting to a conversation: the config file's, then those made in chat there. */
export async function rulesOf(ctx: CommandContext, target: { platform: Platform; conversation: string }): Promise<SetupRule[]> {
  const fromConfig = ctx.config.alerts.flatMap((rule, index) =>
    rule.targets.some((t) => t.platform === target.platform && t.conversation === target.conversation)
      ? [{ id: `alerts[${index}]${rule.name ? ` ${rule.name}` : ''}`, origin: 'config' as const, summary: describeRule(rule) }]
      : [],
  );
  const stored = await ctx.store.rules.listRules(target);
  const fromChat = stored.map((s): SetupRule => {
    const checked = validateChatRule(ctx.config, s.owner, s.definition);
    return {
      id: s.id,
      origin: 'chat',
      summary: checked.ok ? describeRule(checked.rule) : `${String(s.definition.account)} (skipped)`,
      version: s.version,
      updatedBy: s.updatedBy,
      ...(checked.ok ? {} : { problem: checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ') }),
    };
  });
  return [...fromConfig, ...fromChat];
}
