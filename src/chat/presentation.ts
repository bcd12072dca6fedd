import { breakdownLabel, failureSource, formatCount, formatPoints, formatRate, unbroken } from '../report/format.js';
import type { Report } from '../report/model.js';

/**
 * What every message says, decided once for every platform: the headline of a report, the
 * incidents of an alert and their times, the words after a click, the resolution. Slack and
 * Teams only lay these out (bold, colour, columns); they never word things their own way.
 */

export type Tone = 'good' | 'bad' | 'neutral';

/** Below this many messages in either period, a change in rate is noise, and is shown as such. */
export const SMALL_VOLUME = 500;

export interface ReportHeadline {
  /** "94.0%": the figure people came for. */
  rate: string;
  /** "▼ 2.5 pp", coloured by `tone`; `against` says with what. */
  change?: { text: string; tone: Tone; against: string; note?: string } | undefined;
  sent: string;
  delivered: string;
}

export function reportHeadline(report: Report): ReportHeadline {
  const t = report.totals;
  const prev = report.comparisons.previousPeriod;
  let change: ReportHeadline['change'];
  if (prev && prev.change.ratePoints !== null) {
    const points = prev.change.ratePoints;
    const small = Math.min(t.sent, prev.totals.sent) < SMALL_VOLUME;
    const tone: Tone = small || Math.abs(points) < 0.5 ? 'neutral' : points < 0 ? 'bad' : 'good';
    change = {
      text: formatPoints(points),
      tone,
      against: 'vs previous period',
      ...(small ? { note: `small volume (${formatCount(Math.min(t.sent, prev.totals.sent))} messages): not a trend` } : {}),
    };
  }
  return { rate: formatRate(t.deliveryRate), change, sent: formatCount(t.sent), delivered: formatCount(t.delivered) };
}

/** One line for previews and notifications: "Acme Retail: 94.0% delivered (▼ 2.5 pp) of 40,053". */
export function reportSummary(report: Report): string {
  const h = reportHeadline(report);
  const change = h.change && h.change.tone !== 'neutral' ? ` (${h.change.text})` : '';
  const anomalies = report.anomalies.length ? ` · ${report.anomalies.length} anomal${report.anomalies.length === 1 ? 'y' : 'ies'}` : '';
  return `${report.account.displayName}: ${h.rate} delivered${change} of ${h.sent}${anomalies}`;
}

/** A breakdown row for narrow columns: label, rate, change; the sent count compact. */
export interface BreakdownRow {
  label: string;
  sent: string;
  rate: string;
  change: string;
  tone: Tone;
}

export function breakdownRows(report: Report, limit: number): { rows: BreakdownRow[]; more: number } {
  if (!report.breakdown) return { rows: [], more: 0 };
  const { by, items } = report.breakdown;
  const rows = items.slice(0, limit).map((i) => {
    const points = i.change.ratePoints;
    const small = Math.min(i.sent, i.previous.sent) < SMALL_VOLUME;
    const tone: Tone = points === null || small || Math.abs(points) < 0.5 ? 'neutral' : points < 0 ? 'bad' : 'good';
    return {
      label: unbroken(breakdownLabel(by, i.key)),
      sent: compactCount(i.sent),
      rate: formatRate(i.deliveryRate),
      change: points === null ? '—' : compactPoints(points),
      tone,
    };
  });
  return { rows, more: Math.max(0, items.length - limit) };
}

/** "5,966", "40.1k", "1.2M": counts that fit a phone's column. */
export function compactCount(n: number): string {
  if (n < 10_000) return formatCount(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** "▼21.1" (percentage points: the column says so). */
export function compactPoints(points: number): string {
  if (Math.abs(points) < 0.05) return '→0.0';
  return `${points > 0 ? '▲' : '▼'}${Math.abs(points).toFixed(1)}`;
}

/**
 * A long run without spaces (an account named in one 150-character word) gets invisible break
 * points, so a narrow card wraps it instead of running off the edge.
 */
export function breakable(text: string): string {
  return text.replace(/\S{24,}/g, (word) => word.replace(/(.{12})/g, '$1\u200b'));
}

/** "Why messages failed", short: the total, and the top codes with their meaning and advice. */
export interface FailureView {
  headline: string;
  codes: Array<{ code: string; count: string; share: string; title: string; advice: string }>;
  scopes: string[];
}

export function failureView(report: Report, limit = 3): FailureView | undefined {
  const f = report.failures;
  if (!f || f.failed === 0) return undefined;
  return {
    headline: `${formatCount(f.failed)} failed · ${formatRate(f.rate)} of ${formatCount(f.sent)} sent (${failureSource(report)})`,
    codes: f.byCode.slice(0, limit).map((c) => ({
      code: c.code ? String(c.code) : 'other',
      count: formatCount(c.count),
      share: formatRate(c.share, 0),
      title: c.title,
      advice: c.advice,
    })),
    scopes: (f.byScope?.items ?? [])
      .filter((i) => i.failed > 0)
      .slice(0, limit)
      .map(
        (i) => `${unbroken(breakdownLabel(f.byScope!.by, i.key))}: ${formatCount(i.failed)} (${formatRate(i.rate)}), mostly ${i.topCode}`,
      ),
  };
}
