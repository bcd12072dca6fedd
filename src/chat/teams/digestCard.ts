import type { RuleProblem } from '../../config/chatRules.js';
import type { Config } from '../../config/load.js';
import type { Subscription } from '../../store/types.js';
import {
  DIGEST_FIELD_NAMES,
  type DigestField,
  type DigestFormFields,
  digestFieldOfProblem,
  digestFieldsOf,
  digestFormDefinition,
} from '../setup/digestFields.js';
import { digestDefinition } from '../setup/digests.js';
import { problemsBy } from '../setup/ruleFields.js';
import { type Card, card, rich, run, text } from './cards.js';
import { choice, choiceSet, confirmDelete, execute, field, problemLine } from './formInputs.js';
import { SETUP_VERBS } from './ruleCard.js';

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

/** Each field's input id is its name. */
const FIELDS = DIGEST_FIELD_NAMES;
type Field = DigestField;

export type DigestCardValues = DigestFormFields;

/** Carried in the buttons' data: the digest being edited and its version. Never trusted for access. */
export interface DigestCardMetadata {
  digestId?: string | undefined;
  version?: number | undefined;
}

export type DigestCardErrors = Partial<Record<Field | 'top', string>>;

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

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
    ...(errors.top ? [problemLine(errors.top, false)] : []),
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
        ...(metadata.digestId ? [confirmDelete('Delete this digest? It is not posted again.', DIGEST_VERBS.deleteDigest, data)] : []),
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
export function cardDigestDefinition(values: DigestCardValues, conversation: string): Record<string, unknown> {
  return digestFormDefinition(values, { teams: { conversation } });
}

/** A stored digest back as the card's fields (to edit it). */
export function storedDigestValues(config: Config, s: Subscription): DigestCardValues {
  return digestFieldsOf(digestDefinition(config, s, { teams: { conversation: s.conversation } }));
}

/** The checks' problems beside their fields; the conversation's and a stale edit's at the top. */
export function digestErrors(problems: readonly RuleProblem[]): DigestCardErrors {
  return problemsBy(problems, (path): Field | 'top' => {
    const field = digestFieldOfProblem(path);
    return field === 'targets' ? 'top' : field;
  });
}
