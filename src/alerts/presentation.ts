import { compareAnomalies, rankAnomalies } from '../analytics/ranking.js';
import { clockSpan, clockTime, formatCount, formatDuration, formatRate, unbroken } from '../report/format.js';
import { type HealthAnomalyKind, isHealthKind } from '../vocabulary/anomalyKinds.js';
import { failureMeaning } from '../vocabulary/failureCodes.js';
import type { AlertContent, AlertFollowUp, AlertLine, AlertStatusLine } from './model.js';

/**
 * What every alert message says, decided once for every platform: the incidents of an alert and
 * their times, the words after a click, the follow-ups in its thread, the resolution. Slack and
 * Teams only lay these out; they never word an alert their own way.
 */

// Alerts: one headline per incident, related scopes under it.

// A number is what someone can act on first; then the country it sends to; then the account.

/** The scope as a headline names it: "+1 631 555 1000", "IN (India)", "All traffic". */
function where(line: AlertLine): string {
  if (!line.scope || line.scope.kind === 'account') return 'All traffic';
  return unbroken(line.scope.label);
}

/** "+1 631 555 1000 at 74.9% (expected 96.3%) since 13:00 IST, ongoing". */
export function lineHeadline(line: AlertLine, tz: string, reference?: number): string {
  // "+1 631 555 1001: messaging limit lowered TIER_10K → TIER_2K, since 09:12 IST".
  if (isHealthKind(line.kind) && line.start !== undefined) return `${line.explanation}, since ${clockTime(line.start, tz, reference)}`;
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
  const note = healthNoteLine(alert, reference);
  // The incident led by the alert's headline anomaly comes first (the one its chart shows).
  return groups
    .map((group) => rankAnomalies(group))
    .sort((a, b) => compareAnomalies(a[0]!, b[0]!))
    .map((ranked, i) => {
      const [primary, ...rest] = ranked as [AlertLine, ...AlertLine[]];
      // The health news goes under the headline incident, once.
      const detail = [lineDetail(primary), i === 0 ? note : undefined].filter(Boolean).join('\n') || undefined;
      return {
        headline: lineHeadline(primary, alert.timezone, reference),
        detail,
        severity: ranked.some((l) => l.severity === 'critical') ? 'critical' : 'warning',
        related: rest.map(relatedLine),
        new: ranked.some((l) => l.new),
      };
    });
}

/** "Number +1 631 555 1001 was flagged (quality below GREEN) at 09:12 IST — see health" (and how many more). */
export function healthNoteLine(alert: Pick<AlertContent, 'healthNote' | 'timezone'>, reference?: number): string | undefined {
  const note = alert.healthNote;
  if (!note) return undefined;
  const more = note.more ? ` (and ${note.more} more health event${note.more > 1 ? 's' : ''} today)` : '';
  return `${note.what} at ${clockTime(note.at, alert.timezone, reference)}${more} — see health`;
}

/** A health alert's title: its worst problem's kind. */
const HEALTH_TITLES: Record<HealthAnomalyKind, string> = {
  account_disabled: 'Account disabled',
  account_restricted: 'Account restricted',
  number_restricted: 'Number restricted',
  template_paused: 'Template paused',
  limit_lowered: 'Messaging limit lowered',
  number_flagged: 'Number flagged',
  template_disabled: 'Template disabled',
};

/** "Delivery drop · Acme Retail", "Sending stopped · Globex Support", "Number flagged · Acme Retail". */
export function alertTitle(alert: AlertContent): string {
  if (alert.resolved) return `Resolved · ${alert.accountName}`;
  const kinds = new Set(alert.anomalies.map((a) => a.kind));
  const health = (Object.keys(HEALTH_TITLES) as HealthAnomalyKind[]).find((k) => kinds.has(k));
  if (health) return `${HEALTH_TITLES[health]} · ${alert.accountName}`;
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
  const news = kind === 'update' || kind === 'escalate';
  const list = incidents(news ? { ...alert, anomalies: alert.anomalies.filter((a) => a.new) } : alert);
  const head =
    kind === 'escalate'
      ? `${alert.shortId} is now critical:`
      : kind === 'resume'
        ? `Open again (${alert.shortId}), resolved too soon:`
        : kind === 'update'
          ? `New in ${alert.shortId}:`
          : `Still going on (${alert.shortId}):`;
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
