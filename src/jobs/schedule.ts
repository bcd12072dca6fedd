import { DateTime } from 'luxon';

/**
 * When digests are due: pure calendar arithmetic in the subscription's zone, so "09:00" stays
 * 09:00 on the wall clock across daylight-saving changes (and a 02:30 that does not exist on the
 * spring-forward day falls on the first valid minute after it).
 */
export interface DigestSchedule {
  every: 'daily' | 'weekly';
  /** HH:MM */
  at: string;
  timezone: string;
  /** ISO weekday for weekly digests: 1 = Monday. */
  weekday?: number;
}

export interface Occurrence {
  /** UNIX ms when it is due. */
  at: number;
  /** The period it covers, as a stable key: the local date (daily) or ISO week (weekly). */
  period: string;
}

/** Every occurrence due in (from, to], oldest first. */
export function occurrencesBetween(schedule: DigestSchedule, fromMs: number, toMs: number): Occurrence[] {
  const [hour, minute] = schedule.at.split(':').map(Number) as [number, number];
  const out: Occurrence[] = [];
  let day = DateTime.fromMillis(fromMs, { zone: schedule.timezone }).startOf('day').minus({ days: 1 });
  const last = DateTime.fromMillis(toMs, { zone: schedule.timezone }).startOf('day').plus({ days: 1 });
  while (day <= last) {
    if (schedule.every === 'daily' || day.weekday === (schedule.weekday ?? 1)) {
      const due = day.set({ hour, minute, second: 0, millisecond: 0 });
      const at = due.toMillis();
      if (at > fromMs && at <= toMs)
        out.push({ at, period: schedule.every === 'daily' ? day.toISODate()! : `${day.toFormat("kkkk-'W'WW")}` });
    }
    day = day.plus({ days: 1 });
  }
  return out;
}
