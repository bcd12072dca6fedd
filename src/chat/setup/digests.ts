import { visibleAccounts } from '../../config/access.js';
import { lookupAccount } from '../../config/accounts.js';
import type { RuleProblem } from '../../config/chatRules.js';
import { type AccountConfig, type Config, formatPath, issueLine } from '../../config/load.js';
import { digestEntrySchema } from '../../config/schema.js';
import { didYouMean } from '../../didYouMean.js';
import { DigestNotFoundError, DigestTakenError, StaleDigestError } from '../../errors.js';
import { configDigests, coverageKey, describeSchedule, WEEKDAYS } from '../../jobs/digests.js';
import type { DigestFields, Platform, Subscription } from '../../store/types.js';
import { quoted } from '../../text.js';
import type { ChatTarget } from '../../vocabulary/chat.js';
import type { CommandContext } from '../context.js';
import { fail, firstTarget, postingProblem, type RuleEditor } from './rules.js';

/**
 * Digests set up in a form, the same on every platform: the form's fields are a digest under
 * `digests:` in the YAML (account, every, at, day, timezone, by, the conversation it posts to),
 * checked by the config's own schema, and stored as the subscription `subscribe` makes — so the
 * one digest scheduler runs it, claimed once across replicas. Everything is checked on the server.
 */

/** A digest as the settings list it: from the config file (read-only here) or made in chat (editable). */
export interface SetupDigest {
  /** `digests[0]` for the config's, the subscription id for chat's. */
  id: string;
  origin: 'config' | 'chat';
  /** "Acme Retail · daily at 09:00 Asia/Kolkata · by phone". */
  summary: string;
  version?: number | undefined;
  updatedBy?: string | undefined;
}

/** An edit names the digest and the version its form was opened on. */
export interface DigestEdit {
  digestId: string;
  version: number;
}

export type DigestCheck =
  | { ok: true; owner: ChatTarget; account: AccountConfig; fields: DigestFields }
  | { ok: false; problems: RuleProblem[] };

export type DigestSaveOutcome = { ok: true; digest: Subscription } | { ok: false; problems: RuleProblem[] };

const WEEKDAY_KEYS = Object.keys(WEEKDAYS) as Array<keyof typeof WEEKDAYS>;

/** The definition checked as `digests:` would, for the conversation it posts to: the schema, one target, a known account. */
function checkShape(
  config: Config,
  owner: ChatTarget,
  definition: Record<string, unknown>,
): { ok: true; account: AccountConfig; fields: DigestFields } | { ok: false; problems: RuleProblem[] } {
  const parsed = digestEntrySchema(config.platforms).safeParse(definition, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(issueLine) };
  const d = parsed.data;
  const problems: RuleProblem[] = [];
  d.targets.forEach((t, i) => {
    if (t.platform !== owner.platform || t.conversation !== owner.conversation)
      problems.push({ path: formatPath(['targets', i]), message: 'a digest made in chat posts to one conversation: choose one' });
  });
  const account = lookupAccount(config.accounts, d.account);
  if (!account) {
    const near = didYouMean(
      d.account,
      config.accounts.map((a) => a.name),
    );
    problems.push({ path: 'account', message: `unknown account ${quoted(d.account)}${near ? ` — did you mean "${near}"?` : ''}` });
  }
  if (problems.length || !account) return { ok: false, problems };
  return {
    ok: true,
    account,
    fields: {
      accountId: account.id,
      every: d.every,
      at: d.at,
      timezone: d.timezone ?? account.timezone,
      weekday: WEEKDAYS[d.day],
      by: d.by,
    },
  };
}

/**
 * A digest from a settings form, checked on the server: by the config's own schema, the person in
 * the conversation it posts to, the bot able to post there, that conversation allowed to see the
 * account, and no second digest of the same account and period there (from the file or a form).
 * Nothing the client sent is taken on trust; `edit` is the digest being changed (not a duplicate of itself).
 */
export async function checkDigestForm(
  ctx: CommandContext,
  editor: RuleEditor,
  definition: Record<string, unknown>,
  edit?: DigestEdit,
): Promise<DigestCheck> {
  const target = firstTarget(definition, editor.platform);
  if (!target) return fail('targets', 'choose the channel the digest goes to');
  const owner: ChatTarget = { platform: editor.platform, conversation: target };
  const shape = checkShape(ctx.config, owner, definition);
  if (!shape.ok) return shape;
  const posting = await postingProblem(editor, target);
  if (posting) return fail('targets', posting);
  const { fields } = shape;
  const account = lookupAccount(visibleAccounts(ctx.config, { ...editor, conversation: target }), fields.accountId);
  if (!account) return fail('account', `${shape.account.name} may not be seen in that channel: choose another account or channel`);
  const key = coverageKey({ target: owner, accountId: account.id, every: fields.every });
  const configured = configDigests(ctx.config).find((d) => coverageKey(d) === key);
  if (configured)
    return fail(
      'every',
      `that channel already gets a ${fields.every} digest of ${account.displayName} from the config file (${configured.origin}): change it there`,
    );
  const taken = (await ctx.store.preferences.listSubscriptions(owner)).find(
    (s) => s.id !== edit?.digestId && coverageKey({ target: s, accountId: s.accountId, every: s.every }) === key,
  );
  if (taken)
    return fail(
      'every',
      `that channel already has a ${fields.every} digest of ${account.displayName} (set by ${taken.updatedBy}): edit that one`,
    );
  return { ok: true, owner, account, fields };
}

/**
 * Store a digest from a settings form: new, or an edit of the version the form was opened on. An
 * edit someone else saved first is refused (the form says who), and nothing of theirs is lost; a
 * digest from the config file is changed only there.
 */
export async function saveDigestForm(
  ctx: CommandContext,
  editor: RuleEditor,
  definition: Record<string, unknown>,
  edit?: DigestEdit,
): Promise<DigestSaveOutcome> {
  if (edit && isConfigDigest(edit.digestId)) return fail('targets', `${edit.digestId} is defined in waba-pulse.yaml: change it there`);
  const checked = await checkDigestForm(ctx, editor, definition, edit);
  if (!checked.ok) return checked;
  const now = ctx.now();
  try {
    if (!edit) {
      const digest = await ctx.store.preferences.createDigest({ ...checked.owner, ...checked.fields, createdBy: editor.user }, now);
      return { ok: true, digest };
    }
    const stored = await ctx.store.preferences.subscription(edit.digestId);
    if (!stored) return fail('targets', 'this digest was deleted since you opened it');
    // A digest stays in its channel, and is changed only by someone in it.
    if (stored.platform !== checked.owner.platform || stored.conversation !== checked.owner.conversation)
      return fail('targets', 'a digest stays in its channel: make a new digest for another channel');
    return { ok: true, digest: await ctx.store.preferences.updateDigest(edit.digestId, edit.version, checked.fields, editor.user, now) };
  } catch (err) {
    const problem = raceProblem(err);
    if (!problem) throw err;
    return { ok: false, problems: [problem] };
  }
}

/** What a change that lost a race is told (someone saved, deleted or made the same digest first). */
function raceProblem(err: unknown): RuleProblem | undefined {
  if (err instanceof StaleDigestError)
    return {
      path: 'targets',
      message: `changed by ${err.changedBy} since you opened it (now version ${err.currentVersion}): close this form and open the digest again, then make your change`,
    };
  if (err instanceof DigestNotFoundError) return { path: 'targets', message: 'this digest was deleted since you opened it' };
  if (err instanceof DigestTakenError) return { path: 'every', message: 'that channel already has this digest: edit that one' };
  return undefined;
}

/** Delete a chat-made digest at the version its form was opened on, if the person is in its channel. */
export async function deleteDigestForm(ctx: CommandContext, editor: RuleEditor, edit: DigestEdit): Promise<string> {
  if (isConfigDigest(edit.digestId)) return `${edit.digestId} is defined in waba-pulse.yaml: remove it there.`;
  const stored = await ctx.store.preferences.subscription(edit.digestId);
  if (!stored) return 'This digest was already deleted.';
  if (stored.platform !== editor.platform || !(await editor.isMember(stored.conversation)))
    return 'Only someone in its channel may delete this digest.';
  try {
    await ctx.store.preferences.deleteDigest(edit.digestId, edit.version, editor.user, ctx.now());
    return 'Digest deleted: it is not posted again.';
  } catch (err) {
    if (err instanceof DigestNotFoundError) return 'This digest was already deleted.';
    if (!(err instanceof StaleDigestError)) throw err;
    return `Not deleted: changed by ${err.changedBy} since you opened it (now version ${err.currentVersion}). Open it again to see their change.`;
  }
}

function isConfigDigest(id: string): boolean {
  return id.startsWith('digests[');
}

/**
 * A stored digest back in the YAML's shape (to fill its form for an edit), posting to `target`:
 * the platform's own target for the digest's conversation (`{ <platform>: { … } }`).
 */
export function digestDefinition(config: Config, s: Subscription, target: Record<string, unknown>): Record<string, unknown> {
  const account = config.accounts.find((a) => a.id === s.accountId);
  return {
    account: account?.name ?? s.accountId,
    every: s.every,
    at: s.at,
    day: WEEKDAY_KEYS.find((k) => WEEKDAYS[k] === s.weekday) ?? 'mon',
    timezone: s.timezone,
    ...(s.by ? { by: s.by } : {}),
    targets: [target],
  };
}

/** The digests posting to a conversation: the config file's, then those made in chat (or by `subscribe`) there. */
export async function digestsOf(ctx: CommandContext, target: { platform: Platform; conversation: string }): Promise<SetupDigest[]> {
  const names = new Map(ctx.config.accounts.map((a) => [a.id, a.displayName]));
  const line = (d: {
    accountId: string;
    every: 'daily' | 'weekly';
    at: string;
    weekday: number;
    timezone: string;
    by?: string | undefined;
  }) => [names.get(d.accountId) ?? d.accountId, describeSchedule(d), ...(d.by ? [`by ${d.by}`] : [])].join(' · ');
  const fromConfig = configDigests(ctx.config)
    .filter((d) => d.target.platform === target.platform && d.target.conversation === target.conversation)
    .map((d): SetupDigest => ({ id: d.origin, origin: 'config', summary: line(d) }));
  // A subscription the config file already covers does not run (jobs/digests.ts): not listed either.
  const covered = new Set(configDigests(ctx.config).map((d) => coverageKey(d)));
  const stored = (await ctx.store.preferences.listSubscriptions(target)).filter(
    (s) => !covered.has(coverageKey({ target: s, accountId: s.accountId, every: s.every })),
  );
  return [
    ...fromConfig,
    ...stored.map((s): SetupDigest => ({ id: s.id, origin: 'chat', summary: line(s), version: s.version, updatedBy: s.updatedBy })),
  ];
}
