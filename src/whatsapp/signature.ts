import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Hub-Signature-256`: HMAC-SHA256 of the raw request bytes with the Meta app's secret. The
 * webhook route checks it; the sandbox and the benches sign with it.
 */
export function signBody(raw: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

/** Constant-time: a wrong signature takes as long to refuse as a nearly right one. */
export function signatureMatches(raw: Buffer, header: string | undefined, secret: string): boolean {
  const given = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '')?.[1];
  if (!given) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
