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
