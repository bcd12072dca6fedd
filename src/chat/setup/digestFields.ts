/**
 * A digest's form, the same on every platform: its fields as typed or chosen, turned into a
 * digest in the YAML's shape for the config's schema to judge, read back to edit it, and the
 * problems pointed at their field. Each platform draws the fields and names its inputs itself.
 */

/** A digest's fields as typed or chosen (nothing checked yet). */
export interface DigestFormFields {
  account?: string | undefined;
  /** `daily` or `weekly`. */
  every?: string | undefined;
  /** `mon`…`sun`: a weekly digest's day. */
  day?: string | undefined;
  /** HH:MM (a time input's seconds are dropped). */
  at?: string | undefined;
  timezone?: string | undefined;
  /** `phone`, `country`, or `none`. */
  by?: string | undefined;
}

export type DigestField = keyof DigestFormFields;

export const DIGEST_FIELD_NAMES = ['account', 'every', 'day', 'at', 'timezone', 'by'] as const satisfies readonly DigestField[];

/**
 * The fields as a digest in the YAML's shape, posting to `target` (the platform's own target;
 * none chosen yet: no target), for the config's schema to judge — nothing dropped, nothing guessed.
 */
export function digestFormDefinition(fields: DigestFormFields, target: Record<string, unknown> | undefined): Record<string, unknown> {
  // A time input may send seconds ("09:00:00"): the schema's HH:MM is what is meant.
  const at = fields.at && /^\d\d:\d\d:\d\d$/.test(fields.at) ? fields.at.slice(0, 5) : (fields.at ?? '');
  return {
    account: fields.account ?? '',
    every: fields.every ?? 'daily',
    ...(fields.every === 'weekly' ? { day: fields.day ?? 'mon' } : {}),
    at,
    ...(fields.timezone ? { timezone: fields.timezone } : {}),
    ...(fields.by && fields.by !== 'none' ? { by: fields.by } : {}),
    targets: target ? [target] : [],
  };
}

/** A digest in the YAML's shape (`digestDefinition` of a stored one) back as its fields, to edit it. */
export function digestFieldsOf(definition: Record<string, unknown>): DigestFormFields {
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  return {
    account: str(definition.account),
    every: str(definition.every),
    day: str(definition.day),
    at: str(definition.at),
    timezone: str(definition.timezone),
    by: str(definition.by) ?? 'none',
  };
}

/** The field a problem is about; `targets` for where it posts and anything digest-wide (a stale edit). */
export function digestFieldOfProblem(path: string): DigestField | 'targets' {
  const top = path.split(/[.[]/)[0] ?? '';
  return (DIGEST_FIELD_NAMES as readonly string[]).includes(top) ? (top as DigestField) : 'targets';
}
