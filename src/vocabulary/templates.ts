/**
 * Message templates: the `message_templates` edge (names, languages, categories, status, quality)
 * and `template_analytics` — by UTC day only, at most 10 template ids per call, paged by cursor,
 * 90 days back, and only once template insights are switched on (`POST
 * /{WABA}?is_enabled_for_insights=true`, which cannot be undone: never sent implicitly).
 */

export interface TemplateInfo {
  id: string;
  name: string;
  language: string;
  /** Lower case: marketing, utility, authentication. */
  category: string;
  /** APPROVED, PAUSED, DISABLED, PENDING, REJECTED, … */
  status: string;
  /** GREEN, YELLOW, RED or UNKNOWN. */
  qualityScore: string | null;
}

/** One template's day, from 00:00 UTC. */
export interface TemplateDay {
  templateId: string;
  start: number;
  end: number;
  sent: number;
  delivered: number;
  read: number;
  /** Button clicks of every kind (marketing and utility templates only). */
  clicked: number;
  /** Amount spent, in the WABA's currency; null where Graph gave none. */
  cost: number | null;
}
