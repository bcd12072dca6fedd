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
import { breakdownRows, failureView, reportHeadline, reportSummary } from '../presentation.js';
import { errorMessage } from '../surface.js';
import { digestSections, type ViewSection, type ViewsAnswer, type ViewTable } from '../viewsPresentation.js';

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

/** Rows of a monospace table stay this narrow, so a phone shows them whole (Slack wraps wider ones). */
export const CODE_ROW_WIDTH = 36;

function icon(severity: 'critical' | 'warning'): string {
  return severity === 'critical' ? ':red_circle:' : ':large_orange_circle:';
}

function anomalyLines(anomalies: ReadonlyArray<Pick<Anomaly, 'severity' | 'explanation'>>): string {
  const shown = anomalies.slice(0, ANOMALY_ROWS).map((a) => `${icon(a.severity)} ${escapeMrkdwn(a.explanation)}`);
  if (anomalies.length > ANOMALY_ROWS) shown.push(`_…and ${anomalies.length - ANOMALY_ROWS} more_`);
  return shown.join('\n');
}

/** "*94.0% delivered*  *▼ 2.5 pp* vs previous period" — the figure first, its change beside it. */
function headlineBlock(report: Report): Block {
  const h = reportHeadline(report);
  // Slack cannot colour text: the arrow carries the direction, and a small change is said to be one.
  const change = h.change ? `   *${h.change.text}* ${h.change.against}${h.change.note ? ` _(${h.change.note})_` : ''}` : '';
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: clip(`*${h.rate} delivered*${change}\n${h.sent} sent · ${h.delivered} delivered`, LIMITS.sectionText) },
  };
}

/** A table of at most 36 characters a row: number or country, sent, rate, change in points. */
function breakdownTable(report: Report): string | undefined {
  if (!report.breakdown) return undefined;
  const { by } = report.breakdown;
  const { rows, more } = breakdownRows(report, BREAKDOWN_ROWS);
  // "+91 80 4555 1234" whole (16), then sent 5, rate 6, change 6, a space between each.
  const labelWidth = CODE_ROW_WIDTH - 20;
  const line = (label: string, sent: string, rate: string, change: string) =>
    `${clip(label, labelWidth).padEnd(labelWidth)} ${sent.padStart(5)} ${rate.padStart(6)} ${change.padStart(6)}`;
  const head = line(by === 'phone' ? 'Number' : 'Country', 'Sent', 'Rate', '±pp');
  // Monospace text is shown as it is: plain spaces, and nothing Slack would read as markup.
  const body = rows.map((r) => line(r.label.replace(/\u00a0/g, ' '), r.sent, r.rate, r.change));
  let text = `*By ${by === 'phone' ? 'phone number' : 'country'}* (vs previous period)\n\`\`\`${escapeMrkdwn([head, ...body].join('\n'))}\`\`\``;
  if (more) text += `\n_…and ${more} more_`;
  return text;
}

export type ChartImage = { url: string } | { fileId: string } | undefined;

function imageBlock(image: NonNullable<ChartImage>, alt: string): Block {
  const alt_text = clip(alt, LIMITS.altText);
  return 'url' in image ? { type: 'image', image_url: image.url, alt_text } : { type: 'image', slack_file: { id: image.fileId }, alt_text };
}

/** "Why messages failed": the total, then each top code with its share, meaning and what to do. */
function failureBlock(report: Report): Block | undefined {
  const view = failureView(report);
  if (!view) return undefined;
  const codes = view.codes.map(
    (c) => `• \`${c.code}\` ${c.count} (${c.share}) ${escapeMrkdwn(c.title)}${c.advice ? ` — _${escapeMrkdwn(c.advice)}_` : ''}`,
  );
  const scopes = view.scopes.length ? [`_${view.scopes.map(escapeMrkdwn).join(' · ')}_`] : [];
  return section([`*Why messages failed* · ${view.headline}`, ...codes, ...scopes].join('\n'));
}

/** A line of ours is at most this long: a template's name may run to 512 characters. */
const LINE_CHARS = 240;

/** A narrow table as monospace rows of at most 36 characters: figures their own width, the label the rest. */
function viewTable(table: ViewTable): string {
  const rows = [table.head, ...table.rows];
  const figures = table.head.slice(1).map((_, i) => Math.max(...rows.map((r) => [...(r[i + 1] ?? '')].length)));
  const labelWidth = Math.max(8, CODE_ROW_WIDTH - figures.reduce((a, w) => a + w + 1, 0));
  const line = (r: string[]) =>
    [clip(r[0] ?? '', labelWidth).padEnd(labelWidth), ...figures.map((w, i) => (r[i + 1] ?? '').padStart(w))].join(' ');
  const text = `\`\`\`${escapeMrkdwn(
    rows
      .map(line)
      .join('\n')
      .replace(/\u00a0/g, ' '),
  )}\`\`\``;
  return table.more ? `${text}\n_…and ${table.more} more_` : text;
}

/** A view's section: its title and lines in one block, its table in the next. */
function viewBlocks(view: ViewSection): Block[] {
  const lines = view.lines.map((l) => escapeMrkdwn(clip(l, LINE_CHARS)));
  const blocks = [section([`*${escapeMrkdwn(view.title)}*`, ...lines].join('\n'))];
  if (view.table) blocks.push(section(viewTable(view.table)));
  return blocks;
}

/** `cost` and `templates` answers: posted in the channel, as reports are. */
export function viewsMessage(answer: ViewsAnswer): SlackMessage {
  const blocks: Block[] = [header(answer.title), ...answer.sections.flatMap(viewBlocks)];
  blocks.push(context(clip(escapeMrkdwn(answer.footer), 1000)));
  return { text: clip(escapeMrkdwn(answer.summary), LIMITS.sectionText), blocks: blocks.slice(0, LIMITS.blocks) };
}

export function reportMessage(report: Report, image: ChartImage, failureImage?: ChartImage, digest?: DigestViews): SlackMessage {
  const week = report.comparisons.sameWeekdayLastWeek;
  const blocks: Block[] = [header(reportTitle(report)), headlineBlock(report)];
  if (week && week.change.ratePoints !== null) {
    blocks.push(
      context(
        `vs the same days a week before: rate ${formatPoints(week.change.ratePoints)} · sent ${formatPercentChange(week.change.sentPct)}`,
      ),
    );
  }
  if (report.anomalies.length) blocks.push(section(`*Anomalies*\n${anomalyLines(report.anomalies)}`));
  const table = breakdownTable(report);
  if (table) blocks.push(section(table));
  const failures = failureBlock(report);
  if (failures) blocks.push(failures);
  if (image) {
    blocks.push(
      imageBlock(image, report.anomalies[0] ? `${reportTitle(report)}. ${report.anomalies[0].explanation}` : reportTitle(report)),
    );
  }
  if (failureImage) blocks.push(imageBlock(failureImage, `Why messages failed: ${failureView(report)?.headline ?? ''}`));
  // A daily digest's health, cost and top templates, under delivery: one block each.
  if (digest) blocks.push({ type: 'divider' }, ...digestSections(digest).flatMap(viewBlocks));
  const notes = report.notes.length ? [`_${clip(escapeMrkdwn(report.notes.join(' ')), 500)}_`] : [];
  blocks.push(context(`${reportPeriod(report)}`, escapeMrkdwn(freshnessLine(report)), ...notes));
  return { text: clip(escapeMrkdwn(reportSummary(report)), LIMITS.sectionText), blocks: blocks.slice(0, LIMITS.blocks) };
}

/** Our own notice lines use *bold* and `code`; everything else (names from the config) is escaped. */
export function noticeMessage(result: CommandResult & { type: 'notice' }): SlackMessage {
  const blocks: Block[] = [section(`*${escapeMrkdwn(result.title)}*`)];
  // Pack lines into sections under the text limit, within the block limit.
  let current = '';
  for (const raw of result.lines) {
    const line = escapeMrkdwn(raw);
    if (current.length + line.length + 1 > LIMITS.sectionText - 50) {
      blocks.push(section(current));
      current = '';
    }
    current += (current ? '\n' : '') + line;
  }
  if (current) blocks.push(section(current));
  return {
    text: clip(escapeMrkdwn(`${result.title}: ${result.lines.join(' ')}`), LIMITS.sectionText),
    blocks: blocks.slice(0, LIMITS.blocks),
  };
}

/** One line for the user, never a stack trace or a secret. */
export function errorText(err: unknown): string {
  return `:warning: ${escapeMrkdwn(errorMessage(err))}`;
}

export const ALERT_ACTIONS = {
  acknowledge: 'alert_ack',
  mute1h: 'alert_mute_1h',
  mute24h: 'alert_mute_24h',
  byPhone: 'alert_by_phone',
  undo: 'alert_undo',
} as const;

/** The alert, drawn from the stored alert alone: what, where, since when, who did what, what next. */
export function alertMessage(alert: AlertContent, image?: ChartImage): SlackMessage {
  // A button carries the alert's key and nothing else: everything else is looked up.
  const value = JSON.stringify({ key: alert.key });
  const button = (text: string, action_id: string, style?: 'primary' | 'danger') => ({
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id,
    value,
    ...(style ? { style } : {}),
  });
  if (alert.resolved) {
    const lines = alert.anomalies.map((a) => `:white_check_mark: ${escapeMrkdwn(recoveryLine(a))}`).join('\n');
    return {
      text: clip(escapeMrkdwn(alertSummary(alert)), LIMITS.sectionText),
      blocks: [
        header(`✅ ${alertTitle(alert)}`),
        section(`*${escapeMrkdwn(resolutionSummary(alert))}*\n${lines}`),
        context(escapeMrkdwn(alertFooter(alert))),
      ],
    };
  }
  const critical = alert.anomalies.some((a) => a.severity === 'critical');
  const blocks: Block[] = [header(`${critical ? '🔴' : '🟠'} ${alertTitle(alert)}`)];
  for (const incident of incidents(alert).slice(0, ANOMALY_ROWS)) {
    const related = incident.related.length ? `\nAlso: ${incident.related.map(escapeMrkdwn).join(' · ')}` : '';
    const detail = incident.detail ? `\n${escapeMrkdwn(incident.detail)}` : '';
    blocks.push(
      section(`${icon(incident.severity)} *${escapeMrkdwn(incident.headline)}*${incident.new ? ' `new`' : ''}${detail}${related}`),
    );
  }
  if (image) blocks.push(imageBlock(image, alertSummary(alert)));
  const status = alert.status;
  if (status) {
    const icon = status.action === 'acknowledged' ? ':white_check_mark:' : ':no_bell:';
    // A Slack user is mentioned (Slack shows the name); someone who clicked in Teams is named.
    const who = /^[UW][A-Z0-9]+$/.test(status.by) ? `<@${status.by}>` : escapeMrkdwn(status.byName ?? status.by);
    blocks.push({ ...context(`${icon} ${statusText(status, who)}`), block_id: 'alert_status' });
  }
  blocks.push(context(escapeMrkdwn(alertFooter(alert))));
  blocks.push({
    type: 'actions',
    block_id: 'alert_actions',
    elements: status
      ? [button(status.action === 'muted' ? 'Unmute' : 'Undo', ALERT_ACTIONS.undo), button('Show by phone number', ALERT_ACTIONS.byPhone)]
      : [
          button('Acknowledge', ALERT_ACTIONS.acknowledge, 'primary'),
          button('Mute 1h', ALERT_ACTIONS.mute1h),
          button('Mute 24h', ALERT_ACTIONS.mute24h),
          button('Show by phone number', ALERT_ACTIONS.byPhone),
        ],
  });
  return { text: clip(escapeMrkdwn(alertSummary(alert)), LIMITS.sectionText), blocks };
}
