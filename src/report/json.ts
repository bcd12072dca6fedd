import type { Anomaly } from '../analytics/anomalies.js';
import type { Totals } from '../analytics/buckets.js';
import { toIso } from '../analytics/time.js';
import type { TimeRange } from '../vocabulary/series.js';
import { breakdownLabel } from './format.js';
import type { Comparison, Report } from './model.js';

/**
 * The `report --format json` document (contract in DESIGN.md): times as ISO 8601 in the
 * report's zone, rates as fractions 0..1 (null where nothing was sent), gaps filled with zeros.
 */
const round = (x: number | null, digits = 6): number | null => (x === null ? null : Number(x.toFixed(digits)));

function totalsJson(t: Totals) {
  return { sent: t.sent, delivered: t.delivered, deliveryRate: round(t.deliveryRate) };
}

function rangeJson(r: TimeRange, tz: string) {
  return { start: toIso(r.start, tz), end: toIso(r.end, tz) };
}

function comparisonJson(c: Comparison | null, tz: string) {
  if (!c) return null;
  return {
    range: rangeJson(c.range, tz),
    totals: totalsJson(c.totals),
    change: {
      sentPct: round(c.change.sentPct, 3),
      deliveredPct: round(c.change.deliveredPct, 3),
      ratePoints: round(c.change.ratePoints, 3),
    },
  };
}

function anomalyJson(a: Anomaly, tz: string) {
  return {
    kind: a.kind,
    start: toIso(a.start, tz),
    end: toIso(a.end, tz),
    scope: a.scope,
    observed: round(a.observed),
    expected: round(a.expected),
    expectedInterval: [round(a.expectedLow), round(a.expectedHigh)],
    severity: a.severity,
    sent: a.sent,
    delivered: a.delivered,
    explanation: a.explanation,
  };
}

function failuresJson(report: Report) {
  const f = report.failures!;
  return {
    source: 'status webhooks',
    // The counts cover only the time from here when the webhooks began inside the range.
    since: f.since === undefined ? null : toIso(f.since, report.range.timezone),
    total: f.failed,
    sent: f.sent,
    rate: round(f.rate),
    byCode: f.byCode.map((c) => ({ code: c.code, title: c.title, count: c.count, share: round(c.share), advice: c.advice })),
    ...(f.byScope
      ? {
          byScope: {
            by: f.byScope.by,
            items: f.byScope.items.map((i) => ({
              key: i.key,
              label: breakdownLabel(f.byScope!.by, i.key),
              failed: i.failed,
              sent: i.sent,
              rate: round(i.rate),
              topCode: i.topCode,
            })),
          },
        }
      : {}),
  };
}

export function reportJson(report: Report) {
  const tz = report.range.timezone;
  const f = report.freshness;
  return {
    account: { id: report.account.id, name: report.account.name, displayName: report.account.displayName },
    range: { ...rangeJson(report.range, tz), timezone: tz },
    granularity: report.granularity,
    bucketTimezone: report.bucketTimezone,
    scope: report.scope,
    totals: totalsJson(report.totals),
    comparisons: {
      previousPeriod: comparisonJson(report.comparisons.previousPeriod, tz),
      sameWeekdayLastWeek: comparisonJson(report.comparisons.sameWeekdayLastWeek, tz),
    },
    series: report.series.map((p) => ({
      start: toIso(p.start, tz),
      end: toIso(p.end, tz),
      sent: p.sent,
      delivered: p.delivered,
      deliveryRate: round(p.deliveryRate),
      settled: p.settled,
      partial: p.partial,
    })),
    anomalies: report.anomalies.map((a) => anomalyJson(a, tz)),
    ...(report.breakdown
      ? {
          breakdown: {
            by: report.breakdown.by,
            items: report.breakdown.items.map((i) => ({
              key: i.key,
              label: breakdownLabel(report.breakdown!.by, i.key),
              ...totalsJson(i),
              share: round(i.share),
              previous: totalsJson(i.previous),
              change: { sentPct: round(i.change.sentPct, 3), ratePoints: round(i.change.ratePoints, 3) },
            })),
            topMovers: report.breakdown.topMovers.map((i) => i.key),
            unjudged: report.breakdown.unjudged.map((u) => ({
              key: u.key,
              label: breakdownLabel(report.breakdown!.by, u.key),
              judgedBy: u.judgedBy,
              reason: u.reason,
            })),
          },
        }
      : {}),
    failures: report.failures ? failuresJson(report) : null,
    freshness: {
      generatedAt: toIso(Math.floor(f.generatedAt / 1000), tz),
      settledUntil: f.settledUntil === null ? null : toIso(f.settledUntil, tz),
      unsettledBuckets: f.unsettledBuckets,
      settleMinutes: Math.round(f.settleMs / 60_000),
    },
    notes: report.notes,
  };
}

export type ReportJson = ReturnType<typeof reportJson>;
