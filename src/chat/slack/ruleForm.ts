import type { RuleProblem } from '../../config/chatRules.js';
import {
  DEFAULT_REMIND,
  fieldOfProblem,
  fieldsOf,
  problemsBy,
  REMIND_CHOICES,
  type RuleField,
  type RuleFields,
  ruleDefinition,
} from '../setup/ruleFields.js';
import { firstTarget } from '../setup/rules.js';
import { channelSelect, deleteButton, option, select, textInput } from './formBlocks.js';
import { type Block, clip, escapeMrkdwn, LIMITS } from './render.js';

/** The rule form's callback id: its submissions come back under it. */
export const RULE_FORM = 'setup_rule_form';

/** Each field's block (its value comes back under the block's id, action `value`). */
const FIELDS = {
  channel: 'channel',
  kind: 'kind',
  name: 'name',
  account: 'account',
  source: 'source',
  numbers: 'numbers',
  countries: 'countries',
  minSent: 'min_sent',
  rateFloor: 'rate_floor',
  sensitivity: 'sensitivity',
  drillDown: 'drill_down',
  remindEvery: 'remind_every',
} as const satisfies Partial<Record<RuleField | 'channel', string>>;

/** What the form holds: a rule's fields as typed or chosen (nothing checked yet), and the channel it posts to. */
export type RuleFormValues = RuleFields & { channel?: string | undefined };

/** Carried by the form between Slack and us: the rule being edited and the version it started from. Never trusted for access. */
export interface RuleFormMetadata {
  ruleId?: string | undefined;
  version?: number | undefined;
}

/** An existing rule may be deleted (at the version its form was opened on, like an edit). */
const deleteRule = deleteButton('setup_delete_rule', 'rule', 'Its alerts stop; the change log keeps what it was.');

/**
 * The rule form as a modal: the same fields as a rule under `alerts:`, a Preview button that
 * replays it over the last 30 days (its answer shown under the button), Save to store it.
 */
export function ruleFormView(options: {
  accounts: Array<{ value: string; label: string }>;
  values: RuleFormValues;
  metadata: RuleFormMetadata;
  /** The preview's answer (or why there is none), shown under the button. */
  preview?: string | undefined;
}): Record<string, unknown> {
  const v = options.values;
  const blocks: Block[] = [
    channelSelect(FIELDS.channel, 'Post alerts to', v.channel),
    select(FIELDS.account, 'WhatsApp account', options.accounts, v.account),
    {
      ...select(
        FIELDS.kind,
        'Alert on',
        [
          { value: 'drop', label: 'A drop in delivery (the settings below)' },
          { value: 'health', label: 'Health: numbers flagged or limited, templates paused' },
        ],
        v.kind ?? 'drop',
      ),
      hint: { type: 'plain_text', text: 'A health rule needs only the account and channel: the settings below are for drops' },
    },
    textInput(FIELDS.name, 'Name', 'Optional; unique among the alert rules', v.name),
    select(
      FIELDS.remindEvery,
      'Remind an unanswered alert every',
      [...new Set([...REMIND_CHOICES, v.remindEvery ?? DEFAULT_REMIND])].map((r) => ({ value: r, label: r })),
      v.remindEvery ?? DEFAULT_REMIND,
    ),
    select(
      FIELDS.source,
      'Judge',
      [
        { value: 'graph', label: "Graph's delivery analytics (half hours)" },
        { value: 'webhooks', label: 'Status webhooks (minutes)' },
      ],
      v.source ?? 'graph',
    ),
    textInput(FIELDS.numbers, 'Only these numbers', 'Display numbers with country code, comma-separated; empty: all', v.numbers),
    textInput(FIELDS.countries, 'Only these countries', 'ISO codes such as IN, BR, comma-separated; empty: all', v.countries),
    textInput(FIELDS.minSent, 'Judge a half hour from this many sent', 'A whole number; empty: 200', v.minSent),
    textInput(
      FIELDS.rateFloor,
      'Alert below this delivery rate',
      'A fraction such as 0.9 (or 90%); empty: only against the baseline',
      v.rateFloor,
    ),
    select(
      FIELDS.sensitivity,
      'Sensitivity',
      ['low', 'normal', 'high'].map((s) => ({ value: s, label: s })),
      v.sensitivity ?? 'normal',
    ),
    {
      type: 'input',
      block_id: FIELDS.drillDown,
      optional: true,
      label: { type: 'plain_text', text: 'Drill down by' },
      element: {
        type: 'checkboxes',
        action_id: 'value',
        options: [option('phone', 'phone number'), option('country')],
        ...((v.drillDown ?? ['phone', 'country']).length
          ? { initial_options: (v.drillDown ?? ['phone', 'country']).map((d) => option(d, d === 'phone' ? 'phone number' : d)) }
          : {}),
      },
    },
    {
      type: 'actions',
      block_id: 'preview',
      elements: [
        { type: 'button', action_id: 'setup_preview', text: { type: 'plain_text', text: 'Preview: last 30 days' }, value: 'preview' },
        ...(options.metadata.ruleId ? [deleteRule] : []),
      ],
    },
  ];
  if (options.preview)
    blocks.push({
      type: 'section',
      block_id: 'preview_result',
      text: { type: 'mrkdwn', text: clip(escapeMrkdwn(options.preview), LIMITS.sectionText) },
    });
  return {
    type: 'modal',
    callback_id: RULE_FORM,
    title: { type: 'plain_text', text: options.metadata.ruleId ? 'Edit alert rule' : 'New alert rule' },
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
  selected_options?: Array<{ value: string }>;
};

/** What the person filled in, read from the view's state (as Slack sends it back). */
export function formValues(state: { values?: Record<string, Record<string, StateValue>> } | undefined): RuleFormValues {
  const at = (block: string) => state?.values?.[block]?.value;
  const textOf = (block: string) => at(block)?.value?.trim() || undefined;
  return {
    channel: at(FIELDS.channel)?.selected_conversation ?? undefined,
    kind: at(FIELDS.kind)?.selected_option?.value,
    name: textOf(FIELDS.name),
    account: at(FIELDS.account)?.selected_option?.value,
    source: at(FIELDS.source)?.selected_option?.value,
    numbers: textOf(FIELDS.numbers),
    countries: textOf(FIELDS.countries),
    minSent: textOf(FIELDS.minSent),
    rateFloor: textOf(FIELDS.rateFloor),
    sensitivity: at(FIELDS.sensitivity)?.selected_option?.value,
    drillDown: at(FIELDS.drillDown)?.selected_options?.map((o) => o.value) ?? [],
    remindEvery: at(FIELDS.remindEvery)?.selected_option?.value,
  };
}

/** The form as a rule in the YAML's shape, posting to the channel chosen, for the config's schema to judge. */
export function ruleFormDefinition(values: RuleFormValues): Record<string, unknown> {
  return ruleDefinition(values, values.channel ? { slack: { channel: values.channel } } : undefined);
}

/** A stored rule's definition back as the form's fields (to edit it). */
export function valuesOf(definition: Record<string, unknown>): RuleFormValues {
  return { ...fieldsOf(definition), channel: firstTarget(definition, 'slack') };
}

/** The schema's problems as Slack's per-field errors (`response_action: errors`), each on the field it is about. */
export function fieldErrors(problems: readonly RuleProblem[]): Record<string, string> {
  // A field this form does not show, and anything rule-wide, is shown on the first field: never dropped.
  return problemsBy(problems, (path) => {
    const field = fieldOfProblem(path);
    return (field === 'targets' ? undefined : FIELDS[field as keyof typeof FIELDS]) ?? FIELDS.channel;
  });
}
