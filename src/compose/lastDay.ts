import { DateTime } from 'luxon';
import { fillGaps, type Totals, totals } from '../analytics/buckets.js';
import { shiftDays } from '../analytics/time.js';
import type { AccountConfig } from '../config/load.js';
import type { AnalyticsSource } from '../graph/client.js';
import type { TimeRange } from '../vocabulary/series.js';
import { planFetch } from './fetchPlan.js';
import { graphAccount } from './graphAccount.js';

/** Yesterday's totals for an account, in its own zone: one small Graph call (two across zones). */
export async function lastDayTotals(
  graph: AnalyticsSource,
  account: AccountConfig,
  token: string,
  nowMs: number,
): Promise<Totals & { range: TimeRange }> {
  const today = DateTime.fromMillis(nowMs, { zone: account.timezone }).startOf('day').toSeconds();
  const range = shiftDays({ start: today, end: today }, -1, account.timezone);
  range.end = today;
  const plan = planFetch('day', account.timezone, account.wabaTimezone, range);
  const result = await graph.fetchAnalytics(graphAccount(account, token), {
    range,
    granularity: plan.graphGranularity,
    phoneNumbers: account.phoneNumbers,
    countryCodes: account.countries,
    productTypes: account.productTypes,
  });
  return {
    ...totals(
      fillGaps(result.points, range, 'day', plan.bucketTimezone).points.filter((p) => p.start >= range.start && p.start < range.end),
    ),
    range,
  };
}
