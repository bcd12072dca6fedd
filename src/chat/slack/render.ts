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
import type { CommandResult } from '../context.js';
import { type AlertContent, errorMessage } from '../surface.js';

/** Block Kit, kept inside Slack's limits so a message is never rejected. */
export type Block = Record<string, unknown>;
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  header: 150,
  contextElements: 10,
  altText: 2000,
  buttonValue: 2000,
};
const BREAKDOWN_ROWS = 15;
const ANOMALY_ROWS = 6;

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack mrkdwn treats &, < and > specially. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text: clip(text, LIMITS.header), emoji: true } });
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } });
const context = (...texts: string[]): Block => ({
  type: 'context',
  elements: texts.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn', text: clip(t, LIMITS.sectionText) })),
});

function icon(a: Pick<Anomaly, 'severity'>): string {
  return a.severity === 'critical' ? ':red_circle:' : ':large_orange_circle:';
}

function anomalyLines(anomalies: ReadonlyArray<Pick<Anomaly, 'severity' | 'explanation'>>): string {
  const shown = anomalies.slice(0, ANOMALY_ROWS).map((a) => `${icon(a)} ${escapeMrkdwn(a.explanation)}`);
  if (anomalies.length > ANOMALY_ROWS) shown.push(`_…and ${anomalies.length - ANOMALY_ROWS} more_`);
  return shown.join('\n');
}

/** A monospace table of the top rows, and how many more there are. */
function breakdownTable(report: Report): string | undefined {
  if (!report.breakdown) return undefined;
  const { by, items, topMovers } = report.breakdown;
  const rows = items.slice(0, BREAKDOWN_ROWS).map((i) => {
    const label = clip(breakdownLabel(by, i.key), 22).padEnd(22);
    return `${label} ${formatCount(i.sent).padStart(10)} ${formatRate(i.deliveryRate).padStart(7)} ${formatPoints(i.change.ratePoints).padStart(12)}`;
  });
  const head = `${(by === 'phone' ? 'Number' : 'Country').padEnd(22)} ${'Sent'.padStart(10)} ${'Rate'.padStart(7)} ${'vs prev'.padStart(12)}`;
  let text = `*By ${by === 'phone' ? 'phone number' : 'country'}*\n\`\`\`${[head, ...rows].join('\n')}\`\`\``;
  if (items.length > BREAKDOWN_ROWS) text += `\n_…and ${items.length - BREAKDOWN_ROWS} more_`;
  if (topMovers.length)
    text += `\nTop movers: ${topMovers.map((m) => `${escapeMrkdwn(breakdownLabel(by, m.key))} ${formatPoints(m.change.ratePoints)}`).join(', ')}`;
  return text;
}

export type ChartImage = { url: string } | { fileId: string } | undefined;

export function reportMessage(report: Report, image: ChartImage): SlackMessage {
  const t = report.totals;
  const prev = report.comparisons.previousPeriod;
  const week = report.comparisons.sameWeekdayLastWeek;
  const fields = [
    `*Sent*\n${formatCount(t.sent)}`,
    `*Delivered*\n${formatCount(t.delivered)}`,
    `*Delivery rate*\n${formatRate(t.deliveryRate)}`,
    ...(prev
      ? [`*vs previous period*\nrate ${formatPoints(prev.change.ratePoints)} · sent ${formatPercentChange(prev.change.sentPct)}`]
      : []),
    ...(week
      ? [`*vs a week before*\nrate ${formatPoints(week.change.ratePoints)} · sent ${formatPercentChange(week.change.sentPct)}`]
      : []),
  ].slice(0, LIMITS.fields);
  const blocks: Block[] = [
    header(reportTitle(report)),
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text: clip(text, LIMITS.fieldText) })) },
  ];
  if (report.anomalies.length) blocks.push(section(`*Anomalies*\n${anomalyLines(report.anomalies)}`));
  const table = breakdownTable(report);
  if (table) blocks.push(section(table));
  if (image) {
    const alt = clip(
      report.anomalies[0] ? `${reportTitle(report)}. ${report.anomalies[0].explanation}` : reportTitle(report),
      LIMITS.altText,
    );
    blocks.push(
      'url' in image
        ? { type: 'image', image_url: image.url, alt_text: alt }
        : { type: 'image', slack_file: { id: image.fileId }, alt_text: alt },
    );
  }
  const notes = report.notes.length ? [`_${clip(escapeMrkdwn(report.notes.join(' ')), 500)}_`] : [];
  blocks.push(context(`${formatRange(report.range, report.range.timezone)} · ${report.range.timezone}`, freshnessLine(report), ...notes));
  const text = `${reportTitle(report)}: ${formatRate(t.deliveryRate)} of ${formatCount(t.sent)} delivered${report.anomalies.length ? `; ${report.anomalies.length} anomal${report.anomalies.length === 1 ? 'y' : 'ies'}` : ''}`;
  return { text: clip(text, LIMITS.sectionText), blocks: blocks.slice(0, LIMITS.blocks) };
}

export function noticeMessage(result: CommandResult & { type: 'notice' }): SlackMessage {
  const blocks: Block[] = [section(`*${escapeMrkdwn(result.title)}*`)];
  // Pack lines into sections under the text limit, within the block limit.
  let current = '';
  for (const line of result.lines) {
    if (current.length + line.length + 1 > LIMITS.sectionText - 50) {
      blocks.push(section(current));
      current = '';
    }
    current += (current ? '\n' : '') + line;
  }
  if (current) blocks.push(section(current));
  return { text: clip(`${result.title}: ${result.lines.join(' ')}`, LIMITS.sectionText), blocks: blocks.slice(0, LIMITS.blocks) };
}

/** One line for the user, never a stack trace or a secret. */
export function errorText(err: unknown): string {
  return `:warning: ${errorMessage(err)}`;
}

export const ALERT_ACTIONS = {
  acknowledge: 'alert_ack',
  mute1h: 'alert_mute_1h',
  mute24h: 'alert_mute_24h',
  byPhone: 'alert_by_phone',
} as const;

/** The alert message, drawn from the alert alone (and, after a click, who did what). */
export function alertMessage(alert: AlertContent, status?: string): SlackMessage {
  const critical = alert.anomalies.some((a) => a.severity === 'critical');
  // A button carries the alert's key and nothing else: everything else is looked up.
  const value = JSON.stringify({ key: alert.key });
  const button = (text: string, action_id: string, style?: 'primary' | 'danger') => ({
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id,
    value,
    ...(style ? { style } : {}),
  });
  const name = escapeMrkdwn(alert.accountName);
  if (alert.resolved) {
    const text = alert.anomalies.map((a) => escapeMrkdwn(a.explanation)).join('\n');
    return {
      text: clip(`Delivery alert resolved for ${alert.accountName}: ${text}`, LIMITS.sectionText),
      blocks: [header(`✅ Resolved: ${alert.accountName}`), section(text), context(`Alert ${alert.shortId} · times in ${alert.timezone}`)],
    };
  }
  const blocks: Block[] = [
    header(`${critical ? '🔴' : '🟠'} Delivery alert: ${alert.accountName}`),
    section(anomalyLines(alert.anomalies)),
    context(`Alert ${alert.shortId} · times in ${alert.timezone}`),
    ...(status ? [{ ...context(status), block_id: 'alert_status' }] : []),
    {
      type: 'actions',
      block_id: 'alert_actions',
      elements: [
        button('Acknowledge', ALERT_ACTIONS.acknowledge, 'primary'),
        button('Mute 1h', ALERT_ACTIONS.mute1h),
        button('Mute 24h', ALERT_ACTIONS.mute24h),
        button('Show by phone number', ALERT_ACTIONS.byPhone),
      ],
    },
  ];
  const first = alert.anomalies[0];
  return { text: clip(`Delivery alert for ${name}: ${first ? escapeMrkdwn(first.explanation) : ''}`, LIMITS.sectionText), blocks };
}
