import { describeSchedule } from '../../jobs/digests.js';
import type { DigestChange, RuleChange, RuleChangeAction } from '../../store/types.js';
import type { ChatTarget } from '../../vocabulary/chat.js';

/**
 * The change history of what was set up in chat (rules and digests): who, when, and what changed,
 * before → after, one line each. Pure: the logs in, lines out (App Home and `runs --changes`).
 */
export interface SetupChange {
  at: number;
  by: string;
  action: RuleChangeAction;
  /** "rule r-1a2b3c4d5e" or "digest 6f1c…". */
  subject: string;
  /** Where it posts (its conversation). */
  target: ChatTarget | undefined;
  /** "minSent 200 → 500; rateFloor — → 0.9", or what was made or deleted. */
  summary: string;
}

const shown = (v: unknown) => (v === undefined || v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** The fields that differ, "key before → after"; targets and internal keys left out. */
function diff(before: Record<string, unknown>, after: Record<string, unknown>, skip: readonly string[]): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !skip.includes(k));
  const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return changed.length ? changed.map((k) => `${k} ${shown(before[k])} → ${shown(after[k])}`).join('; ') : 'no field changed';
}

function ruleTarget(definition: Record<string, unknown> | null): ChatTarget | undefined {
  const first = (definition?.targets as Array<Record<string, { channel?: unknown; conversation?: unknown }>> | undefined)?.[0];
  const [platform, inner] = Object.entries(first ?? {})[0] ?? [];
  const conversation = inner?.channel ?? inner?.conversation;
  return platform && typeof conversation === 'string' ? { platform: platform as ChatTarget['platform'], conversation } : undefined;
}

function ruleLine(c: RuleChange): SetupChange {
  const d = c.after ?? c.before ?? {};
  const what = [d.kind === 'health' ? 'health' : 'drop', d.account, ...(d.name ? [`"${String(d.name)}"`] : [])].join(' ');
  const summary =
    c.action === 'update' ? diff(c.before ?? {}, c.after ?? {}, ['targets']) : `${c.action === 'create' ? 'made' : 'deleted'}: ${what}`;
  return { at: c.at, by: c.by, action: c.action, subject: `rule ${c.ruleId}`, target: ruleTarget(c.after ?? c.before), summary };
}

type Named = ReadonlyArray<{ id: string; name: string }>;

function digestLine(accounts: Named, c: DigestChange): SetupChange {
  const d = (c.after ?? c.before)!;
  const name = (id: string) => accounts.find((a) => a.id === id)?.name ?? id;
  const describe = (f: NonNullable<DigestChange['after']>) => `${name(f.accountId)} ${describeSchedule(f)}${f.by ? ` by ${f.by}` : ''}`;
  const summary =
    c.action === 'update' && c.before && c.after
      ? `${describe(c.before)} → ${describe(c.after)}`
      : `${c.action === 'create' ? 'made' : 'deleted'}: ${describe(d)}`;
  return {
    at: c.at,
    by: c.by,
    action: c.action,
    subject: `digest ${c.digestId.slice(0, 8)}`,
    target: d && { platform: d.platform, conversation: d.conversation },
    summary,
  };
}

/**
 * Rules' and digests' changes together, newest first, at most `limit`; only those posting to one
 * of `conversations` when it is given (what a person may see of the history).
 */
export function setupChanges(
  /** Accounts by id, to name them (an account no longer configured goes by its id). */
  accounts: Named,
  logs: { rules: readonly RuleChange[]; digests: readonly DigestChange[] },
  limit: number,
  conversations?: readonly ChatTarget[],
): SetupChange[] {
  const mine = (t: ChatTarget | undefined) =>
    !conversations || (t !== undefined && conversations.some((c) => c.platform === t.platform && c.conversation === t.conversation));
  return [...logs.rules.map(ruleLine), ...logs.digests.map((c) => digestLine(accounts, c))]
    .filter((c) => mine(c.target))
    .sort((a, b) => b.at - a.at)
    .slice(0, limit);
}
