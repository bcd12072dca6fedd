/**
 * Reads Graph field expressions as the sandbox receives them:
 * `id,analytics.start(1).end(2).granularity(DAY).phone_numbers(["1631..."])`.
 */
export interface FieldExpression {
  name: string;
  modifiers: Map<string, string>;
  /** An edge's own fields: `phone_numbers.limit(100){id,quality_rating}`. */
  subfields?: string[];
}

/** Split at commas outside parentheses, brackets and quotes. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (ch === separator && depth === 0 && !quote) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

export class FieldSyntaxError extends Error {}

/** `expr{a,b}` → [`expr`, `a,b`]: the sub-fields in braces at the end of a field, outside parentheses. */
function splitSubfields(part: string): [string, string | undefined] {
  let depth = 0;
  for (let i = 0; i < part.length; i++) {
    const ch = part[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === '{' && depth === 0) {
      if (!part.endsWith('}')) throw new FieldSyntaxError(`Syntax error "Expected "}" at the end of ${part}"`);
      return [part.slice(0, i), part.slice(i + 1, -1)];
    }
  }
  return [part, undefined];
}

export function parseFields(fields: string): FieldExpression[] {
  return splitTopLevel(fields, ',').map((whole) => {
    const [part, inner] = splitSubfields(whole);
    const subfields = inner === undefined ? undefined : splitTopLevel(inner, ',');
    const segments = splitTopLevel(part, '.');
    const name = segments.shift()!;
    if (!/^[a-z_]+$/.test(name)) throw new FieldSyntaxError(`Syntax error "Expected end of string instead of "${part}"."`);
    const modifiers = new Map<string, string>();
    for (const segment of segments) {
      const match = /^([a-z_]+)\((.*)\)$/s.exec(segment);
      if (!match) throw new FieldSyntaxError(`Syntax error "Expected "(" after ${segment}"`);
      modifiers.set(match[1]!, match[2]!);
    }
    return subfields ? { name, modifiers, subfields } : { name, modifiers };
  });
}

/** A modifier argument that should be a JSON array (`["IN","US"]`, `[0,2]`). */
export function parseListArgument(raw: string | undefined): unknown[] | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as unknown;
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
