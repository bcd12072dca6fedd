import type { AlertActionId } from '../../alerts/actions.js';
import type { AlertContent } from '../../alerts/model.js';
import {
  alertFooter,
  alertSummary,
  alertTitle,
  incidents,
  recoveryLine,
  resolutionSummary,
  statusText,
} from '../../alerts/presentation.js';
import type { Anomaly } from '../../analytics/anomalies.js';
import type { DigestViews } from '../../report/accountViews.js';
import { formatPercentChange, formatPoints, freshnessLine, reportPeriod, reportTitle } from '../../report/format.js';
import type { Report } from '../../report/model.js';
import type { CommandResult } from '../context.js';
import { breakable, breakdownRows, failureView, reportHeadline, type Tone } from '../presentation.js';
import { digestSections, type ViewSection, type ViewsAnswer, type ViewTable } from '../viewsPresentation.js';

/**
 * The report model as Adaptive Cards (schema 1.5, what Teams renders), kept well under Teams'
 * ~28 KB card limit: images by URL only, breakdowns cut to the top rows.
 */
export type Card = Record<string, unknown>;

export const CARD_VERSION = '1.5';
const BREAKDOWN_ROWS = 15;
const ANOMALY_ROWS = 6;

export const text = (value: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text: value, wrap: true, ...extra });

export function card(body: unknown[], actions: unknown[] = []): Card {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    msteams: { width: 'Full' },
    body,
    ...(actions.length ? { actions } : {}),
  };
}

/**
 * Teams reads Markdown in a TextBlock: text from the config or from people (account names,
 * labels) goes into RichTextBlock runs, which it shows as they are.
 */
export const run = (value: string, extra: Record<string, unknown> = {}) => ({ type: 'TextRun', text: value, ...extra });
export const rich = (inlines: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'RichTextBlock', inlines, ...extra });

const TONE_COLOR: Record<Tone, string> = { bad: 'Attention', good: 'Good', neutral: 'Default' };

/** The delivery rate large, its change coloured beside it, the volumes under them. */
function headline(report: Report): unknown[] {
  const h = reportHeadline(report);
  const columns: unknown[] = [
    {
      type: 'Column',
      width: 'auto',
      items: [
        text(h.rate, { size: 'ExtraLarge', weight: 'Bolder', wrap: false }),
        text('delivered', { isSubtle: true, spacing: 'None', size: 'Small' }),
      ],
    },
  ];
  if (h.change) {
    columns.push({
      type: 'Column',
      width: 'stretch',
      verticalContentAlignment: 'Center',
      items: [
        text(h.change.text, { size: 'Large', weight: 'Bolder', color: TONE_COLOR[h.change.tone], wrap: false }),
        text(h.change.note ?? h.change.against, { isSubtle: true, spacing: 'None', size: 'Small' }),
      ],
    });
  }
  return [
    { type: 'ColumnSet', spacing: 'Medium', columns },
    text(`${h.sent} sent · ${h.delivered} delivered`, { isSubtle: true, spacing: 'Small' }),
  ];
}

function anomalyBlocks(anomalies: ReadonlyArray<Pick<Anomaly, 'severity' | 'explanation'>>): unknown[] {
  const blocks: unknown[] = anomalies.slice(0, ANOMALY_ROWS).map((a) =>
    rich(
      [run(`${a.severity === 'critical' ? '🔴' : '🟠'} ${a.explanation}`, { color: a.severity === 'critical' ? 'Attention' : 'Warning' })],
      {
        spacing: 'Small',
      },
    ),
  );
  if (anomalies.length > ANOMALY_ROWS)
    blocks.push(text(`…and ${anomalies.length - ANOMALY_ROWS} more`, { isSubtle: true, spacing: 'Small' }));
  return blocks;
}

/** One row per number or country: the label takes what is left, the figures their own width. */
function breakdownRowsBlocks(report: Report): unknown[] {
  if (!report.breakdown) return [];
  const { by } = report.breakdown;
  const { rows, more } = breakdownRows(report, BREAKDOWN_ROWS);
  const row = (cells: [string, string, string, string], extra: { header?: boolean; tone?: Tone } = {}) => ({
    type: 'ColumnSet',
    spacing: 'Small',
    columns: [
      {
        type: 'Column',
        width: 'stretch',
        items: [text(cells[0], { wrap: true, ...(extra.header ? { isSubtle: true, size: 'Small' } : {}) })],
      },
      ...cells.slice(1).map((value, i) => ({
        type: 'Column',
        width: 'auto',
        items: [
          text(value, {
            wrap: false,
            horizontalAlignment: 'Right',
            ...(extra.header ? { isSubtle: true, size: 'Small' } : {}),
            ...(i === 2 && extra.tone ? { color: TONE_COLOR[extra.tone] } : {}),
          }),
        ],
      })),
    ],
  });
  const out: unknown[] = [
    text(`By ${by === 'phone' ? 'phone number' : 'country'}`, { weight: 'Bolder', spacing: 'Medium' }),
    row([by === 'phone' ? 'Number' : 'Country', 'Sent', 'Rate', '±pp'], { header: true }),
    ...rows.map((r) => row([r.label, r.sent, r.rate, r.change], { tone: r.tone })),
  ];
  if (more) out.push(text(`…and ${more} more`, { isSubtle: true, spacing: 'Small' }));
  return out;
}

function failureBlocks(report: Report): unknown[] {
  const view = failureView(report);
  if (!view) return [];
  return [
    rich([run('Why messages failed', { weight: 'Bolder' }), run(` · ${view.headline}`, { isSubtle: true })], { spacing: 'Medium' }),
    ...view.codes.map((c) =>
      rich(
        [
          run(c.code, { fontType: 'Monospace', weight: 'Bolder' }),
          run(` ${c.count} (${c.share}) ${c.title}`),
          ...(c.advice ? [run(` — ${c.advice}`, { isSubtle: true })] : []),
        ],
        { spacing: 'Small' },
      ),
    ),
    ...(view.scopes.length ? [rich([run(view.scopes.join(' · '), { isSubtle: true, size: 'Small' })], { spacing: 'Small' })] : []),
  ];
}

/** A view's table as rows: the label takes what is left and wraps, the figures their own width. */
function viewTableBlocks(table: ViewTable): unknown[] {
  const row = (cells: string[], head: boolean) => ({
    type: 'ColumnSet',
    spacing: 'Small',
    columns: cells.map((value, i) => ({
      type: 'Column',
      width: i === 0 ? 'stretch' : 'auto',
      items: [
        i === 0
          ? rich([run(breakable(value), head ? { isSubtle: true, size: 'Small' } : {})])
          : text(value, { wrap: false, horizontalAlignment: 'Right', ...(head ? { isSubtle: true, size: 'Small' } : {}) }),
      ],
    })),
  });
  const out: unknown[] = [row(table.head, true), ...table.rows.map((r) => row(r, false))];
  if (table.more) out.push(text(`…and ${table.more} more`, { isSubtle: true, spacing: 'Small' }));
  return out;
}

/** A view's section: its title in bold, its lines (our *bold* and `commands` marked), its table. */
function viewSectionBlocks(view: ViewSection): unknown[] {
  return [
    rich([run(breakable(view.title), { weight: 'Bolder' })], { spacing: 'Medium' }),
    ...view.lines.map((line) => noticeLine(breakable(line))),
    ...(view.table ? viewTableBlocks(view.table) : []),
  ];
}

/** `cost` and `templates` answers. */
export function viewsCard(answer: ViewsAnswer): Card {
  return card([
    rich([run(breakable(answer.title), { size: 'Medium', weight: 'Bolder' })]),
    ...answer.sections.flatMap(viewSectionBlocks),
    rich([run(answer.footer, { isSubtle: true, size: 'Small' })], { spacing: 'Medium' }),
  ]);
}

export function reportCard(report: Report, imageUrl: string | undefined, failureImageUrl?: string, digest?: DigestViews): Card {
  const week = report.comparisons.sameWeekdayLastWeek;
  const body: unknown[] = [rich([run(breakable(reportTitle(report)), { size: 'Medium', weight: 'Bolder' })]), ...headline(report)];
  if (week && week.change.ratePoints !== null) {
    body.push(
      text(
        `vs the same days a week before: rate ${formatPoints(week.change.ratePoints)} · sent ${formatPercentChange(week.change.sentPct)}`,
        {
          isSubtle: true,
          size: 'Small',
          spacing: 'None',
        },
      ),
    );
  }
  if (report.anomalies.length) body.push(text('Anomalies', { weight: 'Bolder', spacing: 'Medium' }), ...anomalyBlocks(report.anomalies));
  body.push(...breakdownRowsBlocks(report), ...failureBlocks(report));
  if (imageUrl) {
    const alt = report.anomalies[0] ? `${reportTitle(report)}. ${report.anomalies[0].explanation}` : reportTitle(report);
    body.push({ type: 'Image', url: imageUrl, altText: alt.slice(0, 1000), size: 'Stretch', spacing: 'Medium' });
  }
  if (failureImageUrl)
    body.push({ type: 'Image', url: failureImageUrl, altText: 'Why messages failed', size: 'Stretch', spacing: 'Small' });
  // A daily digest's health, cost and top templates, under delivery.
  if (digest)
    body.push({ type: 'Container', separator: true, spacing: 'Medium', items: digestSections(digest).flatMap(viewSectionBlocks) });
  body.push(
    rich(
      [
        run(`${reportPeriod(report)} · ${freshnessLine(report)}${report.notes.length ? ` · ${report.notes.join(' ')}` : ''}`, {
          isSubtle: true,
          size: 'Small',
        }),
      ],
      { spacing: 'Medium' },
    ),
  );
  return card(body);
}

/**
 * Our notice lines mark *bold* and `commands`: shown as bold and monospace runs (never as
 * Markdown, so a name with an asterisk or a backtick is shown as it is).
 */
export function noticeLine(line: string, bold = true): unknown {
  const inlines: unknown[] = [];
  const pattern = bold ? /\*([^*\n]+)\*|`([^`\n]+)`/g : /()`([^`\n]+)`/g;
  let last = 0;
  for (const m of line.matchAll(pattern)) {
    if (m.index! > last) inlines.push(run(line.slice(last, m.index)));
    inlines.push(m[2] === undefined ? run(m[1]!, { weight: 'Bolder' }) : run(m[2], { fontType: 'Monospace' }));
    last = m.index! + m[0].length;
  }
  if (last < line.length) inlines.push(run(line.slice(last)));
  return rich(inlines, { spacing: 'Small' });
}

export function noticeCard(result: CommandResult & { type: 'notice' }): Card {
  return card([rich([run(result.title, { weight: 'Bolder' })]), ...result.lines.map((line) => noticeLine(line))]);
}

/** An error line; the commands it suggests (`help`) in monospace, nothing else read as markup. */
export function errorCard(message: string): Card {
  const line = noticeLine(`⚠️ ${message}`, false) as { inlines: Array<Record<string, unknown>> };
  return card([{ ...line, inlines: line.inlines.map((r) => ({ ...r, color: 'Attention' })) }]);
}

export const ALERT_SUBMIT = 'waba-pulse-alert';

export function alertCard(alert: AlertContent, imageUrl?: string): Card {
  const footer = rich([run(alertFooter(alert), { isSubtle: true, size: 'Small' })], { spacing: 'Medium' });
  if (alert.resolved) {
    return card([
      rich([run(`✅ ${breakable(alertTitle(alert))}`, { size: 'Large', weight: 'Bolder' })]),
      text(resolutionSummary(alert), { weight: 'Bolder', spacing: 'Small' }),
      ...alert.anomalies.map((a) => rich([run(recoveryLine(a))], { spacing: 'Small' })),
      footer,
    ]);
  }
  const critical = alert.anomalies.some((a) => a.severity === 'critical');
  // The submit carries the alert's key and the button, nothing else: the card is redrawn from the store.
  const submit = (title: string, action: AlertActionId, extra: Record<string, unknown> = {}) => ({
    type: 'Action.Submit',
    title,
    data: { kind: ALERT_SUBMIT, key: alert.key, action },
    ...extra,
  });
  const body: unknown[] = [rich([run(`${critical ? '🔴' : '🟠'} ${breakable(alertTitle(alert))}`, { size: 'Large', weight: 'Bolder' })])];
  for (const incident of incidents(alert).slice(0, ANOMALY_ROWS)) {
    body.push(
      rich(
        [
          run(incident.headline, { weight: 'Bolder', color: incident.severity === 'critical' ? 'Attention' : 'Warning' }),
          ...(incident.new ? [run('  new', { isSubtle: true })] : []),
        ],
        {
          spacing: 'Small',
        },
      ),
    );
    if (incident.detail) body.push(rich([run(incident.detail)], { spacing: 'None' }));
    if (incident.related.length) body.push(rich([run(`Also: ${incident.related.join(' · ')}`, { isSubtle: true })], { spacing: 'None' }));
  }
  if (imageUrl)
    body.push({ type: 'Image', url: imageUrl, altText: alertSummary(alert).slice(0, 1000), size: 'Stretch', spacing: 'Medium' });
  const status = alert.status;
  if (status) {
    // Neutral: a mute is a choice, not a success.
    body.push(
      rich([run(`${status.action === 'acknowledged' ? '✅' : '🔕'} ${statusText(status, status.byName ?? status.by)}`)], {
        spacing: 'Medium',
      }),
    );
  }
  // Two buttons side by side are what a phone's card shows whole; the breakdown is a link.
  body.push(
    rich([run('Show by phone number ›', { color: 'Accent', selectAction: submit('Show by phone number', 'by_phone') })], {
      spacing: 'Small',
    }),
    footer,
  );
  const actions = status
    ? [submit(status.action === 'muted' ? 'Unmute' : 'Undo', 'undo')]
    : [
        submit('Acknowledge', 'ack', { style: 'positive' }),
        {
          type: 'Action.ShowCard',
          title: 'Mute…',
          card: {
            type: 'AdaptiveCard',
            body: [text('Mute alerts for this account here for', { size: 'Small' })],
            actions: [submit('1 hour', 'mute_1h'), submit('24 hours', 'mute_24h')],
          },
        },
      ];
  return card(body, actions);
}
