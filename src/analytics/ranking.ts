import type { Anomaly } from './anomalies.js';

/** A number names a cause better than its country, a country better than the account it drags down. */
export const SCOPE_SPECIFICITY: Record<Anomaly['scope']['kind'], number> = {
  phone_country: 3,
  phone: 2,
  template: 2,
  country: 1,
  account: 0,
};

/** What ranking needs of an anomaly, or of an alert line made from one. */
export interface Rankable {
  severity: Anomaly['severity'];
  kind?: Anomaly['kind'] | undefined;
  scope?: { kind: Anomaly['scope']['kind'] } | undefined;
  observed?: number | undefined;
  expected?: number | undefined;
  start?: number | undefined;
}

/**
 * How far it is from usual, on one scale for every kind: points of delivery lost, the share of
 * sending gone, the share of failures added, a spike's multiple above usual.
 */
export function shortfall(a: Rankable): number {
  const { observed, expected } = a;
  if (observed === undefined || expected === undefined) return 0;
  switch (a.kind) {
    case 'delivery_drop':
      return expected - observed;
    case 'volume_drop':
      return expected > 0 ? 1 - observed / expected : 0;
    case 'failure_burst':
      return observed - expected;
    case 'volume_spike':
      return expected > 0 ? observed / expected - 1 : 0;
    default:
      return 0;
  }
}

/**
 * The one order anomalies are read in — reports, digests, alerts, charts and backtests alike:
 * critical before warning, then the most specific scope, then the largest shortfall, then the
 * earliest. The first is the headline.
 */
export function compareAnomalies(a: Rankable, b: Rankable): number {
  return (
    (a.severity === 'critical' ? 0 : 1) - (b.severity === 'critical' ? 0 : 1) ||
    SCOPE_SPECIFICITY[b.scope?.kind ?? 'account'] - SCOPE_SPECIFICITY[a.scope?.kind ?? 'account'] ||
    shortfall(b) - shortfall(a) ||
    (a.start ?? 0) - (b.start ?? 0)
  );
}

/** A sorted copy, headline first. */
export function rankAnomalies<T extends Rankable>(anomalies: readonly T[]): T[] {
  return [...anomalies].sort(compareAnomalies);
}
