import type { DataPoint, TimeRange } from '../vocabulary/series.js';

/**
 * Which rows of a breakdown most need judging half hour by half hour, when the call budget cannot
 * judge them all so finely: read from each row's days alone (one cheap Graph call a row), the
 * rows whose days fell furthest under their own usual rate — or sent furthest under their usual
 * volume — than their own day-to-day spread allows come first; then the busiest. What is fetched
 * follows the evidence, never the order Graph lists the numbers in.
 */
export interface CoarseRow {
  key: string;
  /** The row's days (Graph's, over the report's fetch window: the range and the weeks before it). */
  days: readonly DataPoint[];
}

export interface RankedRow {
  key: string;
  /** The largest deviation of any day of the range, in the row's own spreads (0: nothing unusual). */
  evidence: number;
  /** Sent in the range. */
  sent: number;
  /** The range's days at least `UNUSUAL` spreads off, neighbouring ones joined: where to look closely. */
  unusual: TimeRange[];
}

/** Days of a row's own past its usual rate and volume are read from, when it has no weeks yet. */
const BASELINE_DAYS = 7;
/** A day with fewer messages says nothing of its rate. */
const MIN_DAY_SENT = 20;
/** Spreads never taken narrower than these: 0.2 points of rate, 10% of volume. */
const MIN_RATE_SPREAD = 0.002;
const MIN_VOLUME_SPREAD = 0.1;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** 1.4826 × the median absolute deviation: a standard deviation that a few bad days cannot inflate. */
function robustSpread(values: number[]): number {
  if (values.length < 3) return 0;
  const centre = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - centre)));
}

function rowEvidence(row: CoarseRow, range: TimeRange): RankedRow {
  const days = [...row.days].sort((a, b) => a.start - b.start);
  const expectedRate: number[] = [];
  const expectedSent: number[] = [];
  const rateResiduals: number[] = [];
  const volumeResiduals: number[] = [];
  for (let d = 0; d < days.length; d++) {
    const day = days[d]!;
    // The same weekday of the weeks before when there are two or more (weekends are quieter),
    // else the days just before.
    const weekdays = days.filter((p) => [1, 2, 3, 4].some((w) => Math.abs(day.start - w * 7 * 86_400 - p.start) <= 3 * 3600));
    const before =
      weekdays.length >= 2 ? weekdays : days.filter((p) => p.start < day.start && p.start >= day.start - (BASELINE_DAYS + 1) * 86_400);
    const rated = before.filter((p) => p.sent >= MIN_DAY_SENT);
    expectedRate[d] = rated.length >= 2 ? median(rated.map((p) => p.delivered / p.sent)) : Number.NaN;
    expectedSent[d] = before.length >= 2 ? median(before.map((p) => p.sent)) : Number.NaN;
    if (!Number.isNaN(expectedRate[d]!) && day.sent >= MIN_DAY_SENT) rateResiduals.push(day.delivered / day.sent - expectedRate[d]!);
    if (expectedSent[d]! > 0 && day.sent > 0) volumeResiduals.push(Math.log(day.sent / expectedSent[d]!));
  }
  const rateSpread = Math.max(MIN_RATE_SPREAD, robustSpread(rateResiduals));
  const volumeSpread = Math.max(MIN_VOLUME_SPREAD, robustSpread(volumeResiduals));
  let evidence = 0;
  let sent = 0;
  const unusual: TimeRange[] = [];
  for (let d = 0; d < days.length; d++) {
    const day = days[d]!;
    if (day.end <= range.start || day.start >= range.end) continue;
    sent += day.sent;
    let dayEvidence = 0;
    const e = expectedRate[d]!;
    if (!Number.isNaN(e) && day.sent >= MIN_DAY_SENT)
      dayEvidence = (e - day.delivered / day.sent) / Math.sqrt((e * (1 - e)) / day.sent + rateSpread * rateSpread);
    const usual = expectedSent[d]!;
    // A number that stopped for hours sends a share of its usual day; nothing at all is the most.
    // A day the range's end cuts short (a report to midnight UTC of a WABA behind it, or to now)
    // sends a share of its day whatever happened: its volume says nothing.
    if (usual >= MIN_DAY_SENT && day.end <= range.end)
      dayEvidence = Math.max(dayEvidence, -Math.log(Math.max(day.sent, 1) / usual) / volumeSpread);
    evidence = Math.max(evidence, dayEvidence);
    if (dayEvidence < UNUSUAL) continue;
    const last = unusual[unusual.length - 1];
    if (last && last.end >= day.start) last.end = Math.min(day.end, range.end);
    else unusual.push({ start: Math.max(day.start, range.start), end: Math.min(day.end, range.end) });
  }
  return { key: row.key, evidence, sent, unusual };
}

/** A day this many spreads off is worth a closer look; below it, a row is ranked by its volume. */
export const UNUSUAL = 3;

/**
 * The rows in the order they should be judged closely: those with a day at least `UNUSUAL`
 * spreads off, most unusual first; then the rest, busiest first (a busy row is where a material
 * drop hides); then by key.
 */
export function rankByEvidence(rows: readonly CoarseRow[], range: TimeRange): RankedRow[] {
  const unusual = (r: RankedRow) => (r.evidence >= UNUSUAL ? 1 : 0);
  return rows
    .map((row) => rowEvidence(row, range))
    .sort((a, b) => unusual(b) - unusual(a) || (unusual(a) ? b.evidence - a.evidence : 0) || b.sent - a.sent || a.key.localeCompare(b.key));
}
