/** Whether a node may send: AVAILABLE, LIMITED (with why) or BLOCKED (with the errors). */
export interface HealthStatus {
  /** Over every node a message from here involves (number or template, WABA, business, app). */
  canSendMessage: string;
  entities: Array<{
    type: string;
    id: string;
    canSendMessage: string | null;
    info: string[];
    errors: Array<{ code: number | null; description: string; solution: string | null }>;
  }>;
}

export interface WabaOverview {
  name: string | null;
  /** What its costs are in (ISO 4217), as Graph says. */
  currency: string | null;
  /** Template insights switched on (template_analytics answers). */
  insightsEnabled: boolean;
  health: HealthStatus | null;
}

export interface PhoneNumberState {
  id: string;
  /** As Graph shows it ("+1 631-555-1000"). */
  displayPhoneNumber: string;
  /** Digits only: what status webhooks and analytics name the number by. */
  digits: string;
  verifiedName: string | null;
  /** GREEN, YELLOW, RED, or NA/UNKNOWN while there is too little to rate. */
  qualityRating: string | null;
  /** The business portfolio's limit (TIER_250, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED), shared by its numbers. */
  messagingLimit: string | null;
  /** STANDARD or HIGH. */
  throughput: string | null;
  nameStatus: string | null;
  /** CONNECTED, FLAGGED, RESTRICTED, … */
  status: string | null;
  health: HealthStatus | null;
}

/** The webhook fields that say how an account, its numbers and its templates are doing. */
export type HealthField =
  | 'phone_number_quality_update'
  | 'message_template_status_update'
  | 'message_template_quality_update'
  | 'account_update';

/** One account, number or template health notification, as kept (once, however often Meta sends it). */
export interface HealthEventRecord {
  accountId: string;
  /** When it happened (the notification's time), UNIX seconds. */
  at: number;
  field: HealthField;
  /** Meta's event: FLAGGED, DOWNGRADE, PAUSED, DISABLED, ACCOUNT_RESTRICTION, or for quality updates the new score. */
  event: string;
  /** What it is about: a number (digits), a template ("winter_sale (en)"), or the WABA id. */
  subject: string;
  /** What changed, in a line ("messaging limit TIER_10K → TIER_2K", "quality GREEN → YELLOW"). */
  detail: string;
  /** What rules key on: the number, the template id, the scores and limits before and after. */
  data: Record<string, string | number | null>;
}
