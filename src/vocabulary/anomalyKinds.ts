/**
 * Health problems, from the health webhooks: a number flagged for quality, the portfolio's
 * messaging limit lowered, a number or the account restricted, the account disabled, a template
 * paused or disabled. Each is a state that lasts until Meta undoes it.
 */
export const HEALTH_ANOMALY_KINDS = [
  'number_flagged',
  'limit_lowered',
  'number_restricted',
  'account_restricted',
  'account_disabled',
  'template_paused',
  'template_disabled',
] as const;

/** Every kind of anomaly an alert can be about; failure_burst comes from status webhooks, minute by minute. */
export const ANOMALY_KINDS = ['delivery_drop', 'volume_drop', 'volume_spike', 'failure_burst', ...HEALTH_ANOMALY_KINDS] as const;

export type HealthAnomalyKind = (typeof HEALTH_ANOMALY_KINDS)[number];
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

const HEALTH_KINDS: ReadonlySet<string> = new Set(HEALTH_ANOMALY_KINDS);

/** Kinds from the health webhooks: a state that stands until undone, worded by the judge. */
export function isHealthKind(kind: string | undefined): kind is HealthAnomalyKind {
  return kind !== undefined && HEALTH_KINDS.has(kind);
}
