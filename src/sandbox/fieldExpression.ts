/**
 * Reads Graph field expressions as the sandbox receives them:
 * `id,analytics.start(1).end(2).granularity(DAY).phone_numbers(["1631..."])`.
 */
export interface FieldExpression {
  name: string;
  modifiers: Map<string, string>;
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

export function parseFields(fields: string): FieldExpression[] {
  return splitTopLevel(fields, ',').map((part) => {
    const segments = splitTopLevel(part, '.');
    const name = segments.shift()!;
    if (!/^[a-z_]+$/.test(name)) throw new FieldSyntaxError(`Syntax error "Expected end of string instead of "${part}"."`);
    const modifiers = new Map<string, string>();
    for (const segment of segments) {
      const match = /^([a-z_]+)\((.*)\)$/s.exec(segment);
      if (!match) throw new FieldSyntaxError(`Syntax error "Expected "(" after ${segment}"`);
      modifiers.set(match[1]!, match[2]!);
    }
    return { name, modifiers };
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
