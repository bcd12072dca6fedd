import { randomBytes, randomInt } from 'node:crypto';
import type { Anomaly, AnomalyScope } from '../analytics/anomalies.js';

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

/** What an anomaly is about, as an episode remembers it: its kind, and the scope it is on. */
export interface AnomalyKeyParts {
  kind: Anomaly['kind'];
  scopeKind: AnomalyScope['kind'];
  /** The number or country; empty for the account. */
  scopeKey: string;
}

/** An anomaly's key ("delivery_drop|phone|16315551000"): stored with an episode, so written and read only here. */
export function anomalyKey(a: Pick<Anomaly, 'kind' | 'scope'>): string {
  return `${a.kind}|${a.scope.kind}|${a.scope.key ?? ''}`;
}

export function parseAnomalyKey(key: string): AnomalyKeyParts {
  const [kind = '', scopeKind = '', ...rest] = key.split('|');
  return { kind: kind as AnomalyKeyParts['kind'], scopeKind: scopeKind as AnomalyKeyParts['scopeKind'], scopeKey: rest.join('|') };
}

/** The scope part alone ("phone|16315551000"): what a drill-down is named by, whatever the kind. */
export function scopeKeyOf(parts: Pick<AnomalyKeyParts, 'scopeKind' | 'scopeKey'>): string {
  return `${parts.scopeKind}|${parts.scopeKey}`;
}
