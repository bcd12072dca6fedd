import type { RuleProblem } from '../../config/chatRules.js';
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
} as const;

/** What the form holds: a rule's fields as typed or chosen (nothing checked yet). */
export interface RuleFormValues {
  channel?: string | undefined;
  kind?: string | undefined;
  name?: string | undefined;
  account?: string | undefined;
  source?: string | undefined;
  numbers?: string | undefined;
  countries?: string | undefined;
  minSent?: string | undefined;
  rateFloor?: string | undefined;
  sensitivity?: string | undefined;
  drillDown?: string[] | undefined;
}

/** Carried by the form between Slack and us: the rule being edited and the version it started from. Never trusted for access. */
export interface RuleFormMetadata {
  ruleId?: string | undefined;
  version?: number | undefined;
}

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

function text(block: string, label: string, hint: string, initial: string | undefined, optional = true): Block {
  return {
    type: 'input',
    block_id: block,
    optional,
    label: { type: 'plain_text', text: label },
    hint: { type: 'plain_text', text: hint },
    element: { type: 'plain_text_input', action_id: 'value', ...(initial ? { initial_value: initial } : {}) },
  };
}

/** An existing rule may be deleted (at the version its form was opened on, like an edit), once Slack has asked to confirm. */
const deleteButton = {
  type: 'button',
  action_id: 'setup_delete_rule',
  style: 'danger',
  text: { type: 'plain_text', text: 'Delete rule' },
  value: 'delete',
  confirm: {
    title: { type: 'plain_text', text: 'Delete this rule?' },
    text: { type: 'plain_text', text: 'Its alerts stop; the change log keeps what it was.' },
    confirm: { type: 'plain_text', text: 'Delete' },
    deny: { type: 'plain_text', text: 'Keep it' },
  },
};

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
    {
      type: 'input',
      block_id: FIELDS.channel,
      label: { type: 'plain_text', text: 'Post alerts to' },
      element: {
        type: 'conversations_select',
        action_id: 'value',
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(v.channel ? { initial_conversation: v.channel } : { default_to_current_conversation: true }),
      },
    },
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
    text(FIELDS.name, 'Name', 'Optional; unique among the alert rules', v.name),
    select(
      FIELDS.source,
      'Judge',
      [
        { value: 'graph', label: "Graph's delivery analytics (half hours)" },
        { value: 'webhooks', label: 'Status webhooks (minutes)' },
      ],
      v.source ?? 'graph',
    ),
    text(FIELDS.numbers, 'Only these numbers', 'Display numbers with country code, comma-separated; empty: all', v.numbers),
    text(FIELDS.countries, 'Only these countries', 'ISO codes such as IN, BR, comma-separated; empty: all', v.countries),
    text(FIELDS.minSent, 'Judge a half hour from this many sent', 'A whole number; empty: 200', v.minSent),
    text(
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
        ...(options.metadata.ruleId ? [deleteButton] : []),
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
  };
}

const list = (value: string | undefined) =>
  value
    ?.split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** A number as typed, or the text itself (so the schema names it as not a number). */
function numberOf(value: string | undefined, percent = false): number | string | undefined {
  if (value === undefined) return undefined;
  const match = /^(-?\d+(?:\.\d+)?)\s*(%?)$/.exec(value);
  if (!match) return value;
  return match[2] && percent ? Number(match[1]) / 100 : Number(match[1]);
}

/** The form as a rule in the YAML's shape, for the config's schema to judge (nothing dropped, nothing guessed). */
export function ruleDefinition(values: RuleFormValues, platformKey: string): Record<string, unknown> {
  const numbers = list(values.numbers);
  const countries = list(values.countries);
  const minSent = numberOf(values.minSent);
  const rateFloor = numberOf(values.rateFloor, true);
  const common = {
    ...(values.name ? { name: values.name } : {}),
    account: values.account ?? '',
  };
  const targets = values.channel ? [{ [platformKey]: { channel: values.channel } }] : [];
  // A health rule takes none of a drop rule's settings (the schema refuses them by name).
  if (values.kind === 'health') return { kind: 'health', ...common, targets };
  return {
    ...common,
    source: values.source ?? 'graph',
    ...(numbers?.length || countries?.length
      ? { scope: { ...(numbers?.length ? { phoneNumbers: numbers } : {}), ...(countries?.length ? { countries } : {}) } }
      : {}),
    ...(minSent !== undefined ? { minSent } : {}),
    ...(rateFloor !== undefined ? { rateFloor } : {}),
    sensitivity: values.sensitivity ?? 'normal',
    drillDown: values.drillDown ?? [],
    targets,
  };
}

/** A stored rule's definition back as the form's fields (to edit it). */
export function valuesOf(definition: Record<string, unknown>): RuleFormValues {
  const scope = (definition.scope ?? {}) as { phoneNumbers?: unknown[]; countries?: unknown[] };
  const target = ((definition.targets as Array<Record<string, { channel?: string }>> | undefined) ?? [])[0];
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    channel: target ? Object.values(target)[0]?.channel : undefined,
    kind: str(definition.kind) ?? 'drop',
    name: str(definition.name),
    account: str(definition.account),
    source: str(definition.source),
    numbers: scope.phoneNumbers?.join(', '),
    countries: scope.countries?.join(', '),
    minSent: str(definition.minSent),
    rateFloor: str(definition.rateFloor),
    sensitivity: str(definition.sensitivity),
    drillDown: (definition.drillDown as string[] | undefined) ?? ['phone', 'country'],
  };
}

/** The schema's problems as Slack's per-field errors (`response_action: errors`), each on the field it is about. */
export function fieldErrors(problems: readonly RuleProblem[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of problems) {
    const block = blockOf(p.path);
    errors[block] = errors[block] ? `${errors[block]}; ${p.message}` : p.message;
  }
  return errors;
}

function blockOf(path: string): string {
  if (path.startsWith('scope.phoneNumbers')) return FIELDS.numbers;
  if (path.startsWith('scope.countries')) return FIELDS.countries;
  if (path.startsWith('targets')) return FIELDS.channel;
  const top = path.split(/[.[]/)[0] ?? '';
  const known: Record<string, string> = {
    kind: FIELDS.kind,
    name: FIELDS.name,
    account: FIELDS.account,
    source: FIELDS.source,
    minSent: FIELDS.minSent,
    rateFloor: FIELDS.rateFloor,
    sensitivity: FIELDS.sensitivity,
    drillDown: FIELDS.drillDown,
  };
  // Anything else (a rule-wide problem) is shown on the first field, never dropped.
  return known[top] ?? FIELDS.channel;
}
