import { randomBytes, randomInt } from 'node:crypto';

/** An alert's key: 96 random bits, the only thing its buttons carry (nothing to guess). */
export function newAlertKey(): string {
  return randomBytes(12).toString('base64url');
}

// No 0/O, 1/I/L: read aloud and typed back without mistakes.
const SHORT_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** What people call the alert: "A-7K3F". Not a secret, not unique forever; the key is. */
export function newShortId(): string {
  let id = 'A-';
  for (let i = 0; i < 4; i++) id += SHORT_ALPHABET[randomInt(SHORT_ALPHABET.length)];
  return id;
}
