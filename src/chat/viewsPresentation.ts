import { type CostSummary, formatMoney, PARTNER_BILLED_NOTE } from '../analytics/cost.js';
import type { NumberHealth } from '../analytics/health.js';
import type { TemplateFunnel } from '../analytics/templateFunnel.js';
import type { AccountViews, DigestViews } from '../report/accountViews.js';
import { formatCount, formatCountry, formatPercentChange, formatRange, formatRate, NBSP } from '../report/format.js';
import { compactCount } from './presentation.js';

/**
 * What the health, cost and templates views say in chat — a command's answer and a digest's
 * sections — decided once for every platform, as `presentation.ts` does for reports. Lines mark
 * *bold* and `commands` as notices do; everything else is shown as written. Slack and Teams
 * only lay the sections out.
 */

/** A narrow table: the label takes what is left, the figures their own width. */
export interface ViewTable {
  head: string[];
  rows: string[][];
  more: number;
}

export interface ViewSection {
  title: string;
  lines: string[];
  table?: ViewTable | undefined;
}

/** A cost or templates answer to a chat command: posted where it was asked, as a report is. */
export interface ViewsAnswer {
  type: 'views';
  title: string;
  /** One line for notifications and previews. */
  summary: string;
  sections: ViewSection[];
  /** Range, zone and notes, small under the rest. */
  footer: string;
}

/** Rows a chat answer shows before "…and K more". */
const ANSWER_ROWS = 15;
/** Numbers a digest or `accounts` details before "…and K more". */
const NUMBER_LINES = 10;
const DIGEST_TEMPLATES = 3;

export const PARTNER_BILLED_LINE = "Cost not available: billed through a partner's credit line";

/** A number is healthy when its quality is GREEN and nothing keeps it from sending. */
export function healthyNumber(n: NumberHealth): boolean {
  return n.qualityRating === 'GREEN' && (n.canSend ?? 'AVAILABLE') === 'AVAILABLE' && (n.status ?? 'CONNECTED') === 'CONNECTED';
}

/** "+1 631-555-1001: quality YELLOW · limit TIER_2K · can send LIMITED". */
export function numberHealthLine(n: NumberHealth): string {
  const status = n.status && n.status !== 'CONNECTED' ? ` · ${n.status}` : '';
  return `*${n.displayPhoneNumber.replace(/ /g, NBSP)}*: quality ${n.qualityRating ?? 'unknown'} · limit ${n.messagingLimit ?? '—'} · can send ${n.canSend ?? '—'}${status}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** The health of an account's numbers: one line when all are well, else a line per number that is not. */
export function numbersHealthLines(numbers: readonly NumberHealth[], detailAll = false): string[] {
  if (numbers.length === 0) return ['Graph lists no phone numbers for this account.'];
  const limits = [...new Set(numbers.map((n) => n.messagingLimit).filter(Boolean))].join(', ');
  const limit = limits ? ` · messaging limit ${limits}` : '';
  const unwell = numbers.filter((n) => !healthyNumber(n));
  const shown = detailAll ? [...unwell, ...numbers.filter(healthyNumber)] : unwell;
  const head =
    unwell.length === 0
      ? numbers.length === 1
        ? `The number is healthy (GREEN, can send)${limit}`
        : `All ${numbers.length} numbers healthy (GREEN, can send)${limit}`
      : `${unwell.length} of ${plural(numbers.length, 'number')} ${unwell.length === 1 ? 'needs' : 'need'} attention${limit}`;
  const lines = detailAll || unwell.length ? shown.slice(0, NUMBER_LINES).map(numberHealthLine) : [];
  if (shown.length > NUMBER_LINES) lines.push(`…and ${shown.length - NUMBER_LINES} more`);
  return [head, ...lines];
}

/** "USD 123.45 ▲ 12.0% vs previous period (USD 110.20) · 40,053 messages · USD 0.0031 per delivered". */
function costHeadline(c: CostSummary, against: string): string {
  if (c.total === null) {
    if (c.notes.includes(PARTNER_BILLED_NOTE)) return `${PARTNER_BILLED_LINE} · *${plural(c.volume, 'message')}*`;
    return `No pricing data for these days · ${plural(c.volume, 'message')}`;
  }
  const change =
    c.previousTotal !== null && c.previousTotal > 0
      ? ` ${formatPercentChange(((c.total - c.previousTotal) / c.previousTotal) * 100)} vs ${against} (${formatMoney(c.previousTotal, c.currency)})`
      : '';
  const perDelivered = c.perDelivered !== null ? ` · ${formatMoney(c.perDelivered, c.currency, 4)} per delivered` : '';
  return `*${formatMoney(c.total, c.currency)}*${change} · ${plural(c.volume, 'message')}${perDelivered}`;
}

function costTable(c: CostSummary, by: 'category' | 'country'): ViewTable {
  const known = c.total !== null;
  const items =
    by === 'country'
      ? c.byCountry.map((r) => ({ ...r, label: formatCountry(r.country) }))
      : c.byCategory.map((r) => ({ ...r, label: r.category }));
  return {
    head: [by === 'country' ? 'Country' : 'Category', 'Msgs', ...(known ? ['Cost'] : [])],
    rows: items.slice(0, ANSWER_ROWS).map((r) => [r.label, compactCount(r.volume), ...(known ? [formatMoney(r.cost, null)] : [])]),
    more: Math.max(0, items.length - ANSWER_ROWS),
  };
}

function tierLines(c: CostSummary): string[] {
  return c.tiers
    .slice(0, 6)
    .map(
      (t) =>
        `${t.category}${t.country ? ` ${t.country}` : ''}: tier ${t.tier}, ${formatCount(t.monthVolume)} this month${t.remaining === null ? ' (top tier)' : `, ${formatCount(t.remaining)} to the next`}`,
    );
}

/** `cost <account>`: totals, change, cost per delivered, the breakdown, tiers and spend spikes. */
export function costAnswer(views: AccountViews, by: 'category' | 'country'): ViewsAnswer {
  const { summary: c, ...plan } = views.cost!;
  const period = formatRange(plan.range, plan.timezone);
  const sections: ViewSection[] = [
    {
      title: `By ${by}${c.currency && c.total !== null ? ` (${c.currency})` : ''}`,
      lines: [costHeadline(c, 'previous period'), ...c.anomalies.map((a) => `⚠️ ${a.explanation}`)],
      table: c.byCategory.length ? costTable(c, by) : undefined,
    },
  ];
  if (c.tiers.length) sections.push({ title: 'Volume tiers this month', lines: tierLines(c) });
  const summary =
    c.total === null
      ? `${views.account.displayName}: ${plural(c.volume, 'message')}, cost not reported (${period})`
      : `${views.account.displayName}: ${formatMoney(c.total, c.currency)} for ${plural(c.volume, 'message')} (${period})`;
  return {
    type: 'views',
    title: `${views.account.displayName} — cost, ${period}`,
    summary,
    sections,
    footer: [`${period} · ${plan.timezone}`, ...plan.notes, ...c.notes.filter((n) => n !== PARTNER_BILLED_NOTE), ...views.notes].join(
      ' · ',
    ),
  };
}

/** "12,345 sent → 97% delivered → 81% read → 7% clicked · USD 12.34". */
function funnelLine(f: TemplateFunnel, currency: string | null): string {
  const cost = f.cost === null ? '' : ` · ${formatMoney(f.cost, currency)}`;
  return `*${f.name}* (${f.language}): ${formatCount(f.sent)} sent → ${formatRate(f.rates.delivered, 0)} delivered → ${formatRate(f.rates.read, 0)} read → ${formatRate(f.rates.clicked, 0)} clicked${cost}`;
}

/** How to switch template insights on, and that it is for good. */
export function insightsOffLines(account: string): string[] {
  return [
    'Template insights are off for this WABA.',
    `Switch them on with \`waba-pulse templates enable --account ${account} --yes\` (it cannot be undone; WABAs tied to the EU, the UK or Japan are not supported).`,
  ];
}

/** `templates <account>`: each template's funnel, busiest first; while insights are off, how to switch them on. */
export function templatesAnswer(views: AccountViews): ViewsAnswer {
  const t = views.templates!;
  const period = formatRange(t.range, 'UTC');
  const currency = views.waba.currency;
  let lines: string[];
  if (t.funnels.length === 0) lines = ['Graph lists no message templates for this account.'];
  else if (!t.enabled)
    lines = [
      ...insightsOffLines(views.account.name),
      ...t.funnels.slice(0, ANSWER_ROWS).map((f) => `${f.name} (${f.language}, ${f.category}): ${f.status}`),
    ];
  else lines = t.funnels.slice(0, ANSWER_ROWS).map((f) => funnelLine(f, currency));
  if (t.funnels.length > ANSWER_ROWS) lines.push(`…and ${t.funnels.length - ANSWER_ROWS} more`);
  const top = t.funnels[0];
  return {
    type: 'views',
    title: `${views.account.displayName} — templates, ${period}`,
    summary: t.enabled
      ? `${views.account.displayName}: ${plural(t.funnels.length, 'template')}${top?.sent ? `, busiest ${top.name} (${formatCount(top.sent)} sent)` : ''}`
      : `${views.account.displayName}: template insights are off`,
    sections: [{ title: t.enabled ? 'Sent → delivered → read → clicked, busiest first' : 'Templates', lines }],
    footer: [`${period} · UTC`, ...t.notes.filter((n) => !n.startsWith('Template insights are off')), ...views.notes].join(' · '),
  };
}

/** The digest's sections beside delivery: health, cost, top templates; a part missing says why in a line. */
export function digestSections(d: DigestViews): ViewSection[] {
  const { views, unavailable } = d;
  const left = (why: string) => [`Left out: ${why}`];
  const sections: ViewSection[] = [];
  sections.push({
    title: 'Health',
    lines: unavailable.health || !views.health ? left(unavailable.health ?? 'not read') : numbersHealthLines(views.health.numbers),
  });
  const cost = views.cost;
  if (unavailable.cost || !cost) sections.push({ title: 'Cost', lines: left(unavailable.cost ?? 'not read') });
  else {
    const c = cost.summary;
    const top = c.total === null ? [] : c.byCategory.filter((r) => r.volume > 0).slice(0, 3);
    sections.push({
      title: `Cost · ${formatRange(cost.range, cost.timezone)}${cost.timezone === views.account.timezone ? '' : ` (${cost.timezone})`}`,
      lines: [
        costHeadline(c, 'the day before'),
        ...(top.length
          ? [
              `Top categories: ${top.map((r) => `${r.category} ${formatMoney(r.cost, c.currency)} (${compactCount(r.volume)})`).join(' · ')}`,
            ]
          : []),
        ...c.anomalies.map((a) => `⚠️ ${a.explanation}`),
      ],
    });
  }
  const t = views.templates;
  if (unavailable.templates || !t) sections.push({ title: 'Top templates', lines: left(unavailable.templates ?? 'not read') });
  else {
    const busy = t.funnels.filter((f) => f.sent > 0).slice(0, DIGEST_TEMPLATES);
    sections.push({
      title: `Top templates · ${formatRange(t.range, 'UTC')} (UTC)`,
      lines: !t.enabled
        ? insightsOffLines(views.account.name)
        : busy.length
          ? busy.map((f) => funnelLine(f, views.waba.currency))
          : ['No template was sent.'],
    });
  }
  return sections;
}
