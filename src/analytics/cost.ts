import type { PricingPoint } from '../vocabulary/pricing.js';
import type { TimeRange } from '../vocabulary/series.js';
import { DEFAULT_DETECTION } from './detectionSettings.js';
import { bucketGrid, localClock } from './time.js';

/**
 * What messages cost, from Graph's pricing analytics: totals against the previous period, cost
 * per delivered message (the messaging analytics' delivered count), volume and cost by pricing
 * category and by country, where the account stands in the volume tiers of utility and
 * authentication, and marketing spend far above its usual day. Pure: the points come in.
 */
export interface CostInput {
  currency: string | null;
  /** The days costed: whole days in `tz`, Graph's pricing days. */
  range: TimeRange;
  /** The period of the same length before, or null where Graph no longer keeps it. */
  previous: TimeRange | null;
  /** The calendar month the volume tiers count in, from its first day to the range's end. */
  tierMonth: TimeRange;
  /** Everything Graph had over the range, the previous period, the tier month and the week before the range. */
  points: readonly PricingPoint[];
  /** Where what Graph was asked for begins: days before it are unknown, days after it without points had none. */
  fetchedFrom: number;
  /** Delivered messages in the range, from the messaging analytics (null when unknown). */
  delivered: number | null;
  tz: string;
}

export interface CostRow {
  volume: number;
  cost: number | null;
}

export interface TierStanding {
  category: string;
  country: string | null;
  /** "lower:upper" as Graph gives it ("100001:500000", "2000001:MAX"). */
  tier: string;
  /** Messages of the category (and country) this month so far. */
  monthVolume: number;
  /** The first message of the next tier, null in the top tier. */
  nextTierAt: number | null;
  /** Messages left before the next tier's price applies, null in the top tier. */
  remaining: number | null;
}

export interface SpendSpike {
  kind: 'spend_spike';
  start: number;
  end: number;
  /** The day's marketing spend (or volume, where Graph reports no cost). */
  observed: number;
  /** Its usual day: the median of the 7 days before. */
  expected: number;
  measure: 'cost' | 'volume';
  severity: 'warning';
  explanation: string;
}

export interface CostSummary {
  currency: string | null;
  /** Null where Graph reports no cost (a partner's credit line) or has no pricing data. */
  total: number | null;
  previousTotal: number | null;
  /** total ÷ delivered, null when either is unknown or nothing was delivered. */
  perDelivered: number | null;
  /** Billed and free messages in the range. */
  volume: number;
  byCategory: Array<{ category: string } & CostRow>;
  byCountry: Array<{ country: string } & CostRow>;
  tiers: TierStanding[];
  anomalies: SpendSpike[];
  /** Partner billing, no pricing data, a previous period out of reach: what the figures cannot say. */
  notes: string[];
}

export const PARTNER_BILLED_NOTE =
  "Graph reports volumes but no cost for this WABA: it is billed through a Solution Partner's credit line, whose invoices hold the prices.";
export const NO_PRICING_NOTE =
  'Graph has no pricing data for this WABA in this range: pricing analytics cover messages since 1 July 2025, and need the whatsapp_business_management permission.';
export const PREVIOUS_OUT_OF_REACH_NOTE = 'No comparison with the previous period: Graph keeps one year of pricing analytics.';

/** Categories billed in volume tiers (marketing is one tier, service free). */
const TIERED = new Set(['utility', 'authentication']);
/** "Far above its usual day": a day's marketing at this multiple of the median day before it. */
export const SPEND_SPIKE_RATIO = 3;
/** History days (of 7) the median needs before a day is judged. */
const MIN_HISTORY_DAYS = 4;

/** Sums kept exact to a millionth: Graph's costs are decimals, their float sums are not. */
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function within(points: readonly PricingPoint[], range: TimeRange): PricingPoint[] {
  return points.filter((p) => p.start >= range.start && p.start < range.end);
}

function sum(points: readonly PricingPoint[], costKnown: boolean): CostRow {
  let volume = 0;
  let cost = 0;
  for (const p of points) {
    volume += p.volume;
    cost += p.cost ?? 0;
  }
  return { volume, cost: costKnown ? round6(cost) : null };
}

function groupBy<K extends string>(points: readonly PricingPoint[], key: (p: PricingPoint) => K, costKnown: boolean) {
  const groups = new Map<K, PricingPoint[]>();
  for (const p of points) {
    const k = key(p);
    const list = groups.get(k);
    if (list) list.push(p);
    else groups.set(k, [p]);
  }
  return [...groups.entries()]
    .map(([k, list]) => ({ key: k, ...sum(list, costKnown) }))
    .sort((a, b) => (b.cost ?? 0) - (a.cost ?? 0) || b.volume - a.volume || (a.key < b.key ? -1 : 1));
}

/** Upper bound of a "lower:upper" tier, or null for MAX (the top tier). */
function tierUpper(tier: string): number | null {
  const upper = tier.split(':')[1];
  return upper === undefined || upper === 'MAX' ? null : Number(upper);
}

/** Each tiered category's (and country's) standing this month: the tier of its latest day, and what is left of it. */
export function tierStandings(points: readonly PricingPoint[], month: TimeRange): TierStanding[] {
  const groups = new Map<string, { category: string; country: string | null; volume: number; latest: PricingPoint }>();
  for (const p of within(points, month)) {
    if (!p.category || !TIERED.has(p.category) || !p.tier) continue;
    const key = `${p.category}|${p.country ?? ''}`;
    const g = groups.get(key);
    if (!g) groups.set(key, { category: p.category, country: p.country, volume: p.volume, latest: p });
    else {
      g.volume += p.volume;
      if (
        p.start > g.latest.start ||
        (p.start === g.latest.start && (tierUpper(p.tier) ?? Infinity) > (tierUpper(g.latest.tier!) ?? Infinity))
      )
        g.latest = p;
    }
  }
  return [...groups.values()]
    .map((g) => {
      const upper = tierUpper(g.latest.tier!);
      return {
        category: g.category,
        country: g.country,
        tier: g.latest.tier!,
        monthVolume: g.volume,
        nextTierAt: upper === null ? null : upper + 1,
        remaining: upper === null ? null : Math.max(0, upper - g.volume),
      };
    })
    .sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : (a.country ?? '') < (b.country ?? '') ? -1 : 1));
}

/** "USD 12.34" — or, for per-message prices, with four decimals ("USD 0.0034"). */
export function formatMoney(amount: number | null, currency: string | null, digits = 2): string {
  if (amount === null) return '—';
  const text = amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return currency ? `${currency} ${text}` : text;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function dayName(ts: number, tz: string): string {
  const c = localClock(ts, tz);
  return `${WEEKDAYS[c.weekday - 1]} ${c.day} ${MONTHS[c.month - 1]}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Days of the range whose marketing spend is far above its usual day — the median of the 7 days
 * before, days without marketing counting as nothing — in the spirit of the volume spike
 * (`src/analytics/anomalies.ts`): a campaign is not a fault, but finance wants to hear of it.
 * Judged on volume where Graph reports no cost. A day needs the volume spike's minimum messages.
 */
export function spendSpikes(
  points: readonly PricingPoint[],
  range: TimeRange,
  fetchedFrom: number,
  tz: string,
  currency: string | null,
  costKnown: boolean,
): SpendSpike[] {
  const marketing = points.filter((p) => p.category === 'marketing');
  if (marketing.length === 0) return [];
  const measure = costKnown ? 'cost' : 'volume';
  const days = bucketGrid({ start: Math.min(fetchedFrom, range.start), end: range.end }, 'day', tz);
  const byDay = new Map<number, { cost: number; volume: number }>();
  for (const p of marketing) {
    const d = byDay.get(p.start) ?? { cost: 0, volume: 0 };
    d.cost += p.cost ?? 0;
    d.volume += p.volume;
    byDay.set(p.start, d);
  }
  const value = (start: number) => {
    const d = byDay.get(start);
    return d ? (measure === 'cost' ? d.cost : d.volume) : 0;
  };
  const spikes: SpendSpike[] = [];
  days.forEach((day, i) => {
    if (day.start < range.start) return;
    const history = days.slice(Math.max(0, i - 7), i).filter((h) => h.start >= fetchedFrom);
    if (history.length < MIN_HISTORY_DAYS) return;
    const usual = median(history.map((h) => value(h.start)));
    const observed = value(day.start);
    const volume = byDay.get(day.start)?.volume ?? 0;
    if (volume < DEFAULT_DETECTION.minSpikeSent || observed < SPEND_SPIKE_RATIO * usual) return;
    const show = (n: number) =>
      measure === 'cost' ? formatMoney(round6(n), currency) : `${Math.round(n).toLocaleString('en-US')} messages`;
    spikes.push({
      kind: 'spend_spike',
      start: day.start,
      end: day.end,
      observed: round6(observed),
      expected: round6(usual),
      measure,
      severity: 'warning',
      explanation:
        measure === 'cost'
          ? `Marketing spend spiked to ${show(observed)} on ${dayName(day.start, tz)}; usually about ${show(usual)} a day.`
          : `Marketing volume spiked to ${show(observed)} on ${dayName(day.start, tz)}; usually about ${show(usual)} a day (no cost reported).`,
    });
  });
  return spikes;
}

export function costSummary(input: CostInput): CostSummary {
  const { points, range } = input;
  const costKnown = points.some((p) => p.cost !== null);
  const inRange = within(points, range);
  const notes: string[] = [];
  const hasData = points.length > 0;
  if (!hasData) notes.push(NO_PRICING_NOTE);
  else if (!costKnown) notes.push(PARTNER_BILLED_NOTE);
  if (!input.previous && costKnown) notes.push(PREVIOUS_OUT_OF_REACH_NOTE);
  const current = sum(inRange, costKnown);
  const total = hasData ? current.cost : null;
  const previousTotal = input.previous && hasData && costKnown ? sum(within(points, input.previous), true).cost : null;
  return {
    currency: input.currency,
    total,
    previousTotal,
    perDelivered: total !== null && input.delivered ? round6(total / input.delivered) : null,
    volume: current.volume,
    byCategory: groupBy(inRange, (p) => p.category ?? 'unknown', costKnown).map(({ key, ...row }) => ({ category: key, ...row })),
    byCountry: groupBy(inRange, (p) => p.country ?? 'unknown', costKnown).map(({ key, ...row }) => ({ country: key, ...row })),
    tiers: tierStandings(points, input.tierMonth),
    anomalies: spendSpikes(points, range, input.fetchedFrom, input.tz, input.currency, costKnown),
    notes,
  };
}
