import { DateTime } from 'luxon';
import type { AlertContent, AlertFollowUp, AlertLine, AlertStatusLine } from '../alerts/model.js';
import { compareAnomalies, rankAnomalies } from '../analytics/ranking.js';
import { breakdownLabel, failureSource, formatCount, formatDuration, formatPoints, formatRate, NBSP, unbroken } from '../report/format.js';
import type { Report } from '../report/model.js';
import { failureMeaning } from '../vocabulary/failureCodes.js';

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

// ---------------------------------------------------------------------------------------------
// Time, in the account's zone, with the short name people know ("IST", "CET", "EST").

const ZONE_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-AU', 'en-CA', 'en-NZ'];
const zoneNames = new Map<string, string>();

/** "IST" for Asia/Kolkata, "CET"/"CEST" for Europe/Berlin, "EST"; "GMT+9" where no name is common. */
export function zoneName(ts: number, tz: string): string {
  const offset = DateTime.fromSeconds(ts, { zone: tz }).offset;
  const key = `${tz}|${offset}`;
  const known = zoneNames.get(key);
  if (known) return known;
  let name = 'UTC';
  if (tz !== 'UTC' && tz !== 'Etc/UTC') {
    const names = ZONE_LOCALES.map(
      (locale) =>
        new Intl.DateTimeFormat(locale, { timeZone: tz, timeZoneName: 'short' })
          .formatToParts(new Date(ts * 1000))
          .find((p) => p.type === 'timeZoneName')?.value ?? '',
    );
    name = names.find((n) => n && !/^(GMT|UTC)/.test(n)) ?? names[0] ?? tz;
  }
  zoneNames.set(key, name);
  return name;
}

/** "13:00 IST", or "Tue 24 Nov 13:00 IST" when it is not on the day of `reference`. */
export function clockTime(ts: number, tz: string, reference?: number): string {
  const t = DateTime.fromSeconds(ts, { zone: tz });
  const sameDay = reference === undefined || t.hasSame(DateTime.fromSeconds(reference, { zone: tz }), 'day');
  return `${t.toFormat(sameDay ? 'HH:mm' : 'ccc d LLL HH:mm')}${NBSP}${zoneName(ts, tz)}`;
}

/** "Tue 24 Nov 13:00–17:30 IST" (the end's date too when it is another day). */
export function clockSpan(start: number, end: number, tz: string): string {
  const a = DateTime.fromSeconds(start, { zone: tz });
  const b = DateTime.fromSeconds(end, { zone: tz });
  const right = b.hasSame(a, 'day') ? b.toFormat('HH:mm') : b.toFormat('ccc d LLL HH:mm');
  return `${a.toFormat('ccc d LLL HH:mm')}–${right}${NBSP}${zoneName(end, tz)}`;
}

// ---------------------------------------------------------------------------------------------
// Alerts: one headline per incident, related scopes under it.

// A number is what someone can act on first; then the country it sends to; then the account.

/** The scope as a headline names it: "+1 631 555 1000", "IN (India)", "All traffic". */
function where(line: AlertLine): string {
  if (!line.scope || line.scope.kind === 'account') return 'All traffic';
  return unbroken(line.scope.label);
}

/** "+1 631 555 1000 at 74.9% (expected 96.3%) since 13:00 IST, ongoing". */
export function lineHeadline(line: AlertLine, tz: string, reference?: number): string {
  if (line.start === undefined || line.observed === undefined) return line.explanation;
  const since = clockTime(line.start, tz, reference);
  const state = line.ongoing === false && line.end !== undefined ? `until ${clockTime(line.end, tz, line.start)}` : 'ongoing';
  if (line.kind === 'failure_burst') {
    const usual = line.expected !== undefined ? ` (usually ${formatRate(line.expected)})` : '';
    return `${where(line)} failing ${formatRate(line.observed)}${usual} since ${since}, ${state}`;
  }
  if (line.kind === 'volume_drop') {
    const what = line.observed < 1 ? 'stopped sending' : `sending ${formatCount(Math.round(line.observed))} per half hour`;
    const usual = line.expected ? ` (usually ~${formatCount(Math.round(line.expected))})` : '';
    return `${where(line)} ${what}${usual} since ${since}, ${state}`;
  }
  const expected = line.expected !== undefined ? ` (expected ${formatRate(line.expected)})` : '';
  return `${where(line)} at ${formatRate(line.observed)}${expected} since ${since}, ${state}`;
}

/** What to know besides the headline: for failures, the code that surged, what it means and what to do. */
function lineDetail(line: AlertLine): string | undefined {
  if (line.kind !== 'failure_burst' || !line.code) return undefined;
  const meaning = failureMeaning(line.code);
  return `${line.code} rising: ${meaning.title}. ${meaning.advice}`;
}

/** "IN (India) 86.1%": a related scope, short. */
function relatedLine(line: AlertLine): string {
  if (line.observed === undefined) return line.explanation;
  if (line.kind === 'volume_drop')
    return `${where(line)} ${line.observed < 1 ? 'stopped' : `${formatCount(Math.round(line.observed))}/half hour`}`;
  if (line.kind === 'failure_burst') return `${where(line)} failing ${formatRate(line.observed)}`;
  return `${where(line)} ${formatRate(line.observed)}`;
}

export interface Incident {
  headline: string;
  /** A line under the headline, at body weight (a failure's code, meaning and advice). */
  detail?: string | undefined;
  severity: 'critical' | 'warning';
  /** The other scopes of the same incident (the account, the country that number sends to). */
  related: string[];
  /** Announced by the latest update. */
  new: boolean;
}

/**
 * Lines that overlap in time are one incident, named by its most specific scope (a number
 * before its country before the account) and the worst of them; the rest are listed under it.
 */
export function incidents(alert: AlertContent): Incident[] {
  const lines = [...alert.anomalies];
  const groups: AlertLine[][] = [];
  for (const line of lines) {
    const group = groups.find((g) =>
      g.some(
        (other) =>
          line.start === undefined ||
          other.start === undefined ||
          (line.start < (other.end ?? Infinity) && other.start < (line.end ?? Infinity)),
      ),
    );
    if (group) group.push(line);
    else groups.push([line]);
  }
  const reference = alert.openedAt === undefined ? undefined : Math.floor(alert.openedAt / 1000);
  // The incident led by the alert's headline anomaly comes first (the one its chart shows).
  return groups
    .map((group) => rankAnomalies(group))
    .sort((a, b) => compareAnomalies(a[0]!, b[0]!))
    .map((ranked) => {
      const [primary, ...rest] = ranked as [AlertLine, ...AlertLine[]];
      return {
        headline: lineHeadline(primary, alert.timezone, reference),
        detail: lineDetail(primary),
        severity: ranked.some((l) => l.severity === 'critical') ? 'critical' : 'warning',
        related: rest.map(relatedLine),
        new: ranked.some((l) => l.new),
      };
    });
}

/** "Delivery drop · Acme Retail", "Sending stopped · Globex Support". */
export function alertTitle(alert: AlertContent): string {
  if (alert.resolved) return `Resolved · ${alert.accountName}`;
  const kinds = new Set(alert.anomalies.map((a) => a.kind));
  const what = kinds.has('delivery_drop')
    ? 'Delivery drop'
    : kinds.has('failure_burst')
      ? 'Failures rising'
      : kinds.has('volume_drop')
        ? 'Sending dropped'
        : 'Delivery alert';
  return `${what} · ${alert.accountName}`;
}

/** "Alert A-7K3F · opened 13:45 IST · Asia/Kolkata". */
export function alertFooter(alert: AlertContent): string {
  const opened = alert.openedAt === undefined ? '' : ` · opened ${clockTime(Math.floor(alert.openedAt / 1000), alert.timezone)}`;
  return `Alert ${alert.shortId}${opened} · ${alert.timezone}`;
}

/** What recovered and when: "Lasted 4h 30m: Tue 24 Nov 13:00–17:30 IST". */
export function resolutionSummary(alert: AlertContent): string {
  if (alert.firstBucketStart === undefined || alert.lastBadEnd === undefined) return 'Back to normal.';
  const lasted = formatDuration((alert.lastBadEnd - alert.firstBucketStart) * 1000);
  return `Lasted ${lasted}: ${clockSpan(alert.firstBucketStart, alert.lastBadEnd, alert.timezone)}`;
}

/** "+1 631 555 1000 back to 96.1% (expected 96.3%)". */
export function recoveryLine(line: AlertLine): string {
  if (line.observed === undefined) return line.explanation;
  if (line.kind === 'volume_drop') return `${where(line)} sending again (${formatCount(Math.round(line.observed))} in the last hour)`;
  if (line.kind === 'failure_burst') {
    // Recovery lines carry the delivered side (1 − failure rate), as a delivery drop's do.
    const usual = line.expected !== undefined ? ` (usually ${formatRate(1 - line.expected)})` : '';
    return `${where(line)} failing ${formatRate(1 - line.observed)} again${usual}`;
  }
  const expected = line.expected !== undefined && line.expected !== null ? ` (expected ${formatRate(line.expected)})` : '';
  return `${where(line)} back to ${formatRate(line.observed)}${expected}`;
}

/** The after-a-click line: "Acknowledged by Alice at 13:05 IST", "Muted until 14:05 IST by Alice". */
export function statusText(status: AlertStatusLine, name: string): string {
  const at = (ms: number) => clockTime(Math.floor(ms / 1000), status.timezone, Math.floor(status.at / 1000));
  if (status.action === 'acknowledged') return `Acknowledged by ${name} at ${at(status.at)}`;
  return `Muted until ${at(status.mutedUntil ?? status.at)} by ${name}`;
}

/** The short reply in the alert's thread. */
export function followUpText(alert: AlertContent, kind: AlertFollowUp): string {
  if (kind === 'resolve') {
    const what = alert.anomalies.map(recoveryLine).join('; ');
    return `Resolved (${alert.shortId}). ${resolutionSummary(alert)}. ${what}.`;
  }
  const list = incidents(kind === 'update' ? { ...alert, anomalies: alert.anomalies.filter((a) => a.new) } : alert);
  const head = kind === 'update' ? `New in ${alert.shortId}:` : `Still going on (${alert.shortId}):`;
  return [head, ...list.map((i) => `• ${i.headline}`)].join('\n');
}

/** The preview line of an alert (notifications, Slack's `text`). */
export function alertSummary(alert: AlertContent): string {
  if (alert.resolved) return `Resolved: ${alert.accountName}. ${resolutionSummary(alert)}`;
  const [first] = incidents(alert);
  const code = alert.anomalies.find((a) => a.kind === 'failure_burst' && a.code)?.code;
  const why = code ? ` · ${code} ${failureMeaning(code).short ?? ''}`.trimEnd() : '';
  return `${alertTitle(alert)}: ${first ? first.headline : ''}${why}`;
}
