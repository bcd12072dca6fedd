import type { RuleProblem } from '../../config/chatRules.js';
import {
  DEFAULT_DRILL_DOWN,
  DEFAULT_REMIND,
  fieldOfProblem,
  listOf,
  problemsBy,
  REMIND_CHOICES,
  RULE_FIELD_NAMES,
  type RuleField,
  type RuleFields,
  ruleDefinition,
} from '../setup/ruleFields.js';
import { type Card, card, rich, run, text } from './cards.js';
import { choice, choiceSet, confirmDelete, execute, field, problemLine, textInput } from './formInputs.js';

/**
 * The alert-rule form as an Adaptive Card: the fields of a rule under `alerts:`, each an input
 * whose value comes back (with the action's data) in the `adaptiveCard/action` invoke; Preview,
 * Save and Delete as `Action.Execute`, answered by this card drawn again in place.
 */

/** What the card's buttons are called back as (the invoke's `action.verb`). */
export const SETUP_VERBS = {
  settings: 'waba-pulse.settings',
  newRule: 'waba-pulse.rule.new',
  editRule: 'waba-pulse.rule.edit',
  preview: 'waba-pulse.rule.preview',
  save: 'waba-pulse.rule.save',
  deleteRule: 'waba-pulse.rule.delete',
} as const;

/** Each field's input id: its value comes back under it. */
export const RULE_FIELDS = {
  kind: 'kind',
  name: 'name',
  account: 'account',
  source: 'source',
  numbers: 'numbers',
  countries: 'countries',
  minSent: 'minSent',
  rateFloor: 'rateFloor',
  sensitivity: 'sensitivity',
  drillDown: 'drillDown',
  remindEvery: 'remindEvery',
} as const satisfies Record<RuleField, string>;
type Field = (typeof RULE_FIELDS)[RuleField];

/** A rule's fields as typed or chosen (nothing checked yet). */
export type RuleCardValues = RuleFields;

/** Carried in the buttons' data: the rule being edited and the version its card was opened on. Never trusted for access. */
export interface RuleCardMetadata {
  ruleId?: string | undefined;
  version?: number | undefined;
}

/** Where a problem is shown: beside its field, or (`top`) under the card's title. */
export type RuleCardErrors = Partial<Record<Field | 'top', string>>;

/** A minSent as the number input can hold it (only a plain whole number; anything else stays in the error line). */
function numberValue(value: string | undefined): number | undefined {
  return value !== undefined && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
}

/** What every rule has: its account, kind, name and reminder. */
function ruleInputs(v: RuleCardValues, accounts: Array<{ value: string; label: string }>, errors: RuleCardErrors): unknown[] {
  const remind = v.remindEvery ?? DEFAULT_REMIND;
  return [
    ...field(
      choiceSet(
        RULE_FIELDS.account,
        accounts.map((a) => choice(a.value, a.label)),
        v.account ?? accounts[0]?.value,
        { isRequired: true, errorMessage: 'choose an account' },
      ),
      'WhatsApp account',
      errors.account,
    ),
    ...field(
      choiceSet(
        RULE_FIELDS.kind,
        [
          choice('drop', 'A drop in delivery (the settings below)'),
          choice('health', 'Health: numbers flagged or limited, templates paused'),
        ],
        v.kind === 'health' ? 'health' : 'drop',
      ),
      'Alert on',
      errors.kind,
    ),
    text('A health rule is judged from the health webhooks every minute: the drop settings below do not apply to it.', {
      isSubtle: true,
      size: 'Small',
      spacing: 'None',
    }),
    ...field(textInput(RULE_FIELDS.name, 'Optional; unique among the alert rules', v.name), 'Name', errors.name),
    ...field(
      choiceSet(
        RULE_FIELDS.remindEvery,
        [...new Set([...REMIND_CHOICES, remind])].map((r) => choice(r)),
        remind,
      ),
      'Remind while open, every',
      errors.remindEvery,
    ),
  ];
}

/** A drop rule's settings (a health rule takes none of them). */
function dropInputs(v: RuleCardValues, errors: RuleCardErrors): unknown[] {
  return [
    rich([run('For a drop in delivery', { weight: 'Bolder' })], { spacing: 'Large', separator: true }),
    ...field(
      choiceSet(
        RULE_FIELDS.source,
        [choice('graph', "Graph's delivery analytics (half hours)"), choice('webhooks', 'Status webhooks (minutes)')],
        v.source ?? 'graph',
      ),
      'Judge',
      errors.source,
    ),
    ...field(textInput(RULE_FIELDS.numbers, 'e.g. +1 631 555 1000; empty: all', v.numbers), 'Only these numbers', errors.numbers),
    ...field(textInput(RULE_FIELDS.countries, 'e.g. IN, BR; empty: all', v.countries), 'Only these countries', errors.countries),
    ...field(
      {
        type: 'Input.Number',
        id: RULE_FIELDS.minSent,
        placeholder: 'empty: 200',
        min: 0,
        errorMessage: 'a whole number, 0 or more',
        ...(numberValue(v.minSent) !== undefined ? { value: numberValue(v.minSent) } : {}),
      },
      'Judge a half hour from this many sent',
      errors.minSent,
    ),
    ...field(
      textInput(RULE_FIELDS.rateFloor, '0.9 or 90%; empty: baseline only', v.rateFloor),
      'Alert below this delivery rate',
      errors.rateFloor,
    ),
    ...field(
      choiceSet(
        RULE_FIELDS.sensitivity,
        ['low', 'normal', 'high'].map((s) => choice(s)),
        v.sensitivity ?? 'normal',
      ),
      'Sensitivity',
      errors.sensitivity,
    ),
    ...field(
      choiceSet(
        RULE_FIELDS.drillDown,
        [choice('phone', 'phone number'), choice('country')],
        (v.drillDown ?? DEFAULT_DRILL_DOWN).join(','),
        { style: 'expanded', isMultiSelect: true },
      ),
      'Drill down by',
      errors.drillDown,
    ),
  ];
}

/**
 * The rule form: what was typed kept, the server's words beside each field, the preview's answer
 * (or "previewing…") under the buttons. An open rule's card has Delete (behind a confirm).
 */
export function ruleFormCard(options: {
  accounts: Array<{ value: string; label: string }>;
  values: RuleCardValues;
  metadata: RuleCardMetadata;
  errors?: RuleCardErrors | undefined;
  preview?: string | undefined;
  /** A line of news at the top ("Saved."). */
  notice?: string | undefined;
}): Card {
  const { metadata } = options;
  const errors = options.errors ?? {};
  const data = { ruleId: metadata.ruleId, version: metadata.version };
  const body: unknown[] = [
    rich([run(metadata.ruleId ? 'Edit alert rule' : 'New alert rule', { size: 'Medium', weight: 'Bolder' })]),
    text(metadata.ruleId ? `${metadata.ruleId}, version ${metadata.version}: posts to this conversation` : 'Posts to this conversation', {
      isSubtle: true,
      spacing: 'None',
      size: 'Small',
    }),
    ...(options.notice ? [rich([run(options.notice, { weight: 'Bolder', color: 'Good' })])] : []),
    ...(errors.top ? [problemLine(errors.top, false)] : []),
    ...ruleInputs(options.values, options.accounts, errors),
    ...dropInputs(options.values, errors),
  ];
  if (options.preview)
    body.push({
      type: 'Container',
      style: 'emphasis',
      spacing: 'Medium',
      items: options.preview.split('\n').map((line, i) => rich([run(line, i === 0 ? { weight: 'Bolder' } : {})], { spacing: 'Small' })),
    });
  // Save and Preview side by side; Back and Delete under the form, where a phone shows them whole.
  body.push({
    type: 'ActionSet',
    spacing: 'Medium',
    actions: [
      execute('Back', SETUP_VERBS.settings, {}, { associatedInputs: 'none' }),
      ...(metadata.ruleId
        ? [confirmDelete('Delete this rule? Its alerts stop; the change log keeps what it was.', SETUP_VERBS.deleteRule, data)]
        : []),
    ],
  });
  const actions: unknown[] = [
    execute('Save', SETUP_VERBS.save, data, { style: 'positive' }),
    execute('Preview', SETUP_VERBS.preview, data),
  ];
  return card(body, actions);
}

/** What came back in an invoke's data: each field as text, whatever the client sent (nothing trusted). */
export function cardValues(data: Record<string, unknown>): RuleCardValues {
  const at = (id: Field) => {
    const v = data[id];
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return typeof v === 'string' && v.trim() ? v.trim().slice(0, 500) : undefined;
  };
  const values: RuleCardValues = {};
  for (const field of RULE_FIELD_NAMES) if (field !== 'drillDown') values[field] = at(RULE_FIELDS[field]);
  // A multi-select comes back as "phone,country"; nothing chosen, as nothing.
  values.drillDown = listOf(at(RULE_FIELDS.drillDown)) ?? [];
  return values;
}

/** The card's fields as a rule in the YAML's shape, posting to `conversation`, for the config's schema to judge. */
export function cardRuleDefinition(values: RuleCardValues, conversation: string): Record<string, unknown> {
  return ruleDefinition(values, { teams: { conversation } });
}

/** The schema's problems, each beside the field it is about; the rule-wide ones (its conversation, a stale edit) at the top. */
export function cardErrors(problems: readonly RuleProblem[]): RuleCardErrors {
  return problemsBy(problems, (path): Field | 'top' => {
    const field = fieldOfProblem(path);
    return field === 'targets' ? 'top' : RULE_FIELDS[field];
  });
}
