import { DateTime } from 'luxon';
import { localClock } from '../analytics/time.js';
import { parsePhone } from '../phoneNumbers.js';
import type { Granularity, TimeRange } from '../vocabulary/series.js';
import type { Report } from './model.js';

/** Presentation shared by text, Block Kit, Adaptive Cards and charts, so they agree. */

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRate(rate: number | null, digits = 1): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(digits)}%`;
}

/** Between an arrow, its number and its unit: a narrow column never breaks them apart. */
export const NBSP = '\u00a0';

/** "▲ 1.2 pp" / "▼ 3.4 pp": an arrow people read at a glance, held together with its number. */
export function formatPoints(points: number | null): string {
  if (points === null) return 'n/a';
  if (Math.abs(points) < 0.05) return `→${NBSP}0.0${NBSP}pp`;
  // The arrow says which way: no sign beside it.
  return `${points > 0 ? '▲' : '▼'}${NBSP}${Math.abs(points).toFixed(1)}${NBSP}pp`;
}

export function formatPercentChange(pct: number | null): string {
  if (pct === null) return 'n/a';
  if (Math.abs(pct) < 0.05) return `→${NBSP}0%`;
  return `${pct > 0 ? '▲' : '▼'}${NBSP}${Math.abs(pct).toFixed(1)}%`;
}

// Region names load on the first label that needs them, as the numbering plans do.
let regionNames: Intl.DisplayNames | undefined;

/**
 * Numbers as formatted, remembered: libphonenumber parses afresh at every call, and an alert
 * check labels the same few numbers every time — in a backtest's thousands of checks the
 * parsing took an eighth of the judging time.
 */
const PHONE_LABELS = new Map<string, string>();

/** 16315551000 -> "+1 631 555 1000" (falls back to "+16315551000"). */
export function formatPhone(digits: string): string {
  let label = PHONE_LABELS.get(digits);
  if (label === undefined) {
    label = parsePhone(digits)?.formatInternational() ?? `+${digits}`;
    if (PHONE_LABELS.size >= 10_000) PHONE_LABELS.clear();
    PHONE_LABELS.set(digits, label);
  }
  return label;
}

/** A label that must not break across lines in a narrow column ("+1 631 555 1000"). */
export function unbroken(text: string): string {
  return text.replace(/ /g, NBSP);
}

/** The region libphonenumber gives a number it cannot place. */
export const UNKNOWN_COUNTRY = 'ZZ';

export function formatCountry(code: string): string {
  if (code === UNKNOWN_COUNTRY) return 'Unknown country (number not recognised)';
  try {
    regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' });
    const name = regionNames.of(code);
    return name && name !== code ? `${code} (${name})` : code;
  } catch {
    return code;
  }
}

const WEEKDAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const twoDigits = (n: number) => (n < 10 ? `0${n}` : String(n));

/** "Nov 2026", "Wed 25 Nov", "Wed 09:30" (a new day) or "10:00": one per bucket, so kept cheap. */
export function bucketLabel(start: number, granularity: Granularity, tz: string, previousStart?: number): string {
  const c = localClock(start, tz);
  if (granularity === 'month') return `${MONTH_NAMES[c.month - 1]} ${c.year}`;
  if (granularity === 'day') return `${WEEKDAY_NAMES[c.weekday - 1]} ${c.day} ${MONTH_NAMES[c.month - 1]}`;
  const time = `${twoDigits(c.hour)}:${twoDigits(c.minute)}`;
  const newDay = previousStart === undefined || localClock(previousStart, tz).dayNumber !== c.dayNumber;
  return newDay ? `${WEEKDAY_NAMES[c.weekday - 1]} ${time}` : time;
}

/**
 * A report bucket's label: `bucketLabel`, or — for a day or month the range cuts — the part it
 * covers ("28–30 Nov 2026 (part of Nov 2026)"), so no row reads as a whole month it is not.
 */
export function seriesLabel(bucket: TimeRange, granularity: Granularity, tz: string, whole: boolean, previousStart?: number): string {
  const label = bucketLabel(bucket.start, granularity, tz, previousStart);
  if (whole) return label;
  const period = granularity === 'day' ? DateTime.fromSeconds(bucket.start, { zone: tz }).toFormat('ccc d LLL') : label;
  return `${formatRange(bucket, tz)} (part of ${period})`;
}

/** "Tue 24 Nov 2026", "17–23 Nov 2026", "24 Nov 09:00 – 25 Nov 2026 09:00", "31 Dec 2026 09:00 – 1 Jan 2027 09:00". */
export function formatRange(range: TimeRange, tz: string): string {
  const a = DateTime.fromSeconds(range.start, { zone: tz });
  const b = DateTime.fromSeconds(range.end, { zone: tz });
  const wholeDays = a.equals(a.startOf('day')) && b.equals(b.startOf('day'));
  if (wholeDays) {
    const last = b.minus({ days: 1 });
    if (last.hasSame(a, 'day')) return a.toFormat('ccc d LLL yyyy');
    if (a.day === 1 && b.day === 1 && a.hasSame(last, 'month')) return a.toFormat('LLLL yyyy');
    if (a.hasSame(last, 'month')) return `${a.toFormat('d')}–${last.toFormat('d LLL yyyy')}`;
    if (a.hasSame(last, 'year')) return `${a.toFormat('d LLL')} – ${last.toFormat('d LLL yyyy')}`;
    return `${a.toFormat('d LLL yyyy')} – ${last.toFormat('d LLL yyyy')}`;
  }
  if (a.hasSame(b, 'day')) return `${a.toFormat('ccc d LLL yyyy, HH:mm')}–${b.toFormat('HH:mm')}`;
  // Across New Year both ends name their year: "31 Dec 2026 09:00 – 1 Jan 2027 09:00".
  return `${a.toFormat(a.hasSame(b, 'year') ? 'd LLL HH:mm' : 'd LLL yyyy HH:mm')} – ${b.toFormat('d LLL yyyy HH:mm')}`;
}

/**
 * The zone a report's period is read in: the account's, or the WABA's when the report is counted
 * in Graph's own days (long ranges in another zone), whose dates the range then follows.
 */
export function periodZone(report: Pick<Report, 'range' | 'bucketTimezone' | 'granularity'>): string {
  return report.granularity !== 'half_hour' && report.bucketTimezone !== report.range.timezone
    ? report.bucketTimezone
    : report.range.timezone;
}

/** "1 Sep – 30 Nov 2026 · America/Los_Angeles": the period and the zone it is read in. */
export function reportPeriod(report: Pick<Report, 'range' | 'bucketTimezone' | 'granularity'>): string {
  const tz = periodZone(report);
  return `${formatRange(report.range, tz)} · ${tz}`;
}

export function reportTitle(report: Report): string {
  return `${report.account.displayName} — WhatsApp delivery, ${formatRange(report.range, periodZone(report))}`;
}

export function breakdownLabel(by: 'phone' | 'country', key: string): string {
  return by === 'phone' ? formatPhone(key) : formatCountry(key);
}

/** "data settled until 14:30 (Asia/Kolkata); 4 newest half-hours still settling". */
export function freshnessLine(report: Report): string {
  const tz = report.range.timezone;
  const f = report.freshness;
  const parts = [`generated ${DateTime.fromMillis(f.generatedAt, { zone: tz }).toFormat('d LLL HH:mm')} ${tz}`];
  if (f.unsettledBuckets > 0) {
    const unit = report.granularity === 'half_hour' ? 'half-hour' : report.granularity;
    parts.push(
      `${f.unsettledBuckets} newest ${unit}${f.unsettledBuckets > 1 ? 's' : ''} still settling (deliveries arrive for ${Math.round(f.settleMs / 60_000)} min)`,
    );
  }
  return parts.join('; ');
}

/**
 * Where failure figures come from, and what they cover when not the whole range: "status
 * webhooks", "status webhooks, since Fri 4 Dec 00:00".
 */
export function failureSource(report: Report): string {
  const since = report.failures?.since;
  return since === undefined
    ? 'status webhooks'
    : `status webhooks, only since ${DateTime.fromSeconds(since, { zone: report.range.timezone }).toFormat('ccc d LLL HH:mm')}`;
}

/** 3600000 -> "1h", 5400000 -> "1h 30m", 86400000 -> "24h". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest}m`;
  return rest ? `${hours}h ${rest}m` : `${hours}h`;
}

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
