/**
 * The third labelled set — "shifting audiences" — written apart from the other two and frozen
 * before the detector was tuned on them, so its figures say how the detector does on noise it
 * was never shaped against. Its noise is built differently from `generate.ts`:
 *
 *   - audiences that change every two to six hours: each number's traffic is a mix of a warm and
 *     a cold list (the cold one delivering 4–12 points less), the mix redrawn per stretch, so the
 *     rate moves in steps that last hours, and the volume with it;
 *   - per-bucket noise on the logit scale with an AR(1) part (neighbouring half hours alike) and
 *     a heavy lower tail (the odd bucket where a batch went to a stale list);
 *   - volatile numbers whose rate swings by up to ±4 to ±10 points from one half hour to the next;
 *   - accounts with 1 to 20 numbers of random (gamma-drawn) shares, so some numbers are tiny;
 *   - a country mix that shifts by weekday (each country has its own weekday profile), so the
 *     account's rate differs by weekday;
 *   - two daily peaks in each country's local time, weekends busier or quieter by account;
 *   - March–April 2026: the US (8 March), Europe (29 March) and Sydney (5 April) change clocks
 *     inside the judged window;
 *   - campaigns of 3–10× volume, some to a colder audience (up to 3 points less);
 *   - incidents of known place, size and duration — drops of 2–25 points for 1–8 hours, slides,
 *     stops of a number or the whole account — on the account, one number or one country.
 *
 * Deterministic from its seed; the shapes and parameters here were set once and not revisited
 * after seeing any detector's figures on it.
 */
import { offsetMinutes } from '../../src/analytics/time.js';
import { type Burst, type EvalAccount, type EvalCountry, HALF_HOUR, type Incident, type IncidentKind, Rng } from './generate.js';

/** Monday 2 March 2026, 00:00 UTC: 7 days of history, then 28 judged days to 5 April. */
export const SHIFTING_START = Date.UTC(2026, 2, 1) / 1000;

const AUDIENCES: Array<Omit<EvalCountry, 'weight' | 'nightDip'>> = [
  { code: 'US', tz: 'America/Chicago', rate: 0.978 },
  { code: 'MX', tz: 'America/Mexico_City', rate: 0.962 },
  { code: 'ES', tz: 'Europe/Madrid', rate: 0.982 },
  { code: 'GB', tz: 'Europe/London', rate: 0.984 },
  { code: 'NG', tz: 'Africa/Lagos', rate: 0.93 },
  { code: 'IN', tz: 'Asia/Kolkata', rate: 0.95 },
  { code: 'AU', tz: 'Australia/Sydney', rate: 0.985 },
  { code: 'PH', tz: 'Asia/Manila', rate: 0.945 },
  { code: 'CO', tz: 'America/Bogota', rate: 0.955 },
  { code: 'DE', tz: 'Europe/Berlin', rate: 0.983 },
];
const ACCOUNT_ZONES = ['America/Chicago', 'Europe/Madrid', 'Australia/Sydney', 'Asia/Kolkata', 'America/Los_Angeles', 'Europe/London'];

export interface ShiftingOptions {
  accounts: number;
  seed: number;
  /** Days generated (history included) and days that only serve as history. */
  days?: number;
  warmupDays?: number;
}

const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Local hour (0..24) and weekday (0 = Sunday) of a UTC time in a zone. */
function localClock(t: number, tz: string): { hour: number; weekday: number } {
  const local = t + offsetMinutes(t, tz) * 60;
  const seconds = ((local % 86_400) + 86_400) % 86_400;
  return { hour: seconds / 3600, weekday: (Math.floor(local / 86_400) + 4) % 7 };
}

/** Each zone's clock per bucket, worked out once. */
const clocks = new Map<string, Array<{ hour: number; weekday: number }>>();
function clockOf(tz: string, b: number, buckets: number): { hour: number; weekday: number } {
  let list = clocks.get(tz);
  if (!list || list.length < buckets) {
    list = Array.from({ length: buckets }, (_, k) => localClock(SHIFTING_START + k * HALF_HOUR, tz));
    clocks.set(tz, list);
  }
  return list[b]!;
}

interface Profile {
  morning: number;
  evening: number;
  eveningHeight: number;
  night: number;
}

/** Two peaks a day and a floor at night. */
function dailyShape(p: Profile, hour: number): number {
  const bump = (centre: number, width: number) => Math.exp(-(((hour - centre) / width) ** 2));
  return p.night + bump(p.morning, 2.5) + p.eveningHeight * bump(p.evening, 2.2);
}

export function generateShifting(opts: ShiftingOptions): EvalAccount[] {
  const rng = new Rng(opts.seed);
  const days = opts.days ?? 35;
  const warmup = opts.warmupDays ?? 7;
  const buckets = days * 48;
  const out: EvalAccount[] = [];
  for (let a = 0; a < opts.accounts; a++) {
    const tz = ACCOUNT_ZONES[a % ACCOUNT_ZONES.length]!;
    const peak = Math.exp(rng.uniform(Math.log(30), Math.log(40_000)));
    const roll = rng.uniform();
    const phoneCount = roll < 0.2 ? 1 : roll < 0.55 ? rng.int(2, 5) : roll < 0.7 ? rng.int(6, 9) : rng.int(10, 20);
    const rawShares = Array.from({ length: phoneCount }, () => rng.gamma(0.8) + 0.02);
    const shareSum = rawShares.reduce((x, y) => x + y, 0);
    const phones = rawShares.map((s) => s / shareSum);
    const picked = [...AUDIENCES].sort(() => rng.uniform() - 0.5).slice(0, rng.int(1, 5));
    const countryWeights = picked.map(() => rng.gamma(1.2) + 0.05);
    const cwSum = countryWeights.reduce((x, y) => x + y, 0);
    const countries: EvalCountry[] = picked.map((c, i) => ({
      ...c,
      weight: countryWeights[i]! / cwSum,
      rate: c.rate + rng.uniform(-0.012, 0.008),
      nightDip: 0,
    }));
    // Each country's weekday profile: the mix, and so the account's rate, shifts by weekday.
    const weekdayMix = countries.map(() => Array.from({ length: 7 }, () => Math.exp(0.45 * rng.normal())));
    const profiles: Profile[] = countries.map(() => ({
      morning: rng.uniform(8.5, 12),
      evening: rng.uniform(17, 21),
      eveningHeight: rng.uniform(0.2, 1.1),
      night: rng.uniform(0.01, 0.08),
    }));
    const weekendFactor = rng.uniform(0.3, 1.15);
    const growthPerWeek = rng.uniform(-0.05, 0.1);
    // Each number: its own level, audience steps, noise, and perhaps wild swings.
    const numberOffset = phones.map(() => 0.012 * rng.normal());
    const volatile = phones.map(() => (rng.uniform() < 0.15 ? rng.uniform(0.04, 0.1) : 0));
    const coldGap = rng.uniform(0.04, 0.12);
    const coldMax = rng.uniform(0.1, 0.35);
    const logitSd = rng.uniform(0.05, 0.35);
    const arCoef = rng.uniform(0.3, 0.7);
    const badBatchChance = rng.uniform(0.005, 0.03);

    const account: EvalAccount = {
      index: a,
      tz,
      peak,
      phones,
      countries,
      weekend: weekendFactor,
      incidents: [],
      bursts: [],
      sent: [],
      delivered: [],
    };

    const clean = a % 6 === 0;
    if (!clean) {
      for (let k = rng.int(1, 4); k > 0; k--) {
        const incident = drawIncident(rng, account, warmup, days);
        if (account.incidents.some((o) => incident.start < o.end + 48 && o.start < incident.end + 48)) continue;
        account.incidents.push(incident);
      }
      for (let k = rng.int(0, 3); k > 0; k--) {
        const length = rng.int(4, 10);
        const start = rng.int(warmup * 48 - 48, days * 48 - length - 1);
        const burst: Burst = { start, end: start + length, factor: rng.uniform(3, 10) };
        const target = rng.uniform();
        if (target < 0.4 && phones.length > 1) burst.phone = rng.int(0, phones.length - 1);
        else if (target < 0.7 && countries.length > 1) burst.country = rng.int(0, countries.length - 1);
        if (account.bursts.some((o) => burst.start < o.end + 24 && o.start < burst.end + 24)) continue;
        account.bursts.push(burst);
      }
    }
    // Campaign audiences are colder by up to 3 points.
    const campaignChill = account.bursts.map(() => rng.uniform(0, 0.03));

    for (let p = 0; p < phones.length; p++) {
      account.sent[p] = [];
      account.delivered[p] = [];
      // Audience stretches of 2–6 hours: the cold list's share and a volume factor.
      const coldShare = new Float64Array(buckets);
      const stretchVolume = new Float64Array(buckets);
      for (let b = 0; b < buckets; ) {
        const length = rng.int(4, 12);
        const share = coldMax * rng.uniform();
        const volume = Math.exp(0.3 * rng.normal() - 0.045);
        for (let k = b; k < Math.min(buckets, b + length); k++) {
          coldShare[k] = share;
          stretchVolume[k] = volume;
        }
        b += length;
      }
      for (let c = 0; c < countries.length; c++) {
        const country = countries[c]!;
        const sent = new Int32Array(buckets);
        const delivered = new Int32Array(buckets);
        let ar = 0;
        for (let b = 0; b < buckets; b++) {
          const { hour, weekday } = clockOf(country.tz, b, buckets);
          const weekend = weekday === 0 || weekday === 6;
          let mean =
            peak *
            phones[p]! *
            country.weight *
            weekdayMix[c]![weekday]! *
            dailyShape(profiles[c]!, hour) *
            (weekend ? weekendFactor : 1) *
            (1 + (growthPerWeek * b) / (7 * 48)) *
            stretchVolume[b]!;
          let rate = country.rate + numberOffset[p]! - coldShare[b]! * coldGap;
          account.bursts.forEach((burst, i) => {
            if (b < burst.start || b >= burst.end) return;
            if (burst.phone !== undefined && burst.phone !== p) return;
            if (burst.country !== undefined && burst.country !== c) return;
            // The campaign's extra messages go to a colder audience.
            const extra = burst.factor - 1;
            rate -= (campaignChill[i]! * extra) / burst.factor;
            mean *= burst.factor;
          });
          for (const inc of account.incidents) {
            if (b < inc.start || b >= inc.end) continue;
            if (inc.phone !== undefined && inc.phone !== p) continue;
            if (inc.country !== undefined && inc.country !== c) continue;
            if (inc.kind === 'stop') mean = 0;
            else if (inc.kind === 'slide')
              rate -= inc.size * Math.min(1, (b - inc.start + 1) / Math.max(2, Math.round((inc.end - inc.start) * 0.7)));
            else rate -= inc.size;
          }
          ar = arCoef * ar + Math.sqrt(1 - arCoef * arCoef) * rng.normal();
          const x = logit(Math.min(0.999, Math.max(0.02, rate))) + logitSd * (0.6 * ar + 0.8 * rng.normal());
          let bucketRate = sigmoid(x);
          if (volatile[p]! > 0) bucketRate += rng.uniform(-volatile[p]!, volatile[p]!);
          if (rng.uniform() < badBatchChance) bucketRate -= -Math.log(Math.max(1e-9, rng.uniform())) * 0.03;
          bucketRate = Math.min(0.999, Math.max(0.01, bucketRate));
          const n = rng.poisson(mean);
          sent[b] = n;
          delivered[b] = rng.binomial(n, bucketRate);
        }
        account.sent[p]![c] = sent;
        account.delivered[p]![c] = delivered;
      }
    }
    out.push(account);
  }
  return out;
}

/** A number, busier ones a little more often (by the square root of their share). */
function pickNumber(rng: Rng, shares: readonly number[]): number {
  const weights = shares.map(Math.sqrt);
  let u = rng.uniform() * weights.reduce((x, y) => x + y, 0);
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u <= 0) return i;
  }
  return weights.length - 1;
}

/** An incident on the account, one number or one country, placed where that scope is busy. */
function drawIncident(rng: Rng, account: EvalAccount, warmup: number, days: number): Incident {
  const kind = rng.pick<IncidentKind>(['drop', 'drop', 'drop', 'subtle', 'slide', 'stop']);
  const incident: Incident = { kind, start: 0, end: 0, size: 0 };
  const place = rng.uniform();
  if (kind === 'stop') {
    if (place < 0.8 && account.phones.length > 1) incident.phone = pickNumber(rng, account.phones);
  } else if (place < 0.55 && account.phones.length > 1) incident.phone = pickNumber(rng, account.phones);
  else if (place < 0.8 && account.countries.length > 1) incident.country = rng.int(0, account.countries.length - 1);
  const length = kind === 'slide' ? rng.int(4, 12) : kind === 'stop' ? rng.int(2, 12) : rng.int(2, 16);
  incident.size =
    kind === 'drop' ? rng.uniform(0.05, 0.25) : kind === 'subtle' ? rng.uniform(0.02, 0.05) : kind === 'slide' ? rng.uniform(0.05, 0.2) : 1;
  // Where the scope is busy: a start drawn in daytime of the account's main audience.
  const zone = incident.country !== undefined ? account.countries[incident.country]!.tz : account.countries[0]!.tz;
  for (let tries = 0; ; tries++) {
    const b = rng.int(warmup * 48, days * 48 - length - 2);
    const { hour } = localClock(SHIFTING_START + b * HALF_HOUR, zone);
    if ((hour >= 8 && hour <= 20) || tries > 100) {
      incident.start = b;
      break;
    }
  }
  incident.end = incident.start + length;
  return incident;
}
