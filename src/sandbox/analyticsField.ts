import { DateTime } from 'luxon';
import type { FieldExpression } from './fieldExpression.js';
import { parseListArgument } from './fieldExpression.js';
import type { TrafficModel } from './traffic.js';
import type { GraphErrorAnswer } from './wabaAnswers.js';

const GRANULARITIES = ['HALF_HOUR', 'DAY', 'MONTH'] as const;
type Gran = (typeof GRANULARITIES)[number];
const YEAR = 365 * 86_400;

const bad = (message: string): GraphErrorAnswer => ({ status: 400, code: 100, message });

/**
 * The `analytics` field as Graph answers it: its modifiers checked with Graph's own messages,
 * the one-year lookback, empty buckets omitted, product types as shares of the traffic.
 */
export function analyticsAnswer(
  model: TrafficModel,
  field: FieldExpression,
  nowS: number,
  wabaTz: string,
): GraphErrorAnswer | Record<string, unknown> {
  const m = field.modifiers;
  const start = Number(m.get('start'));
  const end = Number(m.get('end'));
  const granularity = (m.get('granularity') ?? '').toUpperCase() as Gran;
  if (!m.has('start') || !Number.isInteger(start)) return bad('(#100) The parameter start is required and must be a UNIX timestamp');
  if (!m.has('end') || !Number.isInteger(end)) return bad('(#100) The parameter end is required and must be a UNIX timestamp');
  if (!GRANULARITIES.includes(granularity)) return bad('(#100) Param granularity must be one of {HALF_HOUR, DAY, MONTH}');
  if (end > nowS + 60) return bad('(#100) Param end must be a time in the past');
  if (start >= end) return bad('(#100) Param start must be before end');
  // "At least one month", read literally: a calendar month from the start, in the WABA's zone.
  if (granularity === 'MONTH' && end < DateTime.fromSeconds(start, { zone: wabaTz }).plus({ months: 1 }).toSeconds())
    return bad('(#100) The time range must be at least one month for granularity MONTH');
  const phones = parseListArgument(m.get('phone_numbers'));
  const countries = parseListArgument(m.get('country_codes'));
  const products = parseListArgument(m.get('product_types'));
  if (m.has('phone_numbers') && !phones) return bad('(#100) Param phone_numbers must be an array');
  if (m.has('country_codes') && !countries) return bad('(#100) Param country_codes must be an array');
  if (m.has('product_types') && !products) return bad('(#100) Param product_types must be an array');
  const filter = { phones: phones?.map(String), countries: countries?.map(String) };
  const from = Math.max(start, nowS - YEAR);
  // Business-initiated traffic is about 70% of the total, customer support the rest.
  const productShare = products?.length ? (products.map(Number).includes(0) ? 0.7 : 0) + (products.map(Number).includes(2) ? 0.3 : 0) : 1;
  let points = model.buckets(from, end, granularity, wabaTz, nowS, filter);
  if (productShare < 1) {
    points = points
      .map((p) => ({ ...p, sent: Math.round(p.sent * productShare), delivered: Math.round(p.delivered * productShare) }))
      .filter((p) => p.sent > 0);
  }
  const phoneNumbers = model.account.phones.map((p) => p.number).filter((n) => !filter.phones?.length || filter.phones.includes(n));
  return { phone_numbers: phoneNumbers, country_codes: model.countryCodes(filter), granularity, data_points: points };
}
