import type { Anomaly, AnomalyScope } from '../../analytics/anomalies.js';

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
