/**
 * Labelled minute-by-minute status webhook traffic for evaluating failure alerts
 * (`source: webhooks`). Deterministic from a seed, and written apart from the sandbox's traffic
 * model so the detector is not judged on the data it was shaped on. Harder than the sandbox:
 *   - failure rates that swing well beyond binomial noise (beta noise every minute, and the
 *     audience of each number and country changing every half hour to two hours);
 *   - a daily cycle in the failure rate (more 131047 at night), quiet nights, quieter weekends;
 *   - campaigns: one number sending 3–15× its volume for 20–120 minutes to an audience that fails
 *     up to 1.6× as often — noise, not incidents;
 *   - accounts from 2 to 300 messages a minute, one to four numbers of unequal share;
 *   - about 60% of failed messages also reported `sent` (Meta does not always send both); the
 *     rest counted `unsent`, as the store counts them.
 * Incidents, labelled with place, time and size: WhatsApp holding back part of the marketing
 * (131049, account-wide), a number blocked (368 or 131048), a number hitting its throughput
 * (130429).
 */
import type { StatusCount } from '../../src/store/types.js';
import { Rng } from '../anomaly/generate.js';

export const DAY_MINUTES = 1440;

const COUNTRIES = [
  { code: 'IN', tz: 5.5, base: 0.03 },
  { code: 'BR', tz: -3, base: 0.022 },
  { code: 'ID', tz: 7, base: 0.035 },
  { code: 'US', tz: -5, base: 0.012 },
  { code: 'DE', tz: 1, base: 0.01 },
  { code: 'MX', tz: -6, base: 0.025 },
  { code: 'NG', tz: 1, base: 0.045 },
];

/** The ordinary failures, by code: most are recipients not on WhatsApp or a closed 24-hour window. */
const ORDINARY_MIX: Array<[number, number]> = [
  [131026, 0.45],
  [131047, 0.2],
  [131050, 0.1],
  [131049, 0.08],
  [130472, 0.07],
  [131056, 0.05],
  [131000, 0.05],
];

export type IncidentKind = 'hold_back' | 'block' | 'throughput';

export interface FailureIncident {
  kind: IncidentKind;
  code: number;
  /** Minute indexes, [start, end). */
  start: number;
  end: number;
  /** The number it hits (block, throughput); the whole account's marketing for hold_back. */
  phone?: number;
  /** Share of the affected messages that fail. */
  share: number;
  /** The rise in failure rate, in points, in the scope where it shows most (the number, or the account). */
  risePoints: number;
  /** Messages a minute in that scope, on average over the incident. */
  volume: number;
}

export interface FailureAccount {
  id: string;
  phones: Array<{ number: string; weight: number }>;
  countries: Array<{ code: string; tz: number; base: number; weight: number }>;
  /** Messages a minute at the daily peak's average. */
  volume: number;
  marketingShare: number;
  incidents: FailureIncident[];
  campaigns: Array<{ start: number; end: number; phone: number; volume: number; failures: number }>;
  /** Minute by minute, the rows a store would hold (sent, failed and unsent only: what the judge reads). */
  minutes: StatusCount[][];
}

function mix(rng: Rng, weights: Array<[number, number]>): number {
  let u = rng.uniform();
  for (const [code, w] of weights) {
    u -= w;
    if (u <= 0) return code;
  }
  return weights[weights.length - 1]![0];
}

/** How busy a country's recipients are at a UTC minute: a daily curve in their local time. */
function activity(minuteOfWeek: number, tz: number): number {
  const local = (((minuteOfWeek / 60 + tz) % 168) + 168) % 168;
  const hour = local % 24;
  const day = Math.floor(local / 24);
  const curve = 0.15 + 0.85 * Math.max(0, Math.sin(((hour - 7) / 16) * Math.PI)) ** 1.5;
  return curve * (day >= 5 ? 0.7 : 1);
}

export function generateFailureAccount(seed: number, index: number, days: number, startMinute: number): FailureAccount {
  const rng = new Rng(seed * 7919 + index * 104729);
  const total = days * DAY_MINUTES;
  const phoneCount = rng.int(1, 4);
  const weights = Array.from({ length: phoneCount }, () => rng.uniform(0.3, 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  const phones = weights.map((w, i) => ({ number: `1555${String(index).padStart(4, '0')}${i}`, weight: w / sum }));
  const picked = [...COUNTRIES].sort(() => rng.uniform() - 0.5).slice(0, rng.int(2, 4));
  const cw = picked.map(() => rng.uniform(0.2, 1));
  const csum = cw.reduce((a, b) => a + b, 0);
  const countries = picked.map((c, i) => ({ ...c, base: c.base * rng.uniform(0.6, 1.6), weight: cw[i]! / csum }));
  const volume = Math.exp(rng.uniform(Math.log(2), Math.log(300)));
  const marketingShare = rng.uniform(0.2, 0.6);

  // Campaigns: noise. About one a day.
  const campaigns: FailureAccount['campaigns'] = [];
  for (let d = 0; d < days; d++) {
    for (let k = rng.poisson(0.9); k > 0; k--) {
      const start = d * DAY_MINUTES + rng.int(6 * 60, 20 * 60);
      campaigns.push({
        start,
        end: start + rng.int(20, 120),
        phone: rng.int(0, phoneCount - 1),
        volume: rng.uniform(3, 15),
        failures: rng.uniform(0.9, 1.6),
      });
    }
  }

  // Incidents: four, in busy hours of the judged days (after the first), apart from each other.
  const incidents: FailureIncident[] = [];
  for (let tries = 0; incidents.length < 4 && tries < 100; tries++) {
    const day = rng.int(1, days - 1);
    const start = day * DAY_MINUTES + rng.int(8 * 60, 18 * 60);
    const kind = rng.pick<IncidentKind>(['hold_back', 'block', 'throughput']);
    const duration = kind === 'hold_back' ? rng.int(20, 120) : kind === 'block' ? rng.int(10, 60) : rng.int(10, 40);
    const end = Math.min(total, start + duration);
    if (incidents.some((i) => start < i.end + 180 && i.start < end + 180)) continue;
    const phone = kind === 'hold_back' ? undefined : rng.int(0, phoneCount - 1);
    const share = kind === 'hold_back' ? rng.uniform(0.1, 0.4) : kind === 'block' ? rng.uniform(0.3, 1) : rng.uniform(0.05, 0.25);
    const code = kind === 'hold_back' ? 131049 : kind === 'block' ? rng.pick([368, 131048]) : 130429;
    incidents.push({ kind, code, start, end, phone, share, risePoints: 0, volume: 0 });
  }
  incidents.sort((a, b) => a.start - b.start);

  // The audience of each number and country, redrawn every 30–120 minutes.
  const audience = phones.map(() => countries.map(() => ({ until: 0, factor: 1 })));
  const minutes: StatusCount[][] = [];
  const affected = new Map<FailureIncident, { failing: number; messages: number; minutes: number }>();
  for (let t = 0; t < total; t++) {
    const minute = startMinute + t * 60;
    const minuteOfWeek = Math.floor(minute / 60) % (7 * DAY_MINUTES);
    const rows = new Map<string, StatusCount>();
    const add = (phone: string, country: string, status: 'sent' | 'failed' | 'unsent', code: number, count: number) => {
      if (count <= 0) return;
      const key = `${phone}|${country}|${status}|${code}`;
      const row = rows.get(key);
      if (row) row.count += count;
      else rows.set(key, { accountId: String(index), minute, phone, country, status, code, category: '', count });
    };
    const active = incidents.filter((i) => t >= i.start && t < i.end);
    phones.forEach((phone, p) => {
      const campaign = campaigns.find((c) => c.phone === p && t >= c.start && t < c.end);
      countries.forEach((country, c) => {
        const a = audience[p]![c]!;
        if (t >= a.until) {
          a.until = t + rng.int(30, 120);
          a.factor = Math.exp(0.3 * rng.normal());
        }
        const mean = volume * phone.weight * country.weight * activity(minuteOfWeek, country.tz) * (campaign?.volume ?? 1);
        const n = rng.poisson(mean);
        if (n === 0) return;
        const hour = ((((minute / 3600 + country.tz) % 24) + 24) % 24) | 0;
        const night = hour < 6 || hour >= 22 ? 1.4 : 1;
        const p0 = Math.min(0.5, country.base * a.factor * night * (campaign?.failures ?? 1));
        const rate = rng.beta(p0 * 300, (1 - p0) * 300);
        let failed = rng.binomial(n, rate);
        const byCode = new Map<number, number>();
        for (let k = 0; k < failed; k++) {
          const code = mix(rng, ORDINARY_MIX);
          byCode.set(code, (byCode.get(code) ?? 0) + 1);
        }
        for (const incident of active) {
          const exposed = incident.kind === 'hold_back' ? rng.binomial(n - failed, marketingShare) : incident.phone === p ? n - failed : 0;
          const failing = rng.binomial(exposed, incident.share);
          failed += failing;
          byCode.set(incident.code, (byCode.get(incident.code) ?? 0) + failing);
          const seen = affected.get(incident) ?? { failing: 0, messages: 0, minutes: 0 };
          seen.failing += failing;
          affected.set(incident, seen);
        }
        // Every message that did not fail is reported sent; of the failed, some were sent first,
        // the rest are counted by the store as `unsent` (attempted, never sent).
        let sentFailed = 0;
        for (const [code, count] of byCode) {
          add(phone.number, country.code, 'failed', code, count);
          const alsoSent = rng.binomial(count, 0.6);
          sentFailed += alsoSent;
          add(phone.number, country.code, 'unsent', code, count - alsoSent);
        }
        add(phone.number, country.code, 'sent', 0, n - failed + sentFailed);
        for (const incident of active) {
          if (incident.kind === 'hold_back' || incident.phone === p) affected.get(incident)!.messages += n;
        }
      });
    });
    for (const incident of active) {
      const seen = affected.get(incident);
      if (seen) seen.minutes++;
    }
    minutes.push([...rows.values()]);
  }
  for (const incident of incidents) {
    const seen = affected.get(incident);
    incident.risePoints = seen?.messages ? (100 * seen.failing) / seen.messages : 0;
    incident.volume = seen ? seen.messages / Math.max(1, incident.end - incident.start) : 0;
  }
  return {
    id: String(index),
    phones,
    countries,
    volume,
    marketingShare,
    incidents,
    campaigns,
    minutes,
  };
}
