/** The sandbox's accounts as data: numbers, countries, incidents, and their health, billing and templates. */
export interface SandboxPhone {
  number: string;
  weight: number;
}

export interface SandboxCountry {
  code: string;
  weight: number;
  /** Where the recipients live: the daily curve follows their clock. */
  tz: string;
  /** Normal delivery rate, 0..1. */
  rate: number;
}

export interface SandboxIncident {
  /** failure_burst: WhatsApp holds back a share of one pricing category's messages with one error code. */
  kind: 'delivery_drop' | 'stop' | 'burst' | 'failure_burst';
  phone?: string;
  country?: string;
  start: number;
  end: number;
  /** Delivery-rate multiplier (delivery_drop), volume multiplier (burst), or share of the category failing (failure_burst). */
  factor: number;
  /** failure_burst: the error code and the pricing category it hits. */
  code?: number;
  category?: PricingCategory;
}

export type PricingCategory = 'marketing' | 'utility' | 'authentication' | 'service';

export interface SandboxAccount {
  id: string;
  name: string;
  displayName: string;
  /** The zone reports for this account are shown in (what a config would say). */
  timezone: string;
  phones: SandboxPhone[];
  countries: SandboxCountry[];
  /** Mean messages per half hour at the daily peak, whole account. */
  volume: number;
  incidents: SandboxIncident[];
  /** Its health, billing and templates (src/sandbox/business.ts); plain defaults without. */
  business?: SandboxBusiness | undefined;
}

/**
 * A sample account's business side: how it is billed, whether template insights are on, its
 * templates, its numbers' health, and a timeline of health changes (a number's quality sliding,
 * the portfolio's messaging limit lowered, a template paused and reinstated). Graph's answers
 * are the state at `now` replayed from the timeline; the status webhooks send the timeline's
 * notifications when their moment comes.
 */
export interface SandboxTemplate {
  id: string;
  name: string;
  language: string;
  category: Exclude<PricingCategory, 'service'>;
  /** Its share of its category's messages. */
  share: number;
  /** Of delivered, how many are read (in the end); of read, how many click a button. */
  readRate: number;
  clickRate: number;
  /** Before the timeline: APPROVED unless said. */
  status?: 'APPROVED' | 'DISABLED';
  quality?: 'GREEN' | 'YELLOW' | 'RED';
}

export interface SandboxNumberHealth {
  phone: string;
  quality?: 'GREEN' | 'YELLOW' | 'RED';
  nameStatus?: string;
  /** Why the number is LIMITED (its health_status), when it is. */
  limited?: string;
  throughput?: 'STANDARD' | 'HIGH';
}

export type SandboxHealthChange =
  /** The number's quality rating moves; below GREEN Meta flags it (phone_number_quality_update FLAGGED). */
  | { at: number; kind: 'number_quality'; phone: string; to: 'GREEN' | 'YELLOW' | 'RED' }
  /** The business portfolio's messaging limit moves (DOWNGRADE or UPGRADE, told for the number that caused it). */
  | { at: number; kind: 'messaging_limit'; phone: string; to: string }
  | { at: number; kind: 'template_quality'; templateId: string; to: 'GREEN' | 'YELLOW' | 'RED' }
  | {
      at: number;
      kind: 'template_status';
      templateId: string;
      event: 'PAUSED' | 'REINSTATED' | 'DISABLED';
      title?: string;
      description?: string;
    };

export interface SandboxBusiness {
  currency: string;
  /** `partner`: billed through a Solution Partner's credit line, so Graph gives volumes without cost. */
  billing: 'direct' | 'partner';
  /** `unsupported`: a WABA tied to the EU, the UK or Japan, where switching insights on answers 200005. */
  insights: 'on' | 'off' | 'unsupported';
  /** The portfolio's messaging limit before the timeline. */
  messagingLimit: string;
  numbers: SandboxNumberHealth[];
  templates: SandboxTemplate[];
  changes: SandboxHealthChange[];
}
