import type { RuleProblem } from '../../config/chatRules.js';
import { type Block, clip } from './render.js';

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
} as const;

/** What the form holds: a digest's fields as typed or chosen (nothing checked yet). */
export interface DigestFormValues {
  channel?: string | undefined;
  account?: string | undefined;
  every?: string | undefined;
  day?: string | undefined;
  at?: string | undefined;
  timezone?: string | undefined;
  by?: string | undefined;
}

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

/** Slack's most options in a select. */
const SELECT_OPTIONS = 100;

const option = (value: string, label = value) => ({ text: { type: 'plain_text' as const, text: clip(label, 75) }, value });

function select(block: string, label: string, all: Array<{ value: string; label: string }>, initial: string | undefined): Block {
  // Slack offers at most 100 options, the chosen one among them (past 100, the rest is in the config file).
  const chosen = all.find((o) => o.value === initial);
  const options = all.slice(0, SELECT_OPTIONS);
  if (chosen && !options.includes(chosen)) options.splice(SELECT_OPTIONS - 1, 1, chosen);
  return {
    type: 'input',
    block_id: block,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'static_select',
      action_id: 'value',
      options: options.map((o) => option(o.value, o.label)),
      ...(chosen ? { initial_option: option(chosen.value, chosen.label) } : {}),
    },
  };
}

/** An existing digest may be deleted (at the version its form was opened on), once Slack has asked to confirm. */
const deleteButton = {
  type: 'actions',
  block_id: 'digest_actions',
  elements: [
    {
      type: 'button',
      action_id: 'setup_delete_digest',
      style: 'danger',
      text: { type: 'plain_text', text: 'Delete digest' },
      value: 'delete',
      confirm: {
        title: { type: 'plain_text', text: 'Delete this digest?' },
        text: { type: 'plain_text', text: 'It is not posted again; the change log keeps what it was.' },
        confirm: { type: 'plain_text', text: 'Delete' },
        deny: { type: 'plain_text', text: 'Keep it' },
      },
    },
  ],
};

/** The digest form as a modal: the same fields as a digest under `digests:`. */
export function digestFormView(options: {
  accounts: Array<{ value: string; label: string }>;
  values: DigestFormValues;
  metadata: DigestFormMetadata;
}): Record<string, unknown> {
  const v = options.values;
  const blocks: Block[] = [
    {
      type: 'input',
      block_id: FIELDS.channel,
      label: { type: 'plain_text', text: 'Post the digest to' },
      element: {
        type: 'conversations_select',
        action_id: 'value',
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(v.channel ? { initial_conversation: v.channel } : { default_to_current_conversation: true }),
      },
    },
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
    {
      type: 'input',
      block_id: FIELDS.timezone,
      optional: true,
      label: { type: 'plain_text', text: 'Time zone' },
      hint: { type: 'plain_text', text: "An IANA name such as Europe/Berlin or Asia/Kolkata; empty: the account's" },
      element: { type: 'plain_text_input', action_id: 'value', ...(v.timezone ? { initial_value: v.timezone } : {}) },
    },
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
  if (options.metadata.digestId) blocks.push(deleteButton);
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

/** The form as a digest in the YAML's shape, for the config's schema to judge (nothing dropped, nothing guessed). */
export function digestFormDefinition(values: DigestFormValues, platformKey: string): Record<string, unknown> {
  return {
    account: values.account ?? '',
    every: values.every ?? 'daily',
    ...(values.every === 'weekly' ? { day: values.day ?? 'mon' } : {}),
    at: values.at ?? '',
    ...(values.timezone ? { timezone: values.timezone } : {}),
    ...(values.by && values.by !== 'none' ? { by: values.by } : {}),
    targets: values.channel ? [{ [platformKey]: { channel: values.channel } }] : [],
  };
}

/** A stored digest's definition back as the form's fields (to edit it). */
export function digestValuesOf(definition: Record<string, unknown>): DigestFormValues {
  const target = ((definition.targets as Array<Record<string, { channel?: string }>> | undefined) ?? [])[0];
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    channel: target ? Object.values(target)[0]?.channel : undefined,
    account: str(definition.account),
    every: str(definition.every),
    day: str(definition.day),
    at: str(definition.at),
    timezone: str(definition.timezone),
    by: str(definition.by) ?? 'none',
  };
}

/** The problems as Slack's per-field errors (`response_action: errors`), each on the field it is about. */
export function digestFieldErrors(problems: readonly RuleProblem[]): Record<string, string> {
  const known: Record<string, string> = {
    targets: FIELDS.channel,
    account: FIELDS.account,
    every: FIELDS.every,
    day: FIELDS.day,
    at: FIELDS.at,
    timezone: FIELDS.timezone,
    by: FIELDS.by,
  };
  const errors: Record<string, string> = {};
  for (const p of problems) {
    // Anything else (a digest-wide problem) is shown on the first field, never dropped.
    const block = known[p.path.split(/[.[]/)[0] ?? ''] ?? FIELDS.channel;
    errors[block] = errors[block] ? `${errors[block]}; ${p.message}` : p.message;
  }
  return errors;
}
