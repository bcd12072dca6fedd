import { DateTime } from 'luxon';
import type { BreakdownDimension } from '../analytics/breakdown.js';
import { rankByEvidence } from '../analytics/evidence.js';
import { planChunks } from '../graph/chunks.js';
import type { AnalyticsRequest, AnalyticsSource, GraphAccount } from '../graph/client.js';
import { GRAPH_DEFAULTS } from '../graph/defaults.js';
import type { AnalyticsFilter, GraphGranularity } from '../graph/fields.js';
import type { BreakdownRow, UnjudgedRow } from '../report/build.js';
import { breakdownLabel } from '../report/format.js';
import type { DataPoint, TimeRange } from '../vocabulary/series.js';
import type { ReportLimits } from './reportPlan.js';

/**
 * A breakdown within the report's Graph call budget, every row judged or named. Each row costs
 * calls; when they do not all fit, judging comes before comparing: every row is judged at the
 * report's own granularity over the range and its baseline (leaving out the previous period, whose
 * change is then not shown) if that fits; if not even that, every row's days are fetched first
 * (one cheap call each), the rows whose days look most unusual — then the busiest — are judged
 * closely with what is left, and the others are judged by their days, and named as such. What is
 * fetched follows the evidence, never the order Graph lists the numbers in.
 */
export interface RowCosts {
  /** The whole fetch window at the report's granularity: judged, and compared with the previous period. */
  full: number;
  /** The range and its baseline only: judged, not compared. */
  judged: number;
  /** Graph's days over the whole window: compared, and judged coarsely. */
  days: number;
  /** Graph's days before the range only: compared (settled, so a cache holds them after once). */
  compare: number;
}

export type BreakdownPlan =
  | { kind: 'full' }
  | { kind: 'judged'; compared: boolean }
  | { kind: 'days-first'; daysFor: string[]; left: string[] };

/**
 * How the rows are fetched, given what each costs and what the budget leaves after the report's
 * own scope. Pure. `coarse` says whether Graph's days are cheaper than the report's own buckets
 * (a half-hourly fetch); when they are not, rows that do not fit are left out, named.
 */
export function planBreakdown(
  keys: readonly string[],
  costs: ReadonlyMap<string, RowCosts>,
  budget: number,
  coarse: boolean,
): BreakdownPlan {
  const sum = (pick: (c: RowCosts) => number, of: readonly string[] = keys) => of.reduce((total, k) => total + pick(costs.get(k)!), 0);
  if (sum((c) => c.full) <= budget) return { kind: 'full' };
  if (coarse && sum((c) => c.judged) <= budget) return { kind: 'judged', compared: sum((c) => c.judged + c.compare) <= budget };
  // Days first, as many rows as fit (without them a row cannot even be ranked).
  const daysFor: string[] = [];
  let spent = 0;
  for (const key of keys) {
    const cost = coarse ? costs.get(key)!.days : costs.get(key)!.full;
    if (spent + cost > budget) continue;
    daysFor.push(key);
    spent += cost;
  }
  return { kind: 'days-first', daysFor, left: keys.filter((k) => !daysFor.includes(k)) };
}

export interface Look {
  key: string;
  /** The unusual days, and the window fetched for them (with the week before). */
  range: TimeRange;
  window: TimeRange;
  cost: number;
}

/**
 * What to judge half hour by half hour with the calls left once every row's days are in: a look
 * at every unusual day (the candidates, most unusual rows first), as far as the calls go; then
 * whole ranges in rank order (unusual rows, then the busiest, where a drop too small to mark a
 * day hides), a row judged whole giving back the calls of its looks. Pure.
 */
export function planCloser(
  ranked: readonly string[],
  costs: ReadonlyMap<string, RowCosts>,
  candidates: readonly Look[],
  budget: number,
): { whole: string[]; looks: Look[] } {
  let left = budget;
  const looks: Look[] = [];
  for (const look of candidates) {
    if (look.cost > left) continue;
    looks.push(look);
    left -= look.cost;
  }
  const whole: string[] = [];
  for (const key of ranked) {
    const refund = looks.filter((l) => l.key === key).reduce((sum, l) => sum + l.cost, 0);
    if (costs.get(key)!.judged > left + refund) continue;
    whole.push(key);
    left += refund - costs.get(key)!.judged;
  }
  return { whole, looks: looks.filter((l) => !whole.includes(l.key)) };
}

export interface BreakdownFetch {
  by: BreakdownDimension;
  items: BreakdownRow[];
  unjudged: UnjudgedRow[];
  /** Graph's days' zone, for rows judged or compared by day. */
  dayTimezone: string;
  notes: string[];
}

interface FetchContext {
  source: AnalyticsSource;
  target: GraphAccount;
  scope: AnalyticsFilter;
  by: BreakdownDimension;
  keys: string[];
  granularity: GraphGranularity;
  range: TimeRange;
  /** The report's whole fetch window, and the part judging alone needs. */
  window: TimeRange;
  judgedWindow: TimeRange;
  /** Calls the rows may cost (the report's budget less its own scope); Infinity when unbounded. */
  budget: number;
  /** The report's whole budget (graph.callsPerReport), for what the notes say. */
  reportBudget?: number | undefined;
  limits?: ReportLimits | undefined;
}

const plural = (by: BreakdownDimension, n: number) =>
  by === 'phone' ? (n === 1 ? 'phone number' : 'phone numbers') : n === 1 ? 'country' : 'countries';

function listed(by: BreakdownDimension, keys: readonly string[], max = 6): string {
  const labels = keys.slice(0, max).map((k) => breakdownLabel(by, k));
  return keys.length > max ? `${labels.join(', ')} and ${keys.length - max} more` : labels.join(', ');
}

/** History a row judged closely may give up so its window fits one chunk fewer: a DST change's hour. */
const TRIM_SLACK_SECONDS = 2 * 3600;

/**
 * The range and its baseline, a little less baseline when that saves a whole Graph call: across
 * a daylight-saving change five weeks are five weeks and an hour, one more chunk of seven days.
 */
export function fittedWindow(window: TimeRange, chunkSeconds: number): TimeRange {
  const chunks = Math.ceil((window.end - window.start) / chunkSeconds);
  const over = window.end - window.start - (chunks - 1) * chunkSeconds;
  return chunks > 1 && over <= TRIM_SLACK_SECONDS ? { start: window.end - (chunks - 1) * chunkSeconds, end: window.end } : window;
}

/** The baseline a close look at a few days needs before them: a week. */
const HISTORY_SECONDS = 7 * 86_400;

/** "2026-03-09" or "2026-03-09–2026-03-10", in the zone of Graph's days. */
function dayRange(range: TimeRange, tz: string): string {
  const day = (t: number) => DateTime.fromSeconds(t, { zone: tz }).toISODate();
  const first = day(range.start);
  const last = day(range.end - 1);
  return first === last ? `${first}` : `${first}–${last}`;
}

/** One breakdown's fetching: the rows' requests, what each costs, and the notes on what was left out. */
class BreakdownFetcher {
  readonly ctx: FetchContext;
  readonly out: BreakdownFetch;
  readonly chunk: number;
  readonly coarse: boolean;
  /** Before the range: Graph's days there give the change against the previous period. */
  readonly before: TimeRange;
  readonly budgetLine: string;

  constructor(input: FetchContext) {
    const limits = input.limits ?? GRAPH_DEFAULTS;
    this.chunk = Math.floor((input.granularity === 'HALF_HOUR' ? limits.halfHourChunkMs : limits.dayChunkMs) / 1000);
    this.ctx = { ...input, judgedWindow: fittedWindow(input.judgedWindow, this.chunk) };
    this.out = { by: input.by, items: [], unjudged: [], dayTimezone: input.target.wabaTimezone, notes: [] };
    this.coarse = input.granularity === 'HALF_HOUR';
    this.before = { start: input.window.start, end: input.range.start };
    this.budgetLine = `the ${input.reportBudget ?? input.budget} Graph calls a report may use (graph.callsPerReport)`;
  }

  request(key: string, range: TimeRange, granularity: GraphGranularity): AnalyticsRequest {
    const { by, scope } = this.ctx;
    return { range, granularity, ...(by === 'phone' ? { ...scope, phoneNumbers: [key] } : { ...scope, countryCodes: [key] }) };
  }

  async fetch(key: string, range: TimeRange, granularity: GraphGranularity): Promise<DataPoint[]> {
    return (await this.ctx.source.fetchAnalytics(this.ctx.target, this.request(key, range, granularity))).points;
  }

  cost(key: string, range: TimeRange, granularity: GraphGranularity): Promise<number> {
    return plannedCalls(this.ctx.source, this.ctx.target, this.request(key, range, granularity), this.ctx.limits);
  }

  async costs(): Promise<Map<string, RowCosts>> {
    const { keys, window, judgedWindow, granularity } = this.ctx;
    const costs = new Map<string, RowCosts>();
    const none = Promise.resolve(Number.POSITIVE_INFINITY);
    await Promise.all(
      keys.map(async (key) => {
        const [full, judged, days, compare] = await Promise.all([
          this.cost(key, window, granularity),
          this.cost(key, judgedWindow, granularity),
          this.coarse ? this.cost(key, window, 'DAY') : none,
          this.coarse ? this.cost(key, this.before, 'DAY') : none,
        ]);
        costs.set(key, { full, judged, days, compare });
      }),
    );
    return costs;
  }

  async everyRowWhole(): Promise<void> {
    const { keys, window, granularity } = this.ctx;
    this.out.items = await Promise.all(keys.map(async (key) => ({ key, points: await this.fetch(key, window, granularity) })));
  }

  /** Every row judged at the report's granularity; compared only if that fits too. */
  async everyRowJudged(compared: boolean): Promise<void> {
    const { keys, judgedWindow, granularity, by } = this.ctx;
    this.out.items = await Promise.all(
      keys.map(async (key) => {
        const [points, days] = await Promise.all([
          this.fetch(key, judgedWindow, granularity),
          compared ? this.fetch(key, this.before, 'DAY') : Promise.resolve(undefined),
        ]);
        return { key, points, ...(days ? { days } : {}), judgedBy: 'report' as const };
      }),
    );
    if (!compared)
      this.out.notes.push(
        `Change against the previous period is left out for the ${plural(by, 2)}: with it, judging all ${keys.length} would need more than ${this.budgetLine}.`,
      );
  }

  /** Days first, then the closest look for the rows whose days say most. */
  async daysFirst(plan: Extract<BreakdownPlan, { kind: 'days-first' }>, costs: ReadonlyMap<string, RowCosts>): Promise<void> {
    const { window, granularity } = this.ctx;
    const days = new Map<string, DataPoint[]>();
    await Promise.all(plan.daysFor.map(async (key) => days.set(key, await this.fetch(key, window, this.coarse ? 'DAY' : granularity))));
    // Graph's own days are the report's buckets: a row either fits whole or is left out.
    if (!this.coarse) this.out.items = plan.daysFor.map((key) => ({ key, points: days.get(key)! }));
    else await this.closerLooks(plan, costs, days);
    for (const key of plan.left)
      this.out.unjudged.push({ key, judgedBy: null, reason: `not judged: even its days would need more than ${this.budgetLine}` });
    if (plan.left.length) {
      const { by, keys } = this.ctx;
      this.out.notes.push(
        `${plan.left.length} of ${keys.length} ${plural(by, keys.length)} not judged, to stay within ${this.budgetLine}: ${listed(by, plan.left)}. Ask for a shorter range or a coarser granularity.`,
      );
    }
  }

  /** With every row's days in: whole ranges and unusual days half hour by half hour, as the calls left allow. */
  private async closerLooks(
    plan: Extract<BreakdownPlan, { kind: 'days-first' }>,
    costs: ReadonlyMap<string, RowCosts>,
    days: ReadonlyMap<string, DataPoint[]>,
  ): Promise<void> {
    const { range, judgedWindow, granularity, budget } = this.ctx;
    const left = budget - plan.daysFor.reduce((total, k) => total + costs.get(k)!.days, 0);
    const ranked = rankByEvidence(
      plan.daysFor.map((key) => ({ key, days: days.get(key)! })),
      range,
    );
    // Every unusual day is a candidate for a close look: half hour by half hour, after its week.
    const candidates: Look[] = [];
    for (const r of ranked)
      for (const unusual of r.unusual) {
        const window = fittedWindow({ start: unusual.start - HISTORY_SECONDS, end: unusual.end }, this.chunk);
        candidates.push({ key: r.key, range: unusual, window, cost: await this.cost(r.key, window, granularity) });
      }
    const { whole: close, looks } = planCloser(
      ranked.map((r) => r.key),
      costs,
      candidates,
      left,
    );
    const closely = new Set(close);
    const [fine, focused] = await Promise.all([
      Promise.all(close.map(async (key) => [key, await this.fetch(key, judgedWindow, granularity)] as const)),
      Promise.all(looks.map(async (l) => ({ key: l.key, range: l.range, points: await this.fetch(l.key, l.window, granularity) }))),
    ]);
    const fineOf = new Map(fine);
    this.out.items = plan.daysFor.map((key) =>
      closely.has(key)
        ? { key, points: fineOf.get(key)!, days: days.get(key)!, judgedBy: 'report' as const }
        : {
            key,
            points: [],
            days: days.get(key)!,
            judgedBy: 'day' as const,
            looks: focused.filter((f) => f.key === key).map(({ range, points }) => ({ range, points })),
          },
    );
    this.noteJudgedByDay(
      ranked.filter((r) => !closely.has(r.key)),
      focused,
    );
  }

  private noteJudgedByDay(
    byDay: ReadonlyArray<{ key: string; unusual: TimeRange[] }>,
    focused: ReadonlyArray<{ key: string; range: TimeRange }>,
  ): void {
    const { by, keys } = this.ctx;
    for (const r of byDay) {
      const mine = focused.filter((f) => f.key === r.key);
      const missed = r.unusual.length - mine.length;
      const oneDay = mine.length === 1 && mine[0]!.range.end - mine[0]!.range.start <= 86_400 + 3600;
      this.out.unjudged.push({
        key: r.key,
        judgedBy: 'day',
        reason:
          `judged by day${mine.length ? `, and half hour by half hour on its unusual day${oneDay ? '' : 's'} (${mine.map((f) => dayRange(f.range, this.out.dayTimezone)).join(', ')})` : ' only'}: ` +
          `judging all its half hours would need more than ${this.budgetLine}` +
          (missed > 0
            ? `; ${missed === r.unusual.length ? 'its days look unusual' : `${missed} more unusual stretch${missed === 1 ? '' : 'es'} not looked at`}`
            : ''),
      });
    }
    if (!byDay.length) return;
    const unlooked = byDay.filter((r) => r.unusual.length > focused.filter((f) => f.key === r.key).length);
    this.out.notes.push(
      `${byDay.length} of ${keys.length} ${plural(by, keys.length)} judged by day, to stay within ${this.budgetLine}: ${listed(
        by,
        byDay.map((r) => r.key),
      )}` +
        (focused.length ? `; their days that look unusual were judged half hour by half hour too` : '') +
        (unlooked.length
          ? `. ${listed(
              by,
              unlooked.map((r) => r.key),
            )} had unusual days not looked at closely: ask for a shorter range.`
          : '.'),
    );
  }
}

export async function fetchBreakdown(input: FetchContext): Promise<BreakdownFetch> {
  const fetcher = new BreakdownFetcher(input);
  if (!Number.isFinite(input.budget)) await fetcher.everyRowWhole();
  else {
    const costs = await fetcher.costs();
    const plan = planBreakdown(input.keys, costs, input.budget, fetcher.coarse);
    if (plan.kind === 'full') await fetcher.everyRowWhole();
    else if (plan.kind === 'judged') await fetcher.everyRowJudged(plan.compared);
    else await fetcher.daysFirst(plan, costs);
  }
  return fetcher.out;
}

/** What a request costs the source now; a source that cannot say is taken at Graph's chunking. */
async function plannedCalls(
  source: AnalyticsSource,
  target: GraphAccount,
  req: AnalyticsRequest,
  limits: ReportLimits = GRAPH_DEFAULTS,
): Promise<number> {
  if (source.plannedCalls) return source.plannedCalls(target, req);
  const spanMs = req.granularity === 'HALF_HOUR' ? limits.halfHourChunkMs : limits.dayChunkMs;
  return planChunks(req.range, req.granularity, target.wabaTimezone, Math.floor(spanMs / 1000)).length;
}
