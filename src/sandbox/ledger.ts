import { DateTime } from 'luxon';
import type { PricingCategory, SandboxAccount, SandboxTemplate } from './accountModel.js';
import { businessOf, templatePausedAt } from './business.js';
import type { TrafficModel } from './traffic.js';

/**
 * What the sandbox's messages cost and how its templates did, from the same traffic its
 * analytics and status webhooks come from: every delivered message of a category is billed at
 * its recipient country's price (service replies are free), utility and authentication in
 * volume tiers that count up through each calendar month (in the WABA's zone), and each
 * template takes its share of its category, read and clicked at its own rates. Deterministic
 * like the traffic: any range can be asked, any time.
 */

/** The zone the sandbox's WABAs keep their days in (Graph's DAY buckets and pricing days), as in the reference. */
export const DEFAULT_WABA_TIMEZONE = 'America/Los_Angeles';

/** Per delivered message, in USD: about Meta's per-message rates of July 2025. */
const PRICES: Record<string, Record<Exclude<PricingCategory, 'service'>, number>> = {
  IN: { marketing: 0.0107, utility: 0.0014, authentication: 0.0014 },
  US: { marketing: 0.025, utility: 0.0034, authentication: 0.0135 },
  CA: { marketing: 0.025, utility: 0.0034, authentication: 0.0135 },
  BR: { marketing: 0.0625, utility: 0.0068, authentication: 0.0315 },
  ID: { marketing: 0.0411, utility: 0.025, authentication: 0.03 },
  DE: { marketing: 0.1365, utility: 0.0456, authentication: 0.0768 },
  AT: { marketing: 0.0592, utility: 0.0218, authentication: 0.0368 },
  CH: { marketing: 0.0592, utility: 0.0218, authentication: 0.0368 },
  TR: { marketing: 0.0109, utility: 0.0053, authentication: 0.0083 },
};
const OTHER_COUNTRIES = { marketing: 0.0604, utility: 0.0077, authentication: 0.0304 };
/** What one USD is in the account's currency (the sandbox's own round figures). */
const FROM_USD: Record<string, number> = { USD: 1, EUR: 0.92, INR: 88, BRL: 5.4 };

/** Volume tiers of utility and authentication, per country and month: the price falls as the month's volume grows. */
export const TIERS: ReadonlyArray<{ tier: string; upper: number; multiplier: number }> = [
  { tier: '0:100000', upper: 100_000, multiplier: 1 },
  { tier: '100001:500000', upper: 500_000, multiplier: 0.95 },
  { tier: '500001:2000000', upper: 2_000_000, multiplier: 0.9 },
  { tier: '2000001:MAX', upper: Number.POSITIVE_INFINITY, multiplier: 0.85 },
];
const TIERED = new Set<PricingCategory>(['utility', 'authentication']);

const CATEGORIES: readonly PricingCategory[] = ['marketing', 'utility', 'authentication', 'service'];
const HALF_HOUR = 1800;
/** Days older than this are final: their sums are kept. */
const SETTLED_AFTER = 3 * 3600;

export function tierOf(monthVolume: number): (typeof TIERS)[number] {
  return TIERS.find((t) => monthVolume <= t.upper)!;
}

/** One phone × country's messages of a half hour, by category: whole numbers adding up to the cell's own. */
interface CellVolumes {
  pi: number;
  ci: number;
  sent: Record<PricingCategory, number>;
  delivered: Record<PricingCategory, number>;
}

function split(n: number, shares: ReadonlyArray<[PricingCategory, number]>): Record<PricingCategory, number> {
  const out = { marketing: 0, utility: 0, authentication: 0, service: 0 };
  let given = 0;
  for (const [c, share] of shares) {
    if (c === 'utility') continue;
    out[c] = Math.round(n * share);
    given += out[c];
  }
  out.utility = Math.max(0, n - given);
  if (given > n) out.marketing -= given - n;
  return out;
}

export interface PricingQuery {
  start: number;
  end: number;
  granularity: 'HALF_HOUR' | 'DAILY' | 'MONTHLY';
  dimensions: ReadonlySet<string>;
  phones?: readonly string[] | undefined;
  countries?: readonly string[] | undefined;
  categories?: readonly string[] | undefined;
}

export class Ledger {
  private readonly days = new Map<number, Map<string, number>>();
  readonly currency: string;
  private readonly rate: number;

  constructor(
    readonly account: SandboxAccount,
    private readonly model: TrafficModel,
    private readonly wabaTz: string,
  ) {
    this.currency = businessOf(account).currency;
    this.rate = FROM_USD[this.currency] ?? 1;
  }

  private cells(t: number): CellVolumes[] {
    const cells = this.model.cellsOf(t);
    const countries = this.account.countries.length;
    const out: CellVolumes[] = [];
    this.account.phones.forEach((phone, pi) => {
      this.account.countries.forEach((country, ci) => {
        const at = (pi * countries + ci) * 2;
        const shares = this.model.categoryShares(t, phone.number, country.code);
        out.push({ pi, ci, sent: split(cells[at]!, shares), delivered: split(cells[at + 1]!, shares) });
      });
    });
    return out;
  }

  price(category: PricingCategory, country: string): number {
    if (category === 'service') return 0;
    return (PRICES[country] ?? OTHER_COUNTRIES)[category] * this.rate;
  }

  private dayStart(ts: number): number {
    return DateTime.fromSeconds(ts, { zone: this.wabaTz }).startOf('day').toSeconds();
  }

  /** Delivered per category and country in the WABA's day from `dayStart` (half hours ended by `now`). */
  private daySums(dayStart: number, now: number): Map<string, number> {
    const known = this.days.get(dayStart);
    if (known) return known;
    const end = DateTime.fromSeconds(dayStart, { zone: this.wabaTz }).plus({ days: 1 }).toSeconds();
    const sums = new Map<string, number>();
    for (let t = dayStart; t < end && t + HALF_HOUR <= now; t += HALF_HOUR)
      for (const cell of this.cells(t))
        for (const c of CATEGORIES) {
          const key = `${c}|${this.account.countries[cell.ci]!.code}`;
          sums.set(key, (sums.get(key) ?? 0) + cell.delivered[c]);
        }
    if (end + SETTLED_AFTER <= now) this.days.set(dayStart, sums);
    return sums;
  }

  /** The month's volume of a tiered category to a country before the day from `dayStart`. */
  monthBefore(category: PricingCategory, country: string, dayStart: number, now: number): number {
    let volume = 0;
    const month = DateTime.fromSeconds(dayStart, { zone: this.wabaTz }).startOf('month');
    for (let d = month; d.toSeconds() < dayStart; d = d.plus({ days: 1 }))
      volume += this.daySums(d.toSeconds(), now).get(`${category}|${country}`) ?? 0;
    return volume;
  }

  /** The tier a day's messages of a category to a country are priced in: the month's volume before that day decides. */
  tierOn(category: PricingCategory, country: string, dayStart: number, now: number): (typeof TIERS)[number] | undefined {
    if (!TIERED.has(category)) return undefined;
    return tierOf(this.monthBefore(category, country, dayStart, now) + 1);
  }

  /** Graph's `pricing_analytics` data points for the query, as of `now` (UNIX seconds; half hours not yet over are left out). */
  pricing(q: PricingQuery, now: number): Array<Record<string, unknown>> {
    const partner = businessOf(this.account).billing === 'partner';
    const groups = new Map<string, Record<string, unknown> & { volume: number; cost: number }>();
    const tierCache = new Map<string, (typeof TIERS)[number] | undefined>();
    for (let t = Math.floor(q.start / HALF_HOUR) * HALF_HOUR; t < q.end && t + HALF_HOUR <= now; t += HALF_HOUR) {
      const bucket = this.bucketOf(t, q.granularity);
      const day = this.dayStart(t);
      for (const cell of this.cells(t)) {
        const phone = this.account.phones[cell.pi]!.number;
        const country = this.account.countries[cell.ci]!.code;
        if (q.phones?.length && !q.phones.includes(phone)) continue;
        if (q.countries?.length && !q.countries.includes(country)) continue;
        for (const category of CATEGORIES) {
          const volume = cell.delivered[category];
          if (volume === 0 || (q.categories?.length && !q.categories.includes(category.toUpperCase()))) continue;
          const tierKey = `${category}|${country}|${day}`;
          if (!tierCache.has(tierKey)) tierCache.set(tierKey, this.tierOn(category, country, day, now));
          const tier = tierCache.get(tierKey);
          const dims: Record<string, unknown> = {};
          if (q.dimensions.has('PHONE')) dims.phone_number = phone;
          if (q.dimensions.has('COUNTRY')) dims.country = country;
          if (q.dimensions.has('PRICING_CATEGORY')) dims.pricing_category = category.toUpperCase();
          if (q.dimensions.has('PRICING_TYPE')) dims.pricing_type = category === 'service' ? 'FREE_CUSTOMER_SERVICE' : 'REGULAR';
          // Free messages have no tier; marketing is one tier.
          if (q.dimensions.has('TIER') && category !== 'service') dims.tier = tier?.tier ?? '0:MAX';
          const key = `${bucket.start}|${JSON.stringify(dims)}`;
          const group = groups.get(key) ?? { start: bucket.start, end: bucket.end, ...dims, volume: 0, cost: 0 };
          group.volume += volume;
          group.cost += volume * this.price(category, country) * (tier?.multiplier ?? 1);
          groups.set(key, group);
        }
      }
    }
    return [...groups.values()]
      .sort((a, b) => (a.start as number) - (b.start as number))
      .map(({ cost, ...rest }) => (partner ? rest : { ...rest, cost: Math.round(cost * 1e4) / 1e4 }));
  }

  private bucketOf(t: number, granularity: PricingQuery['granularity']): { start: number; end: number } {
    if (granularity === 'HALF_HOUR') return { start: t, end: t + HALF_HOUR };
    const unit = granularity === 'DAILY' ? 'day' : 'month';
    const start = DateTime.fromSeconds(t, { zone: this.wabaTz }).startOf(unit);
    return { start: start.toSeconds(), end: start.plus(unit === 'day' ? { days: 1 } : { months: 1 }).toSeconds() };
  }

  /**
   * Graph's `template_analytics` data points of the templates over UTC days from `start` to
   * `end`, as of `now`: a paused template sends nothing; reads and clicks keep arriving for
   * about a week after a day.
   */
  templateDays(templates: readonly SandboxTemplate[], start: number, end: number, now: number): Array<Record<string, unknown>> {
    const partner = businessOf(this.account).billing === 'partner';
    const out: Array<Record<string, unknown>> = [];
    const tiers = new Map<string, number>();
    const multiplier = (category: PricingCategory, country: string, laDay: number) => {
      const key = `${category}|${country}|${laDay}`;
      const known = tiers.get(key);
      if (known !== undefined) return known;
      const m = this.tierOn(category, country, laDay, now)?.multiplier ?? 1;
      tiers.set(key, m);
      return m;
    };
    for (let day = Math.floor(start / 86_400) * 86_400; day < end && day < now; day += 86_400) {
      const sums = new Map(templates.map((t) => [t.id, { sent: 0, delivered: 0, cost: 0 }]));
      for (let t = day; t < day + 86_400 && t + HALF_HOUR <= now; t += HALF_HOUR) {
        const laDay = this.dayStart(t);
        for (const cell of this.cells(t)) {
          const country = this.account.countries[cell.ci]!.code;
          for (const template of templates) {
            if (templatePausedAt(this.account, template, t)) continue;
            const s = sums.get(template.id)!;
            s.sent += cell.sent[template.category] * template.share;
            const delivered = cell.delivered[template.category] * template.share;
            s.delivered += delivered;
            s.cost += delivered * this.price(template.category, country) * multiplier(template.category, country, laDay);
          }
        }
      }
      // Reads (and clicks) arrive over days: half at once, nearly all within a week.
      const arrived = 1 - 0.5 * Math.exp(-Math.max(0, now - (day + 86_400)) / 86_400);
      for (const template of templates) {
        const s = sums.get(template.id)!;
        const delivered = Math.round(s.delivered);
        const read = Math.round(delivered * template.readRate * arrived);
        const clicks = template.category === 'authentication' ? 0 : Math.round(read * template.clickRate);
        out.push({
          template_id: template.id,
          start: day,
          end: day + 86_400,
          sent: Math.round(s.sent),
          delivered,
          read,
          clicked: clicks ? [{ type: 'url_button', button_content: 'Open', count: clicks }] : [],
          ...(partner
            ? {}
            : {
                cost: [
                  { type: 'amount_spent', value: Math.round(s.cost * 1e4) / 1e4 },
                  ...(delivered ? [{ type: 'cost_per_delivered', value: Math.round((s.cost / delivered) * 1e6) / 1e6 }] : []),
                ],
              }),
        });
      }
    }
    return out;
  }

  /**
   * Days in [from, to) at whose end a tiered category to a country moved into the next tier:
   * Meta's `account_update` VOLUME_BASED_PRICING_TIER_UPDATE, at the start of the day the new
   * price applies.
   */
  tierChanges(
    from: number,
    to: number,
    now: number,
  ): Array<{ at: number; category: PricingCategory; country: string; tier: string; month: string }> {
    const out: Array<{ at: number; category: PricingCategory; country: string; tier: string; month: string }> = [];
    for (let d = DateTime.fromSeconds(this.dayStart(from), { zone: this.wabaTz }); d.toSeconds() < to; d = d.plus({ days: 1 })) {
      const next = d.plus({ days: 1 });
      if (next.toSeconds() < from || next.toSeconds() >= to || next.toSeconds() > now || next.month !== d.month) continue;
      for (const category of ['utility', 'authentication'] as const)
        for (const { code } of this.account.countries) {
          const before = this.tierOn(category, code, d.toSeconds(), now)!;
          const after = this.tierOn(category, code, next.toSeconds(), now)!;
          if (after.tier !== before.tier)
            out.push({ at: next.toSeconds(), category, country: code, tier: after.tier, month: next.toFormat('yyyy-LL') });
        }
    }
    return out;
  }
}
