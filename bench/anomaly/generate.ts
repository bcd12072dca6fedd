/**
 * Labelled synthetic WABA traffic for evaluating the anomaly detectors. Deterministic from a
 * seed. As hard as real traffic: over-dispersed delivery noise, quiet nights, weekends, audiences
 * whose delivery dips at night, a normal rate that wanders from day to day, daylight-saving
 * changes inside the window, marketing bursts (volume, not incidents), and incidents of known
 * size, place and duration: sudden drops, subtle drops, slow slides and complete stops, on one
 * phone number, one country, or the whole account.
 */
import { offsetMinutes } from '../../src/analytics/time.js';
import type { DataPoint } from '../../src/vocabulary/series.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  uniform(a = 0, b = 1): number {
    return a + (b - a) * this.next();
  }
  int(a: number, b: number): number {
    return Math.floor(this.uniform(a, b + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = Math.max(1e-12, this.next());
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 50) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.next();
      while (p > limit) {
        k++;
        p *= this.next();
      }
      return k;
    }
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
  }
  /** Gamma(shape, 1) by Marsaglia and Tsang. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.max(1e-12, this.next()) ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    return x / (x + this.gamma(b));
  }
  binomial(n: number, p: number): number {
    if (n <= 0) return 0;
    if (n < 40) {
      let k = 0;
      for (let i = 0; i < n; i++) if (this.next() < p) k++;
      return k;
    }
    return Math.max(0, Math.min(n, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * this.normal())));
  }
}

export type IncidentKind = 'drop' | 'subtle' | 'slide' | 'stop';

export interface Incident {
  kind: IncidentKind;
  /** Index of the phone or country hit, or undefined for the whole account. */
  phone?: number;
  country?: number;
  /** Bucket indexes [start, end) on the half-hour grid. */
  start: number;
  end: number;
  /** Rate drop (fraction) at full strength; 1 for stops. */
  size: number;
}

export interface Burst {
  phone?: number;
  /** A campaign to one country (hard sets aim them at the account's lowest-rate audience). */
  country?: number;
  start: number;
  end: number;
  factor: number;
}

export interface EvalCountry {
  code: string;
  tz: string;
  weight: number;
  rate: number;
  /** Drop of the rate at local night, for audiences that switch phones off. */
  nightDip: number;
}

export interface EvalAccount {
  index: number;
  tz: string;
  /** Mean sent per half hour at the account's daily peak. */
  peak: number;
  phones: number[];
  countries: EvalCountry[];
  weekend: number;
  incidents: Incident[];
  bursts: Burst[];
  /** sent / delivered per [phone][country] cell, per half hour. */
  sent: Int32Array[][];
  delivered: Int32Array[][];
}

export const HALF_HOUR = 1800;
const COUNTRIES: Array<Omit<EvalCountry, 'weight'>> = [
  { code: 'IN', tz: 'Asia/Kolkata', rate: 0.955, nightDip: 0.012 },
  { code: 'US', tz: 'America/New_York', rate: 0.985, nightDip: 0 },
  { code: 'BR', tz: 'America/Sao_Paulo', rate: 0.972, nightDip: 0.006 },
  { code: 'DE', tz: 'Europe/Berlin', rate: 0.981, nightDip: 0 },
  { code: 'ID', tz: 'Asia/Jakarta', rate: 0.95, nightDip: 0.015 },
  { code: 'MX', tz: 'America/Mexico_City', rate: 0.965, nightDip: 0.008 },
  { code: 'GB', tz: 'Europe/London', rate: 0.983, nightDip: 0 },
];
/** Account zones; Berlin and New York change clocks inside the October–November window. */
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'America/Sao_Paulo', 'Europe/London'];

function curve(hour: number): number {
  return 0.03 + Math.exp(-(((hour - 14) / 4.5) ** 2));
}

export interface GenerateOptions {
  accounts: number;
  days: number;
  /** UNIX seconds of the first bucket (UTC half-hour aligned). */
  start: number;
  /** Days at the start that only serve as history. */
  warmupDays: number;
  seed: number;
  /** Incident durations in buckets, scaled for DAY evaluation. */
  dayScale?: boolean;
  /**
   * The hard set: per-bucket delivery rates drawn from a beta distribution (concentration
   * 40–300: swings of one to three points whatever the volume), a busier audience-mix noise,
   * accounts with 1, 3 or 10 numbers of unequal share, and campaigns aimed at the account's
   * lowest-rate country.
   */
  hard?: boolean;
}

/** Busy buckets of a cell: local hours where traffic is high, for placing incidents. */
function busyStart(rng: Rng, opts: GenerateOptions, tz: string, length: number): number {
  const first = opts.warmupDays * 48;
  const last = opts.days * 48 - length - 4;
  for (let tries = 0; tries < 200; tries++) {
    const b = rng.int(first, last);
    const t = opts.start + b * HALF_HOUR;
    const hour = ((((t + offsetMinutes(t, tz) * 60) % 86_400) + 86_400) % 86_400) / 3600;
    if (hour >= 9 && hour <= 17) return b;
  }
  return rng.int(first, last);
}

/** The half-hour index of local midnight (in `tz`) on the day holding bucket `b`. */
function localMidnight(opts: GenerateOptions, tz: string, b: number): number {
  const t = opts.start + b * HALF_HOUR;
  const local = t + offsetMinutes(t, tz) * 60;
  const midnight = local - (((local % 86_400) + 86_400) % 86_400);
  return Math.round((midnight - offsetMinutes(midnight, tz) * 60 - opts.start) / HALF_HOUR);
}

export function generateAccounts(opts: GenerateOptions): EvalAccount[] {
  const rng = new Rng(opts.seed);
  const buckets = opts.days * 48;
  const accounts: EvalAccount[] = [];
  for (let a = 0; a < opts.accounts; a++) {
    const tz = ZONES[a % ZONES.length]!;
    // Log-uniform peak volume from tens to tens of thousands per half hour.
    const peak = Math.round(Math.exp(rng.uniform(Math.log(15), Math.log(60_000))));
    const phoneCount = opts.hard ? rng.pick([1, 3, 3, 10, 10]) : rng.int(1, 4);
    // Ten numbers share traffic unequally (a few busy, a long tail), as real portfolios do.
    const phones = Array.from({ length: phoneCount }, (_, k) => (opts.hard && phoneCount > 3 ? 1 / (k + 1) ** 1.1 : rng.uniform(0.3, 1)));
    const phoneSum = phones.reduce((x, y) => x + y, 0);
    const picked = [...COUNTRIES].sort(() => rng.uniform() - 0.5).slice(0, rng.int(1, 4));
    const weights = picked.map(() => rng.uniform(0.2, 1));
    const weightSum = weights.reduce((x, y) => x + y, 0);
    const countries = picked.map((c, i) => ({ ...c, weight: weights[i]! / weightSum, rate: c.rate + rng.uniform(-0.01, 0.01) }));
    const account: EvalAccount = {
      index: a,
      tz,
      peak,
      phones: phones.map((p) => p / phoneSum),
      countries,
      weekend: rng.uniform(0.45, 0.9),
      incidents: [],
      bursts: [],
      sent: [],
      delivered: [],
    };
    const clean = a % 4 === 0; // every fourth account has no incidents and no bursts
    if (!clean) {
      const count = rng.int(1, 4);
      for (let k = 0; k < count; k++) {
        const kind = rng.pick<IncidentKind>(['drop', 'drop', 'subtle', 'slide', 'stop']);
        const place = rng.uniform();
        const incident: Incident = { kind, start: 0, end: 0, size: 0 };
        if (kind === 'stop' || (place < 0.45 && account.phones.length > 1)) incident.phone = rng.int(0, account.phones.length - 1);
        else if (place < 0.8 && account.countries.length > 1) incident.country = rng.int(0, account.countries.length - 1);
        const length = opts.dayScale ? rng.int(1, 3) * 48 : kind === 'slide' ? rng.int(8, 16) : rng.int(4, 16);
        incident.size =
          kind === 'drop'
            ? rng.uniform(0.05, 0.25)
            : kind === 'subtle'
              ? rng.uniform(0.02, 0.05)
              : kind === 'slide'
                ? rng.uniform(0.05, 0.2)
                : 1;
        const zone = incident.country !== undefined ? account.countries[incident.country]!.tz : tz;
        incident.start = opts.dayScale ? localMidnight(opts, tz, busyStart(rng, opts, zone, length)) : busyStart(rng, opts, zone, length);
        incident.end = incident.start + length;
        // Keep incidents apart so each is judged on its own.
        if (account.incidents.some((o) => incident.start < o.end + 96 && o.start < incident.end + 96)) continue;
        account.incidents.push(incident);
      }
      for (let k = rng.int(0, 2); k > 0; k--) {
        const length = opts.dayScale ? 48 : rng.int(4, 8);
        const start = opts.dayScale ? localMidnight(opts, tz, busyStart(rng, opts, tz, length)) : busyStart(rng, opts, tz, length);
        const burst: Burst = { start, end: start + length, factor: rng.uniform(3, 8) };
        if (rng.uniform() < 0.5 && account.phones.length > 1) burst.phone = rng.int(0, account.phones.length - 1);
        if (opts.hard && countries.length > 1) {
          // A campaign to the audience that delivers least: the account's mix, and its rate, shift.
          let lowest = 0;
          for (let i = 1; i < countries.length; i++) if (countries[i]!.rate < countries[lowest]!.rate) lowest = i;
          burst.country = lowest;
          delete burst.phone;
        }
        if (account.bursts.some((o) => burst.start < o.end + 48 && o.start < burst.end + 48)) continue;
        account.bursts.push(burst);
      }
    }
    // Daily wander of each country's rate: a slow AR(1) walk.
    const wander = countries.map(() => {
      const w = new Float64Array(opts.days + 2);
      for (let d = 1; d < w.length; d++) w[d] = 0.7 * w[d - 1]! + 0.0025 * rng.normal();
      return w;
    });
    const trend = Array.from({ length: opts.days + 2 }, (_, d) => 1 + 0.002 * d * rng.uniform(-1, 1));
    const overdispersion = rng.uniform(0.002, 0.005); // per-bucket rate noise beyond binomial
    // Hard set: each cell's per-bucket rate is Beta(κp, κ(1-p)), κ log-uniform in 40..300.
    const concentration = Math.exp(rng.uniform(Math.log(40), Math.log(300)));
    const mixNoise = opts.hard ? 0.35 : 0.2;
    for (let p = 0; p < account.phones.length; p++) {
      account.sent[p] = [];
      account.delivered[p] = [];
      for (let c = 0; c < countries.length; c++) {
        const country = countries[c]!;
        const sent = new Int32Array(buckets);
        const delivered = new Int32Array(buckets);
        for (let b = 0; b < buckets; b++) {
          const t = opts.start + b * HALF_HOUR;
          const localSeconds = t + offsetMinutes(t, country.tz) * 60;
          const hour = (((localSeconds % 86_400) + 86_400) % 86_400) / 3600;
          const day = Math.floor(localSeconds / 86_400);
          const weekday = (day + 4) % 7; // 0 = Sunday
          let mean = peak * account.phones[p]! * country.weight * curve(hour) * (weekday === 0 || weekday === 6 ? account.weekend : 1);
          mean *= trend[Math.min(trend.length - 1, Math.floor(b / 48))]! * Math.exp(mixNoise * rng.normal() - (mixNoise * mixNoise) / 2);
          let rate = country.rate + wander[c]![Math.min(opts.days + 1, Math.floor(b / 48) + 1)]! - (hour < 6 ? country.nightDip : 0);
          for (const burst of account.bursts) {
            if (
              b >= burst.start &&
              b < burst.end &&
              (burst.phone === undefined || burst.phone === p) &&
              (burst.country === undefined || burst.country === c)
            ) {
              mean *= burst.factor;
              rate -= 0.004; // colder audiences deliver slightly less; not an incident
            }
          }
          for (const inc of account.incidents) {
            if (b < inc.start || b >= inc.end) continue;
            if (inc.phone !== undefined && inc.phone !== p) continue;
            if (inc.country !== undefined && inc.country !== c) continue;
            if (inc.kind === 'stop') mean = 0;
            else if (inc.kind === 'slide') rate -= inc.size * Math.min(1, (b - inc.start + 1) / Math.max(2, (inc.end - inc.start) / 2));
            else rate -= inc.size;
          }
          const n = rng.poisson(mean);
          const target = Math.min(0.999, Math.max(0.01, rate));
          const bucketRate = opts.hard
            ? rng.beta(concentration * target, concentration * (1 - target))
            : Math.min(0.999, Math.max(0.01, rate + overdispersion * rng.normal()));
          sent[b] = n;
          delivered[b] = rng.binomial(n, bucketRate);
        }
        account.sent[p]![c] = sent;
        account.delivered[p]![c] = delivered;
      }
    }
    accounts.push(account);
  }
  return accounts;
}

export interface ScopeSeries {
  kind: 'account' | 'phone' | 'country';
  index: number | undefined;
  points: DataPoint[];
}

/** The account's half-hour series for the whole account, each phone and each country. */
export function scopeSeries(account: EvalAccount, start: number): ScopeSeries[] {
  const buckets = account.sent[0]![0]!.length;
  const build = (include: (p: number, c: number) => boolean): DataPoint[] => {
    const points: DataPoint[] = new Array(buckets);
    for (let b = 0; b < buckets; b++) {
      let s = 0;
      let d = 0;
      for (let p = 0; p < account.phones.length; p++) {
        for (let c = 0; c < account.countries.length; c++) {
          if (!include(p, c)) continue;
          s += account.sent[p]![c]![b]!;
          d += account.delivered[p]![c]![b]!;
        }
      }
      points[b] = { start: start + b * HALF_HOUR, end: start + (b + 1) * HALF_HOUR, sent: s, delivered: d };
    }
    return points;
  };
  const out: ScopeSeries[] = [{ kind: 'account', index: undefined, points: build(() => true) }];
  if (account.phones.length > 1) {
    for (let p = 0; p < account.phones.length; p++) out.push({ kind: 'phone', index: p, points: build((pp) => pp === p) });
  }
  if (account.countries.length > 1) {
    for (let c = 0; c < account.countries.length; c++) out.push({ kind: 'country', index: c, points: build((_p, cc) => cc === c) });
  }
  return out;
}
