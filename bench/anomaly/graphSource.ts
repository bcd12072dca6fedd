/**
 * A generated account answered as Graph would: any filter the reports and checks ask for (the
 * account, one number, one country), at HALF_HOUR or DAY (Graph's days, midnight in the WABA's
 * zone), empty buckets omitted, and every answer counted in the requests Graph's chunking would
 * cost — so a report's call budget bites here as it does against Graph.
 */

import { filterKey } from '../../src/alerts/backtest/replaySource.js';
import { planChunks } from '../../src/graph/chunks.js';
import type { AnalyticsRequest, AnalyticsResult, AnalyticsSource, GraphAccount } from '../../src/graph/client.js';
import { GRAPH_DEFAULTS } from '../../src/graph/defaults.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { type EvalAccount, HALF_HOUR, scopeSeries } from './generate.js';

export const phoneId = (p: number) => `1555${String(p).padStart(6, '0')}`;

export interface GeneratedGraph extends AnalyticsSource {
  /** Graph calls answered so far (chunks, as the client would make them). */
  calls: number;
  phones: string[];
  codes: string[];
}

export function generatedGraph(account: EvalAccount, start: number): GeneratedGraph {
  const series = scopeSeries(account, start);
  const phones = account.phones.map((_, p) => phoneId(p));
  const codes = account.countries.map((c) => c.code);
  const byKey = new Map<string, DataPoint[]>();
  const whole = { phoneNumbers: [], countryCodes: [], productTypes: [] };
  for (const s of series) {
    const filter =
      s.kind === 'phone'
        ? { phoneNumbers: [phoneId(s.index!)], countryCodes: [], productTypes: [] }
        : s.kind === 'country'
          ? { phoneNumbers: [], countryCodes: [codes[s.index!]!], productTypes: [] }
          : whole;
    byKey.set(
      filterKey(filter),
      s.points.filter((p) => p.sent > 0),
    );
  }
  // A single number or country has no series of its own in the generator: it is the account.
  if (phones.length === 1) byKey.set(filterKey({ ...whole, phoneNumbers: phones }), byKey.get(filterKey(whole))!);
  if (codes.length === 1) byKey.set(filterKey({ ...whole, countryCodes: codes }), byKey.get(filterKey(whole))!);
  const days = new Map<string, DataPoint[]>();
  const source: GeneratedGraph = {
    calls: 0,
    phones,
    codes,
    async fetchAnalytics(graphAccount: GraphAccount, req: AnalyticsRequest): Promise<AnalyticsResult> {
      const key = filterKey(req);
      let all = byKey.get(key) ?? [];
      if (req.granularity === 'DAY') {
        const cacheKey = `${key}|${graphAccount.wabaTimezone}`;
        let daily = days.get(cacheKey);
        if (!daily) {
          daily = toDays(all, graphAccount.wabaTimezone);
          days.set(cacheKey, daily);
        }
        all = daily;
      }
      const points = all.filter((p) => p.start >= req.range.start && p.start < req.range.end);
      const span = (req.granularity === 'HALF_HOUR' ? GRAPH_DEFAULTS.halfHourChunkMs : GRAPH_DEFAULTS.dayChunkMs) / 1000;
      const requests = planChunks(req.range, req.granularity, graphAccount.wabaTimezone, span).length;
      source.calls += requests;
      return { points, phoneNumbers: phones, countryCodes: codes, granularity: req.granularity, range: req.range, notes: [], requests };
    },
  };
  return source;
}

/** Half hours summed into Graph's days: midnight to midnight in the WABA's zone. */
function toDays(points: readonly DataPoint[], tz: string): DataPoint[] {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
  const out = new Map<string, DataPoint>();
  const order: string[] = [];
  for (const p of points) {
    const day = format.format(p.start * 1000);
    let bucket = out.get(day);
    if (!bucket) {
      bucket = { start: p.start, end: p.end, sent: 0, delivered: 0 };
      out.set(day, bucket);
      order.push(day);
    }
    bucket.sent += p.sent;
    bucket.delivered += p.delivered;
  }
  // Each day's bounds: its local midnights (the first half hour that falls in it, found above,
  // is the midnight when traffic runs all day; otherwise walk back to it).
  const result: DataPoint[] = [];
  for (const day of order) {
    const b = out.get(day)!;
    let start = b.start;
    while (format.format((start - HALF_HOUR) * 1000) === day) start -= HALF_HOUR;
    let end = start;
    while (format.format(end * 1000) === day) end += HALF_HOUR;
    result.push({ start, end, sent: b.sent, delivered: b.delivered });
  }
  return result;
}
