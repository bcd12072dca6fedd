import type { TimeRange } from '../vocabulary/series.js';
import type { TemplateDay, TemplateInfo } from '../vocabulary/templates.js';

/**
 * Which template worked: each template's funnel over a range — sent → delivered → read →
 * clicked — with what it cost and the cost per delivered message. Reads and clicks keep being
 * counted for 7 days after sending, so a recent day's funnel still grows. Pure.
 */
export interface TemplateFunnel extends TemplateInfo {
  sent: number;
  delivered: number;
  read: number;
  clicked: number;
  /** Amount spent in the WABA's currency, null where Graph gave no cost. */
  cost: number | null;
  costPerDelivered: number | null;
  /** Each step as a share of the one before it: delivered of sent, read of delivered, clicked of read. */
  rates: { delivered: number | null; read: number | null; clicked: number | null };
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** Funnels of every template, busiest first (by sent, then name); days outside `range` are left out. */
export function templateFunnels(templates: readonly TemplateInfo[], days: readonly TemplateDay[], range: TimeRange): TemplateFunnel[] {
  const sums = new Map<string, { sent: number; delivered: number; read: number; clicked: number; cost: number; costKnown: boolean }>();
  for (const d of days) {
    if (d.start < range.start || d.start >= range.end) continue;
    const s = sums.get(d.templateId) ?? { sent: 0, delivered: 0, read: 0, clicked: 0, cost: 0, costKnown: false };
    s.sent += d.sent;
    s.delivered += d.delivered;
    s.read += d.read;
    s.clicked += d.clicked;
    if (d.cost !== null) {
      s.cost += d.cost;
      s.costKnown = true;
    }
    sums.set(d.templateId, s);
  }
  return templates
    .map((t) => {
      const s = sums.get(t.id);
      const cost = s?.costKnown ? Math.round(s.cost * 1e6) / 1e6 : null;
      const sent = s?.sent ?? 0;
      const delivered = s?.delivered ?? 0;
      const read = s?.read ?? 0;
      const clicked = s?.clicked ?? 0;
      return {
        ...t,
        sent,
        delivered,
        read,
        clicked,
        cost,
        costPerDelivered: cost !== null && delivered > 0 ? Math.round((cost / delivered) * 1e6) / 1e6 : null,
        rates: { delivered: share(delivered, sent), read: share(read, delivered), clicked: share(clicked, read) },
      };
    })
    .sort((a, b) => b.sent - a.sent || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.language < b.language ? -1 : 1));
}
