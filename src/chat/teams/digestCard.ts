import type { RuleProblem } from '../../config/chatRules.js';
import type { Subscription } from '../../store/types.js';
import { type Card, card, rich, run, text } from './cards.js';
import { execute, SETUP_VERBS } from './ruleCard.js';

/**
 * The digest form as an Adaptive Card: a digest under `digests:` (account, daily or weekly, the
 * day, the time, its time zone, the breakdown), posting to the conversation the card is in.
 */

export const DIGEST_VERBS = {
  newDigest: 'waba-pulse.digest.new',
  editDigest: 'waba-pulse.digest.edit',
  save: 'waba-pulse.digest.save',
  deleteDigest: 'waba-pulse.digest.delete',
} as const;

const FIELDS = ['account', 'every', 'day', 'at', 'timezone', 'by'] as const;
type Field = (typeof FIELDS)[number];

export type DigestCardValues = Partial<Record<Field, string>>;

/** Carried in the buttons' data: the digest being edited and its version. Never trusted for access. */
export interface DigestCardMetadata {
  digestId?: string | undefined;
  version?: number | undefined;
}

export type DigestCardErrors = Partial<Record<Field | 'top', string>>;

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const choice = (value: string, title = value) => ({ title, value });

function field(input: Record<string, unknown>, label: string, error: string | undefined): unknown[] {
  return [{ ...input, label }, ...(error ? [rich([run(`⚠️ ${error}`, { color: 'Attention', size: 'Small' })], { spacing: 'None' })] : [])];
}

const choiceSet = (id: Field, choices: Array<{ title: string; value: string }>, value: string | undefined) => ({
  type: 'Input.ChoiceSet',
  id,
  style: 'compact',
  choices,
  ...(value ? { value } : {}),
});

/** The digest form: what was typed kept, the server's words beside each field. */
export function digestFormCard(options: {
  accounts: Array<{ value: string; label: string }>;
  values: DigestCardValues;
  metadata: DigestCardMetadata;
  errors?: DigestCardErrors | undefined;
}): Card {
  const { values: v, metadata } = options;
  const errors = options.errors ?? {};
  const data = { digestId: metadata.digestId, version: metadata.version };
  const body: unknown[] = [
    rich([run(metadata.digestId ? 'Edit digest' : 'New digest', { size: 'Medium', weight: 'Bolder' })]),
    text(metadata.digestId ? `${metadata.digestId}, version ${metadata.version}: posted here` : 'Posted in this conversation', {
      isSubtle: true,
      spacing: 'None',
      size: 'Small',
    }),
    ...(errors.top ? [rich([run(`⚠️ ${errors.top}`, { color: 'Attention' })])] : []),
    ...field(
      choiceSet(
        'account',
        options.accounts.map((a) => choice(a.value, a.label)),
        v.account ?? options.accounts[0]?.value,
      ),
      'WhatsApp account',
      errors.account,
    ),
    ...field(choiceSet('every', [choice('daily', 'Daily'), choice('weekly', 'Weekly')], v.every ?? 'daily'), 'How often', errors.every),
    ...field(
      choiceSet(
        'day',
        DAYS.map((d, i) => choice(d, DAY_NAMES[i])),
        v.day ?? 'mon',
      ),
      'Day (weekly digests)',
      errors.day,
    ),
    ...field({ type: 'Input.Time', id: 'at', value: v.at ?? '09:00' }, 'At', errors.at),
    ...field(
      {
        type: 'Input.Text',
        id: 'timezone',
        placeholder: "e.g. Europe/Berlin; empty: the account's",
        ...(v.timezone ? { value: v.timezone } : {}),
      },
      'Time zone',
      errors.timezone,
    ),
    ...field(
      choiceSet('by', [choice('none', 'Totals only'), choice('phone', 'By phone number'), choice('country', 'By country')], v.by ?? 'none'),
      'Breakdown',
      errors.by,
    ),
    {
      type: 'ActionSet',
      spacing: 'Medium',
      actions: [
        execute('Back', SETUP_VERBS.settings, {}, { associatedInputs: 'none' }),
        ...(metadata.digestId
          ? [
              {
                type: 'Action.ShowCard',
                title: 'Delete…',
                card: {
                  type: 'AdaptiveCard',
                  body: [text('Delete this digest? It is not posted again.', { size: 'Small' })],
                  actions: [execute('Delete', DIGEST_VERBS.deleteDigest, data, { style: 'destructive', associatedInputs: 'none' })],
                },
              },
            ]
          : []),
      ],
    },
  ];
  return card(body, [execute('Save', DIGEST_VERBS.save, data, { style: 'positive' })]);
}

/** What came back in an invoke's data, as text (nothing trusted). */
export function digestCardValues(data: Record<string, unknown>): DigestCardValues {
  const values: DigestCardValues = {};
  for (const f of FIELDS) {
    const v = data[f];
    if (typeof v === 'string' && v.trim()) values[f] = v.trim().slice(0, 200);
  }
  return values;
}

/** The card's fields as a digest in the YAML's shape, posting to `conversation`, for the config's schema to judge. */
export function digestDefinition(values: DigestCardValues, conversation: string): Record<string, unknown> {
  return {
    account: values.account ?? '',
    every: values.every ?? 'daily',
    // Input.Time may send seconds ("09:00:00"): the schema's HH:MM is what is meant.
    at: /^\d\d:\d\d:\d\d$/.test(values.at ?? '') ? values.at!.slice(0, 5) : (values.at ?? '09:00'),
    day: values.day ?? 'mon',
    ...(values.timezone ? { timezone: values.timezone } : {}),
    ...(values.by && values.by !== 'none' ? { by: values.by } : {}),
    targets: [{ teams: { conversation } }],
  };
}

/** A stored digest back as the card's fields (to edit it). */
export function storedDigestValues(s: Subscription, accountName: string): DigestCardValues {
  return {
    account: accountName,
    every: s.every,
    day: DAYS[s.weekday - 1] ?? 'mon',
    at: s.at,
    timezone: s.timezone,
    by: s.by ?? 'none',
  };
}

/** The checks' problems beside their fields; the conversation's and a stale edit's at the top. */
export function digestErrors(problems: readonly RuleProblem[]): DigestCardErrors {
  const errors: DigestCardErrors = {};
  for (const p of problems) {
    const top = p.path.split(/[.[]/)[0] ?? '';
    const at: Field | 'top' = (FIELDS as readonly string[]).includes(top) ? (top as Field) : 'top';
    errors[at] = errors[at] ? `${errors[at]}; ${p.message}` : p.message;
  }
  return errors;
}
