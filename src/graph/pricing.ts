import { z } from 'zod';
import type { PricingPoint } from '../vocabulary/pricing.js';
import type { TimeRange } from '../vocabulary/series.js';
import { graphWord, MAX_PAGES, nextCursor, pagingSchema, parseAnswer } from './answer.js';
import type { GraphAccount } from './client.js';
import { GRAPH_LOOKBACK_SECONDS } from './defaults.js';
import { refuseBeforeLookback } from './lookback.js';
import { type GraphTransport, readWaba, type WabaField } from './waba.js';

/**
 * `pricing_analytics` (per-message pricing, from July 2025): volume and cost per day by pricing
 * category, country and volume tier. Graph keeps a year of it. A WABA billed through a Solution
 * Partner's credit line gets volumes without any cost: `costReported` says which it is.
 */
export type PricingDimension = 'COUNTRY' | 'PHONE' | 'PRICING_CATEGORY' | 'PRICING_TYPE' | 'TIER';

export interface PricingQuery {
  range: TimeRange;
  dimensions: readonly PricingDimension[];
  phoneNumbers?: readonly string[] | undefined;
  countryCodes?: readonly string[] | undefined;
}

export interface PricingPage {
  points: PricingPoint[];
  after: string | undefined;
}

const amount = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]).transform(Number);

const pointSchema = z.looseObject({
  start: z.number().int(),
  end: z.number().int(),
  volume: amount.optional(),
  cost: amount.optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  phone_number: z
    .union([z.string().max(32), z.number()])
    .transform(String)
    .optional(),
  pricing_category: graphWord.optional(),
  pricing_type: graphWord.optional(),
  tier: z
    .string()
    .regex(/^\d+:(\d+|MAX)$/)
    .optional(),
});

const fieldSchema = z
  .looseObject({
    data: z.array(z.looseObject({ data_points: z.array(pointSchema).default([]) })).default([]),
    paging: pagingSchema,
  })
  .optional();

/** Graph's pricing analytics reach back one year, as its messaging analytics do. */
export const PRICING_LOOKBACK_SECONDS = GRAPH_LOOKBACK_SECONDS;

/** Refuse, in one line, a cost range that starts before the year Graph keeps. */
export function checkPricingRange(range: TimeRange, nowMs: number, tz: string): void {
  refuseBeforeLookback(range, Math.floor(nowMs / 1000) - PRICING_LOOKBACK_SECONDS, tz, {
    range: 'cost',
    kept: 'one year Graph keeps pricing analytics',
  });
}

function filters(q: PricingQuery): string {
  let out = `.dimensions(${JSON.stringify(q.dimensions)})`;
  if (q.phoneNumbers?.length) out += `.phone_numbers(${JSON.stringify(q.phoneNumbers)})`;
  if (q.countryCodes?.length) out += `.country_codes(${JSON.stringify(q.countryCodes)})`;
  return out;
}

/** The `pricing_analytics` field of the WABA, by day, with volume and cost, from the page `after` when given. */
export function pricingField(q: PricingQuery, after?: string): WabaField<PricingPage> {
  const start = Math.floor(q.range.start);
  const end = Math.floor(q.range.end);
  return {
    field: `pricing_analytics.start(${start}).end(${end}).granularity(DAILY).metric_types(["COST","VOLUME"])${filters(q)}${after ? `.after(${after})` : ''}`,
    read(body, account) {
      const raw = parseAnswer(fieldSchema, body.pricing_analytics, account, 'pricing_analytics');
      if (!raw) return { points: [], after: undefined };
      return {
        points: raw.data.flatMap((group) =>
          group.data_points.map((p) => ({
            start: p.start,
            end: p.end,
            volume: p.volume ?? 0,
            cost: p.cost ?? null,
            category: p.pricing_category?.toLowerCase() ?? null,
            country: p.country ?? null,
            phone: p.phone_number ?? null,
            tier: p.tier ?? null,
            pricingType: p.pricing_type ?? null,
          })),
        ),
        after: nextCursor(raw.paging),
      };
    },
  };
}

/** The pages after the first, each through the same field with `.after(cursor)`. */
export async function restOfPricing(
  graph: GraphTransport,
  account: GraphAccount,
  q: PricingQuery,
  first: PricingPage,
): Promise<PricingPoint[]> {
  const points: PricingPoint[] = [];
  let after = first.after;
  for (let pages = 1; after !== undefined && pages < MAX_PAGES; pages++) {
    const [page] = await readWaba(graph, account, [pricingField(q, after)]);
    points.push(...page.points);
    after = page.after;
  }
  return points;
}

/** Pricing analytics of a range on their own (one request, and one per further page). */
export async function fetchPricing(graph: GraphTransport, account: GraphAccount, q: PricingQuery, nowMs: number): Promise<PricingPoint[]> {
  checkPricingRange(q.range, nowMs, account.wabaTimezone);
  const [first] = await readWaba(graph, account, [pricingField(q)]);
  return [...first.points, ...(await restOfPricing(graph, account, q, first))];
}

/** Whether Graph reported any cost: a partner's credit line gives volumes alone. */
export function costReported(points: readonly PricingPoint[]): boolean {
  return points.some((p) => p.cost !== null);
}
