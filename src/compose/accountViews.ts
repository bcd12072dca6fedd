import { DateTime } from 'luxon';
import { costSummary } from '../analytics/cost.js';
import { healthSummary } from '../analytics/health.js';
import { templateFunnels } from '../analytics/templateFunnel.js';
import { previousPeriod } from '../analytics/time.js';
import type { AccountConfig } from '../config/load.js';
import { suggestion } from '../didYouMean.js';
import { TemplateInsightsOffError, UsageError } from '../errors.js';
import { parseAnswer } from '../graph/answer.js';
import { analyticsResponseSchema, type GraphClient } from '../graph/client.js';
import { analyticsField } from '../graph/fields.js';
import { phoneNumbersList, wabaOverviewField } from '../graph/health.js';
import { checkPricingRange, PRICING_LOOKBACK_SECONDS, type PricingQuery, pricingField, restOfPricing } from '../graph/pricing.js';
import { SettledDays } from '../graph/settledDays.js';
import { checkTemplateRange, fetchTemplateAnalytics, messageTemplatesList, TEMPLATE_IDS_PER_CALL } from '../graph/templates.js';
import { readWaba, type WabaField, wholeList } from '../graph/waba.js';
import { endingByNow, type RangeSpec, resolveRange } from '../query/range.js';
import type { AccountViews } from '../report/accountViews.js';
import type { StoreWith } from '../store/types.js';
import type { HealthEventRecord, WabaOverview } from '../vocabulary/health.js';
import type { PricingPoint } from '../vocabulary/pricing.js';
import type { TimeRange } from '../vocabulary/series.js';
import type { TemplateDay, TemplateInfo } from '../vocabulary/templates.js';
import { snapToDays } from './fetchPlan.js';
import { graphAccount } from './graphAccount.js';

/**
 * The one way the health, cost and templates views are made — for `waba-pulse health`,
 * `report --view cost|templates`, the demo, and (next) digests and chat: the WABA's state,
 * its numbers and templates and the cost window's pricing in one Graph request, template
 * funnels 10 templates a call, the delivered count from the messaging analytics, and the
 * health events kept from the webhooks; then the pure summaries (src/analytics/). Settled days
 * come from `ViewCache` when one is given, so a second view or a digest asks Graph only for
 * the days that may still change.
 */

/** Settled days of pricing and template analytics, kept in memory between views (one per process). */
export class ViewCache {
  readonly pricing = new SettledDays<PricingPoint>();
  readonly templates = new SettledDays<TemplateDay>();
}

export interface ViewsContext {
  graph: Pick<GraphClient, 'requestJson' | 'settings'>;
  now: () => number;
  cache?: ViewCache | undefined;
  /** Where the health webhooks were kept: `serve`'s store, when there is one. */
  events?: StoreWith<'health'> | undefined;
}

/** A cost range as planned: whole days of the WABA's zone (Graph's pricing days). */
export interface CostPlan {
  range: TimeRange;
  previous: TimeRange | null;
  tierMonth: TimeRange;
  /** What Graph is asked for: the previous period, the week before the range (for spend spikes) and the month so far. */
  window: TimeRange;
  timezone: string;
  notes: string[];
}

/** A templates range as planned: whole UTC days, within the 90 Graph keeps. */
export interface TemplatesPlan {
  range: TimeRange;
  templateIds: string[] | undefined;
  notes: string[];
}

export interface ViewsRequest {
  account: AccountConfig;
  token: string;
  health?: { since: number } | undefined;
  cost?: CostPlan | undefined;
  templates?: TemplatesPlan | undefined;
}

/** Templates whose funnels one view fetches: 3 Graph calls at most (10 a call). */
export const MAX_TEMPLATES = 30;
/** Pricing for a day keeps changing for about a day after it; template reads and clicks for 7. */
const PRICING_SETTLES_MS = 86_400_000;
const TEMPLATES_SETTLE_MS = 7 * 86_400_000;

export const INSIGHTS_OFF_NOTE =
  'Template insights are off for this WABA: switch them on with `waba-pulse templates enable --account <name> --yes` (it cannot be undone; WABAs tied to the EU, the UK or Japan are not supported).';

/** The days a cost view covers, as a person said them, moved onto the WABA's days; refused past Graph's year. */
export function planCost(account: Pick<AccountConfig, 'timezone' | 'wabaTimezone'>, spec: RangeSpec, nowMs: number): CostPlan {
  const tz = account.wabaTimezone;
  const asked = resolveRange(spec, account.timezone, nowMs).range;
  const days = snapToDays(asked, account.timezone, tz);
  const ending = endingByNow(days, tz, nowMs);
  const range = ending.range;
  checkPricingRange(range, nowMs, tz);
  const notes = ending.note ? [ending.note] : [];
  if (tz !== account.timezone) notes.push(`Days run midnight to midnight ${tz}: Graph's pricing days for this WABA.`);
  const oldest = DateTime.fromSeconds(Math.floor(nowMs / 1000) - PRICING_LOOKBACK_SECONDS, { zone: tz })
    .plus({ days: 1 })
    .startOf('day')
    .toSeconds();
  const before = previousPeriod(range, tz);
  const previous = before.start >= oldest ? before : null;
  const tierMonth = {
    start: DateTime.fromSeconds(range.end - 1, { zone: tz })
      .startOf('month')
      .toSeconds(),
    end: range.end,
  };
  const weekBefore = DateTime.fromSeconds(range.start, { zone: tz }).minus({ days: 7 }).toSeconds();
  const start = Math.max(oldest, Math.min(previous?.start ?? range.start, weekBefore, tierMonth.start));
  return { range, previous, tierMonth, window: { start, end: range.end }, timezone: tz, notes };
}

/** The days a templates view covers: UTC days (Graph's template days), refused past its 90. */
export function planTemplates(
  account: Pick<AccountConfig, 'timezone'>,
  spec: RangeSpec,
  nowMs: number,
  templateIds?: string[],
): TemplatesPlan {
  const asked = resolveRange(spec, account.timezone, nowMs).range;
  const ending = endingByNow(snapToDays(asked, account.timezone, 'UTC'), 'UTC', nowMs);
  checkTemplateRange(ending.range, nowMs);
  const notes = ending.note ? [ending.note] : [];
  if (account.timezone !== 'UTC') notes.push("Days run midnight to midnight UTC: Graph's template analytics days.");
  return { range: ending.range, templateIds: templateIds?.length ? [...new Set(templateIds)] : undefined, notes };
}

/** The templates a view asks funnels for: those named (unknown ones refused by name), else the first 30 that can send. */
function chosenTemplates(
  account: AccountConfig,
  templates: readonly TemplateInfo[],
  ids: string[] | undefined,
  notes: string[],
): TemplateInfo[] {
  if (ids) {
    const unknown = ids.filter((id) => !templates.some((t) => t.id === id || t.name === id));
    if (unknown.length)
      throw new UsageError(
        `${unknown.length === 1 ? 'template' : 'templates'} ${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among ${account.name}'s ${templates.length} templates${
          unknown.length === 1
            ? suggestion(
                unknown[0]!,
                templates.map((t) => t.name),
              )
            : ''
        }`,
        'give template ids or names from waba-pulse report --view templates',
        'E_UNKNOWN_TEMPLATE',
      );
    return templates.filter((t) => ids.includes(t.id) || ids.includes(t.name));
  }
  // Templates that send (or sent until lately) first; each 10 more is another Graph call.
  const order = (t: TemplateInfo) => (t.status === 'APPROVED' ? 0 : t.status === 'PAUSED' ? 1 : 2);
  const sorted = [...templates].sort((a, b) => order(a) - order(b));
  if (sorted.length > MAX_TEMPLATES)
    notes.push(
      `Funnels of the first ${MAX_TEMPLATES} of ${sorted.length} templates (approved first), to spare the Graph call budget; name others with --template.`,
    );
  return sorted.slice(0, MAX_TEMPLATES);
}

/** Template funnels' days: settled days from the cache, the rest from Graph, 10 templates a call. */
async function templateDays(
  ctx: ViewsContext,
  account: AccountConfig,
  token: string,
  ids: string[],
  range: TimeRange,
): Promise<TemplateDay[]> {
  const target = graphAccount(account, token);
  const settled = Math.floor((ctx.now() - TEMPLATES_SETTLE_MS) / 86_400_000) * 86_400;
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += TEMPLATE_IDS_PER_CALL) batches.push(ids.slice(i, i + TEMPLATE_IDS_PER_CALL));
  const days = await Promise.all(
    batches.map(async (batch) => {
      const key = JSON.stringify([account.id, batch]);
      const kept = ctx.cache?.templates.read(key, range) ?? { points: [], from: range.start };
      if (kept.from >= range.end) return kept.points;
      const fresh = await fetchTemplateAnalytics(
        ctx.graph,
        target,
        { range: { start: kept.from, end: range.end }, templateIds: batch },
        ctx.now(),
      );
      ctx.cache?.templates.keep(key, { start: kept.from, end: Math.min(settled, range.end) }, fresh);
      return [...kept.points, ...fresh];
    }),
  );
  return days.flat();
}

/** Pricing: settled days from the cache; Graph is asked only from where they end. */
function pricingPlan(ctx: ViewsContext, req: ViewsRequest) {
  const { account } = req;
  const key = JSON.stringify([account.id, account.phoneNumbers, account.countries]);
  const kept = req.cost ? (ctx.cache?.pricing.read(key, req.cost.window) ?? { points: [], from: req.cost.window.start }) : undefined;
  const asked: PricingQuery | undefined =
    req.cost && kept && kept.from < req.cost.window.end
      ? {
          range: { start: kept.from, end: req.cost.window.end },
          dimensions: ['PRICING_CATEGORY', 'COUNTRY', 'TIER'],
          phoneNumbers: account.phoneNumbers,
          countryCodes: account.countries,
        }
      : undefined;
  return { key, kept, asked };
}

/**
 * Delivered messages of the cost's days (cost per delivered), Graph's DAY buckets in the same
 * request: they are the WABA's days, as the pricing's are.
 */
function deliveredFieldFor(req: ViewsRequest): WabaField<number> | undefined {
  const { account, cost } = req;
  if (!cost) return undefined;
  return {
    field: analyticsField({
      start: cost.range.start,
      end: cost.range.end,
      granularity: 'DAY',
      phoneNumbers: account.phoneNumbers,
      countryCodes: account.countries,
      productTypes: account.productTypes,
    }),
    read: (body, graphTarget) =>
      (parseAnswer(analyticsResponseSchema.shape.analytics, body.analytics, graphTarget, 'analytics')?.data_points ?? [])
        .filter((p) => p.start >= cost.range.start && p.start < cost.range.end)
        .reduce((n, p) => n + p.delivered, 0),
  };
}

/** The WABA's state, numbers, templates, new pricing and delivered count: one request, then the lists' further pages. */
async function readAccountState(ctx: ViewsContext, req: ViewsRequest, pricingAsked: PricingQuery | undefined) {
  const target = graphAccount(req.account, req.token);
  const numbersList = phoneNumbersList(ctx.graph.settings.version);
  const wantTemplates = Boolean(req.health || req.templates);
  const deliveredField = deliveredFieldFor(req);
  const fields: WabaField<unknown>[] = [wabaOverviewField];
  if (req.health) fields.push(numbersList);
  if (wantTemplates) fields.push(messageTemplatesList);
  if (pricingAsked) fields.push(pricingField(pricingAsked));
  if (deliveredField) fields.push(deliveredField);
  const answers = await readWaba(ctx.graph, target, fields);
  let at = 0;
  const waba = answers[at++] as WabaOverview;
  const numbersPage = req.health ? (answers[at++] as Awaited<ReturnType<typeof numbersList.read>>) : undefined;
  const templatesPage = wantTemplates ? (answers[at++] as Awaited<ReturnType<typeof messageTemplatesList.read>>) : undefined;
  const pricingPage = pricingAsked ? (answers[at++] as Awaited<ReturnType<ReturnType<typeof pricingField>['read']>>) : undefined;
  const delivered = deliveredField ? (answers[at++] as number) : null;
  const [numbers, templates, freshPricing] = await Promise.all([
    numbersPage ? wholeList(ctx.graph, target, numbersList, numbersPage) : [],
    templatesPage ? wholeList(ctx.graph, target, messageTemplatesList, templatesPage) : [],
    pricingPage && pricingAsked
      ? restOfPricing(ctx.graph, target, pricingAsked, pricingPage).then((rest) => [...pricingPage.points, ...rest])
      : [],
  ]);
  return { waba, numbers, templates, freshPricing, delivered };
}

/** The templates view: the chosen templates' funnels, or how to switch insights on. */
async function templatesView(
  ctx: ViewsContext,
  req: ViewsRequest,
  plan: NonNullable<ViewsRequest['templates']>,
  waba: WabaOverview,
  templates: TemplateInfo[],
): Promise<NonNullable<AccountViews['templates']>> {
  const { account } = req;
  const notes = [...plan.notes];
  const chosen = chosenTemplates(account, templates, plan.templateIds, notes);
  let enabled = waba.insightsEnabled;
  let days: TemplateDay[] = [];
  if (enabled && chosen.length) {
    try {
      days = await templateDays(
        ctx,
        account,
        req.token,
        chosen.map((t) => t.id),
        plan.range,
      );
    } catch (err) {
      // Switched off since (or never on, whatever the WABA said): the view says how, not a failure.
      if (!(err instanceof TemplateInsightsOffError)) throw err;
      enabled = false;
    }
  }
  if (!enabled) notes.push(INSIGHTS_OFF_NOTE.replace('<name>', account.name));
  return { range: plan.range, enabled, funnels: templateFunnels(chosen, days, plan.range), notes };
}

export async function composeAccountViews(ctx: ViewsContext, req: ViewsRequest): Promise<AccountViews> {
  const { account } = req;
  const nowMs = ctx.now();
  const notes: string[] = [];
  const pricing = pricingPlan(ctx, req);
  // The stored events are read while Graph answers.
  const events: Promise<HealthEventRecord[]> =
    req.health && ctx.events
      ? ctx.events.health.healthEvents(account.id, req.health.since, Math.floor(nowMs / 1000) + 1).catch(() => {
          notes.push('Health events are left out: the store holding the webhooks did not answer.');
          return [];
        })
      : Promise.resolve([]);
  const { waba, numbers, templates, freshPricing, delivered } = await readAccountState(ctx, req, pricing.asked);
  const views: AccountViews = {
    account: { id: account.id, name: account.name, displayName: account.displayName, timezone: account.timezone },
    waba,
    notes,
  };
  if (req.health) views.health = healthSummary({ waba, numbers, templates, events: await events, scope: account.phoneNumbers });
  if (req.cost && pricing.kept) {
    const plan = req.cost;
    if (pricing.asked) {
      const settled = DateTime.fromMillis(nowMs - PRICING_SETTLES_MS, { zone: plan.timezone })
        .startOf('day')
        .toSeconds();
      ctx.cache?.pricing.keep(pricing.key, { start: pricing.asked.range.start, end: Math.min(settled, plan.window.end) }, freshPricing);
    }
    views.cost = {
      range: plan.range,
      timezone: plan.timezone,
      notes: plan.notes,
      summary: costSummary({
        currency: waba.currency,
        range: plan.range,
        previous: plan.previous,
        tierMonth: plan.tierMonth,
        points: [...pricing.kept.points, ...freshPricing],
        fetchedFrom: plan.window.start,
        delivered,
        tz: plan.timezone,
      }),
    };
  }
  if (req.templates) views.templates = await templatesView(ctx, req, req.templates, waba, templates);
  return views;
}
