import { z } from 'zod';
import { TemplateBatchError } from '../errors.js';
import type { TimeRange } from '../vocabulary/series.js';
import type { TemplateDay, TemplateInfo } from '../vocabulary/templates.js';
import { graphId, graphWord, MAX_PAGES, nextCursor, pagingSchema, parseAnswer } from './answer.js';
import type { GraphAccount } from './client.js';
import { edgeUrl } from './fields.js';
import { refuseBeforeLookback } from './lookback.js';
import { type GraphTransport, readWaba, type WabaField, type WabaList, wabaList } from './waba.js';

const templateSchema = z.looseObject({
  id: graphId,
  name: z.string().min(1).max(512),
  language: z.string().max(20),
  category: graphWord,
  status: graphWord,
  quality_score: z.looseObject({ score: graphWord.optional() }).optional(),
});

export const messageTemplatesList: WabaList<TemplateInfo> = wabaList(
  'message_templates',
  ['id', 'name', 'language', 'category', 'status', 'quality_score'],
  templateSchema,
  (t) => ({
    id: t.id,
    name: t.name,
    language: t.language,
    category: t.category.toLowerCase(),
    status: t.status,
    qualityScore: t.quality_score?.score ?? null,
  }),
);

/** Graph's template analytics reach back 90 days. */
export const TEMPLATE_LOOKBACK_DAYS = 90;
/** Template ids Graph takes in one template_analytics call. */
export const TEMPLATE_IDS_PER_CALL = 10;

/** Refuse, in one line, a templates range reaching past the 90 days Graph keeps. */
export function checkTemplateRange(range: TimeRange, nowMs: number): void {
  const oldest = Math.floor(nowMs / 1000) - TEMPLATE_LOOKBACK_DAYS * 86_400;
  refuseBeforeLookback(range, oldest, 'UTC', { range: 'templates', kept: `${TEMPLATE_LOOKBACK_DAYS} days Graph keeps template analytics` });
}

const count = z.number().int().nonnegative();
const pointSchema = z.looseObject({
  template_id: graphId,
  start: z.number().int(),
  end: z.number().int(),
  sent: count.optional(),
  delivered: count.optional(),
  read: count.optional(),
  clicked: z.array(z.looseObject({ type: z.string().max(64).optional(), count: count.optional() })).optional(),
  cost: z.array(z.looseObject({ type: z.string().max(64), value: z.number().nonnegative().optional() })).optional(),
});
const fieldSchema = z
  .looseObject({
    data: z.array(z.looseObject({ data_points: z.array(pointSchema).default([]) })).default([]),
    paging: pagingSchema,
  })
  .optional();

interface TemplatePage {
  days: TemplateDay[];
  after: string | undefined;
}

/** The `template_analytics` field for up to 10 templates, from the page `after` when given. */
export function templateAnalyticsField(templateIds: readonly string[], range: TimeRange, after?: string): WabaField<TemplatePage> {
  if (templateIds.length > TEMPLATE_IDS_PER_CALL)
    throw new TemplateBatchError(
      `${templateIds.length} template ids in one template_analytics call; Graph takes at most ${TEMPLATE_IDS_PER_CALL}`,
      'batch the ids (fetchTemplateAnalytics does)',
    );
  return {
    field:
      `template_analytics.start(${Math.floor(range.start)}).end(${Math.floor(range.end)}).granularity(DAILY)` +
      `.metric_types(["SENT","DELIVERED","READ","CLICKED","COST"]).template_ids(${JSON.stringify(templateIds)})${after ? `.after(${after})` : ''}`,
    read(body, account) {
      const raw = parseAnswer(fieldSchema, body.template_analytics, account, 'template_analytics');
      if (!raw) return { days: [], after: undefined };
      return {
        days: raw.data.flatMap((group) =>
          group.data_points.map((p) => ({
            templateId: p.template_id,
            start: p.start,
            end: p.end,
            sent: p.sent ?? 0,
            delivered: p.delivered ?? 0,
            read: p.read ?? 0,
            clicked: (p.clicked ?? []).reduce((n, c) => n + (c.count ?? 0), 0),
            cost: p.cost?.find((c) => c.type === 'amount_spent')?.value ?? null,
          })),
        ),
        after: nextCursor(raw.paging),
      };
    },
  };
}

/**
 * Daily funnels of the templates given, over `range` (UTC days): the ids in batches of 10, the
 * batches at once (the client bounds how many calls are in flight), each paged to its end.
 */
export async function fetchTemplateAnalytics(
  graph: GraphTransport,
  account: GraphAccount,
  query: { range: TimeRange; templateIds: readonly string[] },
  nowMs: number,
): Promise<TemplateDay[]> {
  checkTemplateRange(query.range, nowMs);
  const ids = [...new Set(query.templateIds)];
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += TEMPLATE_IDS_PER_CALL) batches.push(ids.slice(i, i + TEMPLATE_IDS_PER_CALL));
  const pages = await Promise.all(
    batches.map(async (batch) => {
      const days: TemplateDay[] = [];
      let after: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const [answer] = await readWaba(graph, account, [templateAnalyticsField(batch, query.range, after)]);
        days.push(...answer.days);
        after = answer.after;
        if (after === undefined) break;
      }
      return days;
    }),
  );
  // Days of templates not asked for (a proxy or a Graph quirk) are not ours to count.
  const asked = new Set(ids);
  return pages.flat().filter((d) => asked.has(d.templateId));
}

/**
 * Switch template insights on: `POST /{WABA}?is_enabled_for_insights=true`. It cannot be undone
 * (Graph answers 200006 to switching it off), so only `waba-pulse templates enable --yes` calls it.
 */
export async function enableTemplateInsights(graph: GraphTransport, account: GraphAccount): Promise<void> {
  const url = edgeUrl(graph.settings.apiUrl, graph.settings.version, account.id, undefined, { is_enabled_for_insights: 'true' });
  parseAnswer(z.looseObject({}), await graph.requestJson(account, url, 'POST'), account, 'the template insights switch');
}
