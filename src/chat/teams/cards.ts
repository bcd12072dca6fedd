import type { Anomaly } from '../../analytics/anomalies.js';
import {
  breakdownLabel,
  formatCount,
  formatPercentChange,
  formatPoints,
  formatRange,
  formatRate,
  freshnessLine,
  reportTitle,
} from '../../report/format.js';
import type { Report } from '../../report/model.js';
import type { AlertActionId } from '../alertActions.js';
import type { CommandResult } from '../context.js';
import type { AlertContent } from '../surface.js';

/**
 * The report model as Adaptive Cards (schema 1.5, what Teams renders), kept well under Teams'
 * ~28 KB card limit: images by URL only, breakdowns cut to the top rows.
 */
export type Card = Record<string, unknown>;

export const CARD_VERSION = '1.5';
const BREAKDOWN_ROWS = 15;
const ANOMALY_ROWS = 6;

const text = (value: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text: value, wrap: true, ...extra });

function card(body: unknown[], actions: unknown[] = []): Card {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    msteams: { width: 'Full' },
    body,
    ...(actions.length ? { actions } : {}),
  };
}

function anomalyBlocks(anomalies: ReadonlyArray<Pick<Anomaly, 'severity' | 'explanation'>>): unknown[] {
  const blocks = anomalies.slice(0, ANOMALY_ROWS).map((a) =>
    text(`${a.severity === 'critical' ? '🔴' : '🟠'} ${a.explanation}`, {
      color: a.severity === 'critical' ? 'Attention' : 'Warning',
      spacing: 'Small',
    }),
  );
  if (anomalies.length > ANOMALY_ROWS)
    blocks.push(text(`…and ${anomalies.length - ANOMALY_ROWS} more`, { isSubtle: true, spacing: 'Small' }));
  return blocks;
}

function breakdownTable(report: Report): unknown[] {
  if (!report.breakdown) return [];
  const { by, items } = report.breakdown;
  const cell = (value: string, right = false) => ({
    type: 'TableCell',
    items: [text(value, right ? { horizontalAlignment: 'Right' } : {})],
  });
  const rows = items.slice(0, BREAKDOWN_ROWS).map((i) => ({
    type: 'TableRow',
    cells: [
      cell(breakdownLabel(by, i.key)),
      cell(formatCount(i.sent), true),
      cell(formatRate(i.deliveryRate), true),
      cell(formatPoints(i.change.ratePoints), true),
    ],
  }));
  const out: unknown[] = [
    text(`By ${by === 'phone' ? 'phone number' : 'country'}`, { weight: 'Bolder', spacing: 'Medium' }),
    {
      type: 'Table',
      firstRowAsHeaders: true,
      showGridLines: false,
      columns: [{ width: 3 }, { width: 2 }, { width: 1 }, { width: 2 }],
      rows: [
        {
          type: 'TableRow',
          style: 'accent',
          cells: [cell(by === 'phone' ? 'Number' : 'Country'), cell('Sent', true), cell('Rate', true), cell('vs previous', true)],
        },
        ...rows,
      ],
    },
  ];
  if (items.length > BREAKDOWN_ROWS) out.push(text(`…and ${items.length - BREAKDOWN_ROWS} more`, { isSubtle: true, spacing: 'Small' }));
  return out;
}

export function reportCard(report: Report, imageUrl: string | undefined): Card {
  const t = report.totals;
  const prev = report.comparisons.previousPeriod;
  const week = report.comparisons.sameWeekdayLastWeek;
  const facts = [
    { title: 'Sent', value: formatCount(t.sent) },
    { title: 'Delivered', value: formatCount(t.delivered) },
    { title: 'Delivery rate', value: formatRate(t.deliveryRate) },
    ...(prev
      ? [
          {
            title: 'vs previous period',
            value: `rate ${formatPoints(prev.change.ratePoints)} · sent ${formatPercentChange(prev.change.sentPct)}`,
          },
        ]
      : []),
    ...(week
      ? [
          {
            title: 'vs a week before',
            value: `rate ${formatPoints(week.change.ratePoints)} · sent ${formatPercentChange(week.change.sentPct)}`,
          },
        ]
      : []),
  ];
  const body: unknown[] = [text(reportTitle(report), { size: 'Large', weight: 'Bolder' }), { type: 'FactSet', facts }];
  if (report.anomalies.length) body.push(text('Anomalies', { weight: 'Bolder', spacing: 'Medium' }), ...anomalyBlocks(report.anomalies));
  body.push(...breakdownTable(report));
  if (imageUrl) {
    const alt = report.anomalies[0] ? `${reportTitle(report)}. ${report.anomalies[0].explanation}` : reportTitle(report);
    body.push({ type: 'Image', url: imageUrl, altText: alt.slice(0, 1000), size: 'Stretch', spacing: 'Medium' });
  }
  body.push(
    text(
      `${formatRange(report.range, report.range.timezone)} · ${report.range.timezone} · ${freshnessLine(report)}${report.notes.length ? ` · ${report.notes.join(' ')}` : ''}`,
      { isSubtle: true, size: 'Small', spacing: 'Medium' },
    ),
  );
  return card(body);
}

/** Teams renders Markdown in TextBlocks; Slack's *bold* becomes **bold**. */
function markdown(line: string): string {
  return line.replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1**$2**');
}

export function noticeCard(result: CommandResult & { type: 'notice' }): Card {
  return card([text(result.title, { weight: 'Bolder' }), ...result.lines.map((line) => text(markdown(line), { spacing: 'Small' }))]);
}

export function errorCard(message: string): Card {
  return card([text(`⚠️ ${message}`, { color: 'Attention' })]);
}

export const ALERT_SUBMIT = 'waba-pulse-alert';

export function alertCard(alert: AlertContent, status?: string): Card {
  if (alert.resolved) {
    return card([
      text(`✅ Resolved: ${alert.accountName}`, { size: 'Large', weight: 'Bolder' }),
      ...alert.anomalies.map((a) => text(a.explanation, { spacing: 'Small' })),
      text(`Alert ${alert.shortId} · times in ${alert.timezone}`, { isSubtle: true, size: 'Small' }),
    ]);
  }
  const critical = alert.anomalies.some((a) => a.severity === 'critical');
  // The submit carries the alert's key and the button, nothing else: the card is redrawn from the store.
  const submit = (title: string, action: AlertActionId) => ({
    type: 'Action.Submit',
    title,
    data: { kind: ALERT_SUBMIT, key: alert.key, action },
  });
  return card(
    [
      text(`${critical ? '🔴' : '🟠'} Delivery alert: ${alert.accountName}`, { size: 'Large', weight: 'Bolder' }),
      ...anomalyBlocks(alert.anomalies),
      text(`Alert ${alert.shortId} · times in ${alert.timezone}`, { isSubtle: true, size: 'Small' }),
      ...(status ? [text(status, { weight: 'Bolder', color: 'Good', spacing: 'Medium' })] : []),
    ],
    [
      submit('Acknowledge', 'ack'),
      submit('Mute 1h', 'mute_1h'),
      submit('Mute 24h', 'mute_24h'),
      submit('Show by phone number', 'by_phone'),
    ],
  );
}
