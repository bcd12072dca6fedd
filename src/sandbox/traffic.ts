import { DateTime } from 'luxon';
import { offsetMinutes } from '../analytics/time.js';
import type { DataPoint } from '../vocabulary/series.js';
import type { PricingCategory, SandboxAccount } from './accountModel.js';

/**
 * Synthetic WhatsApp traffic, deterministic from a seed: any half hour of any phone number and
 * country can be computed on its own, so the sandbox keeps no state and answers any range.
 * It has what real traffic has: a daily curve in the recipient's local time, quieter weekends,
 * noise beyond binomial, a delivery rate that wanders from day to day, deliveries still
 * arriving for the newest buckets, and injected incidents.
 */
/** Shares of messages by pricing category, the same everywhere in the sandbox. */
export const CATEGORY_SHARES: ReadonlyArray<[PricingCategory, number]> = [
  ['marketing', 0.4],
  ['utility', 0.45],
  ['authentication', 0.1],
  ['service', 0.05],
];

const HALF_HOUR = 1800;

/** 32-bit integer hash of a few integers (a murmur-style finaliser). */
export function hash(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v | 0), 0x85ebca6b);
    h = Math.imul(h ^ Math.floor(v / 4294967296), 0xc2b2ae35);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function uniform(...values: number[]): number {
  return (hash(...values) + 0.5) / 4294967296;
}

function gaussian(...values: number[]): number {
  const u1 = uniform(...values, 1);
  const u2 = uniform(...values, 2);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Poisson for small means, normal approximation for large ones. */
function countFrom(mean: number, ...key: number[]): number {
  if (mean <= 0) return 0;
  if (mean < 40) {
    const u = uniform(...key, 3);
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    while (u > cdf && k < 200) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(...key, 4)));
}

export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Activity by local hour: quiet nights, a broad daytime peak. */
function dailyCurve(hour: number): number {
  return 0.04 + Math.exp(-(((hour - 14) / 4.2) ** 2));
}

export interface TrafficFilter {
  phones?: readonly string[] | undefined;
  countries?: readonly string[] | undefined;
}

export class TrafficModel {
  private readonly seed: number;

  constructor(readonly account: SandboxAccount) {
    this.seed = seedOf(account.id);
  }

  /** Per phone × country sent and final delivered of settled slots; they never change. */
  private readonly settledSlots = new Map<number, Int32Array>();
  private static readonly MAX_CACHED_SLOTS = 100_000;

  /**
   * Sent and delivered in the half hour starting at `t` (UTC-aligned), as Graph would report
   * them at `now`: nothing after now, and deliveries for recent messages still trickling in.
   */
  halfHour(t: number, now: number, filter: TrafficFilter = {}): { sent: number; delivered: number } {
    if (t >= now) return { sent: 0, delivered: 0 };
    const age = (now - (t + HALF_HOUR)) / 60; // minutes since the bucket ended
    const settled = age >= 180;
    let cells = settled ? this.settledSlots.get(t) : undefined;
    if (!cells) {
      cells = this.slotCells(t, Math.min(1, (now - t) / HALF_HOUR));
      if (settled) {
        if (this.settledSlots.size >= TrafficModel.MAX_CACHED_SLOTS) this.settledSlots.clear();
        this.settledSlots.set(t, cells);
      }
    }
    const arrived = settled ? 1 : 1 - 0.5 * Math.exp(-Math.max(0, age + 5) / 25);
    const countries = this.account.countries.length;
    let sent = 0;
    let delivered = 0;
    this.account.phones.forEach((phone, pi) => {
      if (filter.phones?.length && !filter.phones.includes(phone.number)) return;
      this.account.countries.forEach((country, ci) => {
        if (filter.countries?.length && !filter.countries.includes(country.code)) return;
        const cell = (pi * countries + ci) * 2;
        sent += cells[cell]!;
        delivered += settled ? cells[cell + 1]! : Math.round(cells[cell + 1]! * arrived);
      });
    });
    return { sent, delivered };
  }

  /**
   * Shares of a phone × country's messages by pricing category in the half hour from `t`: the
   * sandbox's usual mix, except that a volume burst's extra messages are marketing (a campaign).
   */
  categoryShares(t: number, phone: string, country: string): ReadonlyArray<[PricingCategory, number]> {
    let factor = 1;
    for (const incident of this.account.incidents) {
      if (incident.kind !== 'burst' || t < incident.start || t >= incident.end) continue;
      if ((incident.phone && incident.phone !== phone) || (incident.country && incident.country !== country)) continue;
      factor *= incident.factor;
    }
    if (factor <= 1) return CATEGORY_SHARES;
    return CATEGORY_SHARES.map(([c, share]) => [c, c === 'marketing' ? 1 - (1 - share) / factor : share / factor]);
  }

  /** [sent, delivered] for every phone × country of a half hour that has ended (status webhooks tell them). */
  cellsOf(t: number): Int32Array {
    let cells = this.settledSlots.get(t);
    if (!cells) {
      cells = this.slotCells(t, 1);
      if (this.settledSlots.size >= TrafficModel.MAX_CACHED_SLOTS) this.settledSlots.clear();
      this.settledSlots.set(t, cells);
    }
    return cells;
  }

  /** [sent, delivered] for every phone × country in one half hour, `elapsed` of it gone. */
  private slotCells(t: number, elapsed: number): Int32Array {
    const countries = this.account.countries.length;
    const cells = new Int32Array(this.account.phones.length * countries * 2);
    const slot = Math.floor(t / HALF_HOUR);
    this.account.phones.forEach((phone, pi) => {
      this.account.countries.forEach((country, ci) => {
        // The product's own offset cache, shared by every account: one Intl lookup per zone and half hour.
        const offset = offsetMinutes(t, country.tz);
        const localHour = (((t / 3600 + offset / 60) % 24) + 24) % 24;
        const weekday = ((((Math.floor((t + offset * 60) / 86_400) + 3) % 7) + 7) % 7) + 1; // ISO: 1970-01-01 was a Thursday
        const weekend = weekday >= 6 ? 0.55 : 1;
        let mean = this.account.volume * phone.weight * country.weight * dailyCurve(localHour) * weekend;
        mean *= Math.exp(0.15 * gaussian(this.seed, pi, ci, slot, 10) - 0.011);
        let rate = country.rate;
        const day = Math.floor((t + offset * 60) / 86_400);
        rate += 0.004 * gaussian(this.seed, ci, day, 20); // slow day-to-day wander
        if (localHour < 6 || localHour >= 23) rate -= 0.008; // phones off at night
        rate += 0.004 * gaussian(this.seed, pi, ci, slot, 30); // more-than-binomial noise
        for (const incident of this.account.incidents) {
          // (A failure burst may start or end inside a half hour — `sandbox --failure-burst` starts one now.)
          const overlap = (Math.min(incident.end, t + HALF_HOUR) - Math.max(incident.start, t)) / HALF_HOUR;
          if (overlap <= 0 || (incident.kind !== 'failure_burst' && (t < incident.start || t >= incident.end))) continue;
          if (incident.phone && incident.phone !== phone.number) continue;
          if (incident.country && incident.country !== country.code) continue;
          if (incident.kind === 'stop') mean = 0;
          else if (incident.kind === 'burst') mean *= incident.factor;
          else if (incident.kind === 'failure_burst') {
            // Only the category's messages fail: the rate falls by the share they are of all.
            const share = CATEGORY_SHARES.find(([c]) => c === (incident.category ?? 'marketing'))?.[1] ?? 0;
            rate *= 1 - incident.factor * share * Math.min(1, overlap);
          } else rate *= incident.factor;
        }
        rate = Math.min(0.999, Math.max(0, rate));
        const n = Math.round(countFrom(mean, this.seed, pi, ci, slot, 40) * elapsed);
        const d = Math.max(0, Math.min(n, Math.round(n * rate + Math.sqrt(n * rate * (1 - rate)) * gaussian(this.seed, pi, ci, slot, 50))));
        const cell = (pi * countries + ci) * 2;
        cells[cell] = n;
        cells[cell + 1] = d;
      });
    });
    return cells;
  }

  /**
   * Buckets of [start, end) at the given granularity with DAY/MONTH aligned to `bucketTz`,
   * omitting buckets with no traffic (as Graph does).
   */
  buckets(
    start: number,
    end: number,
    granularity: 'HALF_HOUR' | 'DAY' | 'MONTH',
    bucketTz: string,
    now: number,
    filter: TrafficFilter = {},
  ): DataPoint[] {
    const out: DataPoint[] = [];
    const unit = granularity === 'DAY' ? 'day' : 'month';
    let bucketStart =
      granularity === 'HALF_HOUR'
        ? Math.floor(start / HALF_HOUR) * HALF_HOUR
        : DateTime.fromSeconds(start, { zone: bucketTz }).startOf(unit).toSeconds();
    const stop = Math.min(end, now);
    while (bucketStart < stop) {
      const bucketEnd =
        granularity === 'HALF_HOUR'
          ? bucketStart + HALF_HOUR
          : DateTime.fromSeconds(bucketStart, { zone: bucketTz })
              .plus(unit === 'day' ? { days: 1 } : { months: 1 })
              .startOf(unit)
              .toSeconds();
      let sent = 0;
      let delivered = 0;
      for (let t = Math.max(bucketStart, Math.floor(start / HALF_HOUR) * HALF_HOUR); t < Math.min(bucketEnd, stop); t += HALF_HOUR) {
        const hh = this.halfHour(t, now, filter);
        sent += hh.sent;
        delivered += hh.delivered;
      }
      if (sent > 0 || delivered > 0) out.push({ start: bucketStart, end: bucketEnd, sent, delivered });
      bucketStart = bucketEnd;
    }
    return out;
  }

  /** Countries with traffic for the filter (what Graph lists in `country_codes`). */
  countryCodes(filter: TrafficFilter = {}): string[] {
    return this.account.countries.map((c) => c.code).filter((c) => !filter.countries?.length || filter.countries.includes(c));
  }
}
