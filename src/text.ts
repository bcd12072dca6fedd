/**
 * Echoing what a person typed back to them: quoted, and clipped so that a megabyte pasted into
 * a command never comes back as a megabyte acknowledgement (or a card Teams refuses).
 */
export const MAX_ECHO = 100;

/** `value` clipped to `max` characters with an ellipsis. */
export function clipEcho(value: string, max = MAX_ECHO): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}

/** `"value"`, clipped: the form every user-facing message quotes input in. */
export function quoted(value: unknown, max = MAX_ECHO): string {
  return `"${clipEcho(String(value), max)}"`;
}

/**
 * Whether a value a person put where a name or id belongs is more likely a credential: Graph
 * tokens (EAA…), Slack tokens (xox…-), or a long run mixing upper and lower case with digits, as
 * random secrets do and names, ids and variable names do not.
 */
export function looksLikeSecret(value: string): boolean {
  const text = value.trim();
  if (/^(EAA[A-Za-z0-9]{10,}|xox[a-z]-|xapp-|Bearer\s)/.test(text)) return true;
  return text.length >= 20 && /[a-z]/.test(text) && /[A-Z]/.test(text) && /\d/.test(text) && !/\s/.test(text);
}

/** `quoted(value)`, or what it is without the value itself when it looks like a secret: config errors name the key instead. */
export function quotedUnlessSecret(value: unknown): string {
  const text = String(value);
  return looksLikeSecret(text) ? `a ${[...text].length}-character value (not shown: it looks like an access token)` : quoted(text);
}
