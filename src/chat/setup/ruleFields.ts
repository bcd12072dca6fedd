/**
 * An alert rule's form, the same on every platform: its fields as a person typed or chose them
 * (text, nothing checked yet), turned into a rule in the YAML's shape for the config's own schema
 * to judge, read back from a stored rule to edit it, and the schema's problems pointed at the
 * field they are about. Each platform draws the fields its own way and names its own inputs.
 */

/** A rule's fields as typed or chosen (nothing checked yet). */
export interface RuleFields {
  /** `drop` (the default) or `health`. */
  kind?: string | undefined;
  name?: string | undefined;
  account?: string | undefined;
  source?: string | undefined;
  /** Comma- or space-separated, as typed. */
  numbers?: string | undefined;
  countries?: string | undefined;
  /** A number as typed ("50"), a rate as typed ("0.9", "90%"). */
  minSent?: string | undefined;
  rateFloor?: string | undefined;
  sensitivity?: string | undefined;
  drillDown?: string[] | undefined;
  remindEvery?: string | undefined;
}

export type RuleField = keyof RuleFields;

/** Every field, in the order the forms show them. */
export const RULE_FIELD_NAMES = [
  'kind',
  'name',
  'account',
  'source',
  'numbers',
  'countries',
  'minSent',
  'rateFloor',
  'sensitivity',
  'drillDown',
  'remindEvery',
] as const satisfies readonly RuleField[];

/** How often an unanswered alert is reminded, as the forms offer it (a stored other value is kept as a choice). */
export const REMIND_CHOICES: readonly string[] = ['15m', '30m', '1h', '2h', '4h', '12h', '1d'];
export const DEFAULT_REMIND = '4h';

/** A drop rule's breakdown when none is stored. */
export const DEFAULT_DRILL_DOWN: readonly string[] = ['phone', 'country'];

/** Comma- or space-separated text as a list (nothing typed: none). */
export function listOf(value: string | undefined, separators = /[,\s]+/): string[] | undefined {
  return value
    ?.split(separators)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A number as typed, or the text itself (so the schema names it as not a number); "90%" as 0.9 where a rate is meant. */
function numberOf(value: string | undefined, percent = false): number | string | undefined {
  if (value === undefined) return undefined;
  const match = /^(-?\d+(?:\.\d+)?)\s*(%?)$/.exec(value);
  if (!match) return value;
  return match[2] && percent ? Number(match[1]) / 100 : Number(match[1]);
}

/**
 * The fields as a rule in the YAML's shape, posting to `target` (the platform's own target, such
 * as `{ <platform>: { … } }`; none chosen yet: no target), for the config's schema to judge —
 * nothing dropped, nothing guessed.
 */
export function ruleDefinition(fields: RuleFields, target: Record<string, unknown> | undefined): Record<string, unknown> {
  const common = {
    ...(fields.name ? { name: fields.name } : {}),
    account: fields.account ?? '',
    ...(fields.remindEvery ? { remindEvery: fields.remindEvery } : {}),
  };
  const targets = target ? [target] : [];
  // A health rule takes none of a drop rule's settings (the schema refuses them by name).
  if (fields.kind === 'health') return { kind: 'health', ...common, targets };
  // A display number may be typed with spaces ("+1 631 555 1000"): only commas and lines part them.
  const numbers = listOf(fields.numbers, /[,;\n]+/);
  const countries = listOf(fields.countries);
  const minSent = numberOf(fields.minSent);
  const rateFloor = numberOf(fields.rateFloor, true);
  return {
    // Drop is the default, left unsaid; anything else but health is for the schema to refuse by name.
    ...(fields.kind && fields.kind !== 'drop' ? { kind: fields.kind } : {}),
    ...common,
    source: fields.source ?? 'graph',
    ...(numbers?.length || countries?.length
      ? { scope: { ...(numbers?.length ? { phoneNumbers: numbers } : {}), ...(countries?.length ? { countries } : {}) } }
      : {}),
    ...(minSent !== undefined ? { minSent } : {}),
    ...(rateFloor !== undefined ? { rateFloor } : {}),
    sensitivity: fields.sensitivity ?? 'normal',
    drillDown: fields.drillDown ?? [],
    targets,
  };
}

/** A stored rule's definition back as its fields (to edit it); where it posts is the platform's to read. */
export function fieldsOf(definition: Record<string, unknown>): RuleFields {
  const scope = (definition.scope ?? {}) as { phoneNumbers?: unknown[]; countries?: unknown[] };
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    kind: str(definition.kind) ?? 'drop',
    name: str(definition.name),
    account: str(definition.account),
    source: str(definition.source),
    numbers: scope.phoneNumbers?.join(', '),
    countries: scope.countries?.join(', '),
    minSent: str(definition.minSent),
    rateFloor: str(definition.rateFloor),
    sensitivity: str(definition.sensitivity),
    drillDown: Array.isArray(definition.drillDown) ? definition.drillDown.map(String) : [...DEFAULT_DRILL_DOWN],
    remindEvery: str(definition.remindEvery),
  };
}

/**
 * The field a schema problem (`scope.countries[0]`, `minSent`) is about; `targets` for where the
 * rule posts and for anything rule-wide (a stale edit, not an admin), never dropped.
 */
export function fieldOfProblem(path: string): RuleField | 'targets' {
  if (path.startsWith('scope.phoneNumbers')) return 'numbers';
  if (path.startsWith('scope.countries')) return 'countries';
  const top = path.split(/[.[]/)[0] ?? '';
  const direct: readonly string[] = RULE_FIELD_NAMES.filter((f) => f !== 'numbers' && f !== 'countries');
  return direct.includes(top) ? (top as RuleField) : 'targets';
}

/** Problems gathered per place (a field, or wherever a platform shows the rest), several joined with "; ". */
export function problemsBy<K extends string>(
  problems: readonly { path: string; message: string }[],
  placeOf: (path: string) => K,
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const p of problems) {
    const at = placeOf(p.path);
    out[at] = out[at] ? `${out[at]}; ${p.message}` : p.message;
  }
  return out;
}
