export interface PricingPoint {
  start: number;
  end: number;
  volume: number;
  /** In the WABA's currency; null where Graph gave none (a partner's credit line). */
  cost: number | null;
  /** Lower case, as statuses name it: marketing, utility, authentication, service, … */
  category: string | null;
  country: string | null;
  phone: string | null;
  /** "lower:upper" (upper may be MAX) — volume tiers apply to utility and authentication. */
  tier: string | null;
  pricingType: string | null;
}
