import type { RuleProblem } from '../../config/chatRules.js';
import {
  type DigestField,
  type DigestFormFields,
  digestFieldOfProblem,
  digestFieldsOf,
  digestFormDefinition,
} from '../setup/digestFields.js';
import { problemsBy } from '../setup/ruleFields.js';
import { firstTarget } from '../setup/rules.js';
import { channelSelect, deleteButton, select, textInput } from './formBlocks.js';
import type { Block } from './render.js';

/** The digest form's callback id: its submissions come back under it. */
export const DIGEST_FORM = 'setup_digest_form';

/** Each field's block (its value comes back under the block's id, action `value`). */
const FIELDS = {
  channel: 'digest_channel',
  account: 'digest_account',
  every: 'digest_every',
  day: 'digest_day',
  at: 'digest_at',
  timezone: 'digest_timezone',
  by: 'digest_by',
} as const satisfies Record<DigestField | 'channel', string>;

/** What the form holds: a digest's fields as typed or chosen (nothing checked yet), and the channel it posts to. */
export type DigestFormValues = DigestFormFields & { channel?: string | undefined };

/** The digest being edited and the version it started from. Never trusted for access. */
export interface DigestFormMetadata {
  digestId?: string | undefined;
  version?: number | undefined;
}

const DAYS = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
] as const;

/** An existing digest may be deleted (at the version its form was opened on). */
const deleteDigest = {
  type: 'actions',
  block_id: 'digest_actions',
  elements: [deleteButton('setup_delete_digest', 'digest', 'It is not posted again; the change log keeps what it was.')],
};

/** The digest form as a modal: the same fields as a digest under `digests:`. */
export function digestFormView(options: {
  accounts: Array<{ value: string; label: string }>;
  values: DigestFormValues;
  metadata: DigestFormMetadata;
}): Record<string, unknown> {
  const v = options.values;
  const blocks: Block[] = [
    channelSelect(FIELDS.channel, 'Post the digest to', v.channel),
    select(FIELDS.account, 'WhatsApp account', options.accounts, v.account),
    select(
      FIELDS.every,
      'How often',
      [
        { value: 'daily', label: 'Daily: the day before' },
        { value: 'weekly', label: 'Weekly: the seven days before' },
      ],
      v.every ?? 'daily',
    ),
    {
      ...select(
        FIELDS.day,
        'Weekly on',
        DAYS.map(([value, label]) => ({ value, label })),
        v.day ?? 'mon',
      ),
      optional: true,
      hint: { type: 'plain_text', text: 'Only for a weekly digest' },
    },
    {
      type: 'input',
      block_id: FIELDS.at,
      label: { type: 'plain_text', text: 'At' },
      element: { type: 'timepicker', action_id: 'value', initial_time: v.at ?? '09:00' },
    },
    textInput(FIELDS.timezone, 'Time zone', "An IANA name such as Europe/Berlin or Asia/Kolkata; empty: the account's", v.timezone),
    select(
      FIELDS.by,
      'Break down by',
      [
        { value: 'none', label: 'Nothing: totals only' },
        { value: 'phone', label: 'Phone number' },
        { value: 'country', label: 'Country' },
      ],
      v.by ?? 'none',
    ),
  ];
  if (options.metadata.digestId) blocks.push(deleteDigest);
  return {
    type: 'modal',
    callback_id: DIGEST_FORM,
    title: { type: 'plain_text', text: options.metadata.digestId ? 'Edit digest' : 'New digest' },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify(options.metadata),
    blocks,
  };
}

type StateValue = {
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_conversation?: string | null;
  selected_time?: string | null;
};

/** What the person filled in, read from the view's state (as Slack sends it back). */
export function digestFormValues(state: { values?: Record<string, Record<string, StateValue>> } | undefined): DigestFormValues {
  const at = (block: string) => state?.values?.[block]?.value;
  return {
    channel: at(FIELDS.channel)?.selected_conversation ?? undefined,
    account: at(FIELDS.account)?.selected_option?.value,
    every: at(FIELDS.every)?.selected_option?.value,
    day: at(FIELDS.day)?.selected_option?.value,
    at: at(FIELDS.at)?.selected_time ?? at(FIELDS.at)?.value ?? undefined,
    timezone: at(FIELDS.timezone)?.value?.trim() || undefined,
    by: at(FIELDS.by)?.selected_option?.value,
  };
}

/** The form as a digest in the YAML's shape, posting to the channel chosen, for the config's schema to judge. */
export function digestDefinitionOf(values: DigestFormValues): Record<string, unknown> {
  return digestFormDefinition(values, values.channel ? { slack: { channel: values.channel } } : undefined);
}

/** A digest in the YAML's shape back as the form's fields (to edit it). */
export function digestValuesOf(definition: Record<string, unknown>): DigestFormValues {
  return { ...digestFieldsOf(definition), channel: firstTarget(definition, 'slack') };
}

/** The problems as Slack's per-field errors (`response_action: errors`), each on the field it is about. */
export function digestFieldErrors(problems: readonly RuleProblem[]): Record<string, string> {
  // Anything digest-wide is shown on the first field, never dropped.
  return problemsBy(problems, (path) => {
    const field = digestFieldOfProblem(path);
    return field === 'targets' ? FIELDS.channel : FIELDS[field];
  });
}
