import { DateTime } from 'luxon';
import { type CostRow, type CostSummary, formatMoney } from '../analytics/cost.js';
import type { HealthSummary, TemplateHealthItem } from '../analytics/health.js';
import type { TemplateFunnel } from '../analytics/templateFunnel.js';
import { toIso } from '../analytics/time.js';
import type { WabaOverview } from '../vocabulary/health.js';
import type { TimeRange } from '../vocabulary/series.js';
import { formatCount, formatCountry, formatPercentChange, formatRange, formatRate } from './format.js';

/**
 * The health, cost and templates views as JSON (the CLI's contract, times ISO 8601) and as text.
 * Pure: the views come in, composed by `composeAccountViews`.
 */
/** An account's health, cost and templates as composed (src/compose/accountViews.ts): the model these render. */
export interface AccountViews {
  account: { id: string; name: string; displayName: string; timezone: string };
  waba: WabaOverview;
  health?: HealthSummary;
  /** Over whole days of `timezone`, the WABA's (Graph's pricing days). */
  cost?: { range: TimeRange; timezone: string; notes: string[]; summary: CostSummary };
  /** Over whole UTC days (Graph's template days); funnels of zero while insights are off. */
  templates?: { range: TimeRange; enabled: boolean; funnels: TemplateFunnel[]; notes: string[] };
  notes: string[];
}

/** The part of a digest one section stands on. */
export type DigestPart = 'health' | 'cost' | 'templates';

/**
 * What a daily digest says beside delivery: the views that could be composed, and for each part
 * that could not (Graph refused that field, the store away), why — in a short line. A part
 * missing never costs the digest.
 */
export interface DigestViews {
  views: AccountViews;
  unavailable: Partial<Record<DigestPart, string>>;
}

const round = (x: number | null, digits = 6): number | null => (x === null ? null : Number(x.toFixed(digits)));

function rangeJson(r: TimeRange, tz: string) {
  return { start: toIso(r.start, tz), end: toIso(r.end, tz), timezone: tz };
}

/** `waba-pulse health --format json`: exactly account, numbers, templates and events. */
export function healthJson(views: AccountViews) {
  const h = views.health!;
  const tz = views.account.timezone;
  return {
    account: { id: views.account.id, name: views.account.name },
    numbers: h.numbers,
    templates: h.templates,
    events: h.events.map((e) => ({ at: toIso(e.at, tz), field: e.field, event: e.event, subject: e.subject, detail: e.detail })),
  };
}

/** `report --view cost --format json`. */
export function costJson(views: AccountViews) {
  const { summary: c, ...plan } = views.cost!;
  const tz = plan.timezone;
  return {
    account: { id: views.account.id, name: views.account.name },
    range: rangeJson(plan.range, tz),
    cost: {
      currency: c.currency,
      total: c.total,
      previousTotal: c.previousTotal,
      perDelivered: c.perDelivered,
      volume: c.volume,
      byCategory: c.byCategory,
      byCountry: c.byCountry,
      tiers: c.tiers,
      anomalies: c.anomalies.map((a) => ({ ...a, start: toIso(a.start, tz), end: toIso(a.end, tz) })),
    },
    notes: [...plan.notes, ...c.notes, ...views.notes],
  };
}

/** `report --view templates --format json`: funnels while insights are on, names and statuses (metrics null) while off. */
export function templatesJson(views: AccountViews) {
  const t = views.templates!;
  return {
    account: { id: views.account.id, name: views.account.name },
    range: rangeJson(t.range, 'UTC'),
    templatesEnabled: t.enabled,
    templates: t.funnels.map((f) => ({
      id: f.id,
      name: f.name,
      language: f.language,
      category: f.category,
      status: f.status,
      sent: t.enabled ? f.sent : null,
      delivered: t.enabled ? f.delivered : null,
      read: t.enabled ? f.read : null,
      clicked: t.enabled ? f.clicked : null,
      cost: t.enabled ? round(f.cost) : null,
    })),
    notes: [...t.notes, ...views.notes],
  };
}

/** Rows padded into columns: text to the left, the columns named in `numeric` (figures) to the right. */
function table(rows: string[][], numeric: readonly number[] = []): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map(
    (r) =>
      `  ${r
        .map((cell, i) => (numeric.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd()}`,
  );
}

/** Notes after a blank line, one a line. */
function notesBlock(notes: readonly string[]): string[] {
  return notes.length ? ['', ...notes.map((n) => `Note: ${n}`)] : [];
}

function stamp(nowMs: number, tz: string): string {
  return DateTime.fromMillis(nowMs, { zone: tz }).toFormat('ccc d LLL yyyy HH:mm');
}

function templateLabel(t: TemplateHealthItem): string {
  return `${t.name} (${t.language}, ${t.category})`;
}

export function healthText(views: AccountViews, nowMs: number): string {
  const h = views.health!;
  const tz = views.account.timezone;
  const lines = [`${views.account.displayName} — account health, ${stamp(nowMs, tz)} (${tz})`];
  if (h.accountCanSend) lines.push(`The account can send: ${h.accountCanSend}`);
  lines.push('', 'Numbers:');
  if (h.numbers.length === 0) lines.push('  Graph lists no phone numbers for this account.');
  else
    lines.push(
      ...table([
        ['number', 'quality', 'limit', 'throughput', 'name', 'status', 'can send'],
        ...h.numbers.map((n) => [
          n.displayPhoneNumber,
          n.qualityRating ?? '—',
          n.messagingLimit ?? '—',
          n.throughput ?? '—',
          n.nameStatus ?? '—',
          n.status ?? '—',
          n.canSend ?? '—',
        ]),
      ]),
    );
  const { paused, disabled, qualityLow } = h.templates;
  lines.push('', `Templates: ${paused.length} paused · ${disabled.length} disabled · ${qualityLow.length} rated YELLOW or RED`);
  for (const t of paused) lines.push(`  paused    ${templateLabel(t)}`);
  for (const t of disabled) lines.push(`  disabled  ${templateLabel(t)}`);
  for (const t of qualityLow) lines.push(`  ${(t.qualityScore ?? '').padEnd(8)}  ${templateLabel(t)}`);
  if (h.problems.length) {
    lines.push('', 'Needs attention:');
    for (const p of h.problems) lines.push(`  ${p.severity === 'critical' ? '!!' : '! '} ${p.text}`);
  } else lines.push('', 'Nothing needs attention.');
  lines.push('', 'Health events (webhooks, last 7 days):');
  if (h.events.length === 0) lines.push('  none received');
  for (const e of h.events.slice(0, 20))
    lines.push(
      `  ${DateTime.fromSeconds(e.at, { zone: tz }).toFormat('ccc d LLL HH:mm')}  ${e.event.padEnd(10)} ${e.subject}: ${e.detail}`,
    );
  if (h.events.length > 20) lines.push(`  …and ${h.events.length - 20} more (--format json lists them all)`);
  lines.push(...notesBlock(views.notes));
  return `${lines.join('\n')}\n`;
}

function costCells(row: CostRow, currency: string | null): string[] {
  return [formatCount(row.volume), row.cost === null ? '—' : formatMoney(row.cost, currency)];
}

export function costText(views: AccountViews, by: 'category' | 'country' = 'category'): string {
  const { summary: c, ...plan } = views.cost!;
  const tz = plan.timezone;
  const lines = [`${views.account.displayName} — cost, ${formatRange(plan.range, tz)} (${tz})`];
  if (c.total === null) lines.push(`Cost not reported · ${formatCount(c.volume)} messages`);
  else {
    const change =
      c.previousTotal !== null && c.previousTotal > 0
        ? ` ${formatPercentChange(((c.total - c.previousTotal) / c.previousTotal) * 100)} vs the previous period (${formatMoney(c.previousTotal, c.currency)})`
        : '';
    lines.push(
      `${formatMoney(c.total, c.currency)}${change} · ${formatCount(c.volume)} messages${c.perDelivered !== null ? ` · ${formatMoney(c.perDelivered, c.currency, 4)} per delivered message` : ''}`,
    );
  }
  const rows =
    by === 'country'
      ? c.byCountry.map((r) => [formatCountry(r.country), ...costCells(r, c.currency)])
      : c.byCategory.map((r) => [r.category, ...costCells(r, c.currency)]);
  if (rows.length) {
    lines.push('', `By ${by}:`);
    lines.push(...table([[by, 'messages', 'cost'], ...rows], [1, 2]));
  }
  if (c.tiers.length) {
    lines.push('', 'Volume tiers this month (utility and authentication):');
    lines.push(
      ...table([
        ['category', 'country', 'tier', 'this month', 'to the next tier'],
        ...c.tiers.map((t) => [
          t.category,
          t.country ?? '—',
          t.tier,
          formatCount(t.monthVolume),
          t.remaining === null ? 'top tier' : formatCount(t.remaining),
        ]),
      ]),
    );
  }
  if (c.anomalies.length) lines.push('', ...c.anomalies.map((a) => `! ${a.explanation}`));
  lines.push(...notesBlock([...plan.notes, ...c.notes, ...views.notes]));
  return `${lines.join('\n')}\n`;
}

export function templatesText(views: AccountViews): string {
  const t = views.templates!;
  const lines = [`${views.account.displayName} — templates, ${formatRange(t.range, 'UTC')} (UTC)`];
  if (t.funnels.length === 0) lines.push('', 'Graph lists no message templates for this account.');
  else if (t.enabled) {
    const currency = views.waba.currency;
    lines.push('', 'Busiest first: sent → delivered → read → clicked, and what each cost.');
    lines.push(
      ...table(
        [
          ['template', 'status', 'sent', 'delivered', 'read', 'clicked', 'cost', 'per delivered'],
          ...t.funnels.map((f) => [
            `${f.name} (${f.language})`,
            f.status,
            formatCount(f.sent),
            `${formatCount(f.delivered)} ${formatRate(f.rates.delivered, 0)}`,
            `${formatCount(f.read)} ${formatRate(f.rates.read, 0)}`,
            `${formatCount(f.clicked)} ${formatRate(f.rates.clicked, 0)}`,
            formatMoney(f.cost, currency),
            formatMoney(f.costPerDelivered, currency, 4),
          ]),
        ],
        [2, 3, 4, 5, 6, 7],
      ),
    );
  } else {
    lines.push(
      '',
      ...table([['template', 'category', 'status'], ...t.funnels.map((f) => [`${f.name} (${f.language})`, f.category, f.status])]),
    );
  }
  lines.push(...notesBlock([...t.notes, ...views.notes]));
  return `${lines.join('\n')}\n`;
}
