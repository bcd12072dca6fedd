import { timingSafeEqual } from 'node:crypto';

/**
 * Every secret the process learns (Graph tokens, chat credentials) is registered here, and every
 * line we print or log passes through `redactSecrets`, so a token that slips into an error
 * message from a server or a stack trace is still never shown.
 */
const known = new Set<string>();

const MIN_SECRET_LENGTH = 6; // shorter values would blank out ordinary words

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) known.add(value);
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  // Bearer headers and access_token query parameters, whoever produced them.
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/g, '$1[redacted]').replace(/(access_token=)[^&\s"']+/g, '$1[redacted]');
}

/** Whether a presented secret (a header, a query parameter) is the expected one, compared in constant time. */
export function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
