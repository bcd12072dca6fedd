import { isWholeBucket } from '../analytics/buckets.js';
import {
  breakdownLabel,
  failureSource,
  formatCount,
  formatPercentChange,
  formatPoints,
  formatRate,
  freshnessLine,
  periodZone,
  reportTitle,
  seriesLabel,
} from './format.js';
import type { Comparison, Report } from './model.js';

const MAX_ROWS = 60;
const MAX_BREAKDOWN = 25;

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function comparisonLine(label: string, c: Comparison | null): string | undefined {
  if (!c) return undefined;
  return `  vs ${label}: sent ${formatPercentChange(c.change.sentPct)}, rate ${formatPoints(c.change.ratePoints)} (was ${formatRate(c.totals.deliveryRate)} of ${formatCount(c.totals.sent)})`;
}

/** "Why messages failed": the top codes with their share, meaning and advice; per number or country with a breakdown. */
export function failureLines(report: Report): string[] {
  const f = report.failures!;
  const lines = [
    `Why messages failed (${failureSource(report)}): ${formatCount(f.failed)} failed, ${formatRate(f.rate)} of the ${formatCount(f.sent)} messages the webhooks saw sent`,
    `  ${pad('code', 7)} ${pad('failed', 9, true)} ${pad('share', 5, true)}  meaning — what to do`,
  ];
  for (const c of f.byCode) {
    lines.push(
      `  ${pad(c.code ? String(c.code) : 'other', 7)} ${pad(formatCount(c.count), 9, true)} ${pad(formatRate(c.share, 0), 5, true)}  ${c.title}${c.advice ? ` — ${c.advice}` : ''}`,
    );
  }
  if (f.byScope?.items.some((i) => i.failed)) {
    lines.push(`  ${pad(f.byScope.by === 'phone' ? 'number' : 'country', 24)} ${pad('failed', 9, true)}`);
    for (const item of f.byScope.items.slice(0, MAX_BREAKDOWN)) {
      if (!item.failed) continue;
      lines.push(
        `  ${pad(breakdownLabel(f.byScope.by, item.key), 24)} ${pad(formatCount(item.failed), 9, true)} failed (${formatRate(item.rate)}), mostly ${item.topCode}`,
      );
    }
  }
  return lines;
}

/** The plain-text summary the CLI prints and the demo writes. */
export function reportText(report: Report): string {
  const lines: string[] = [];
  lines.push(`${reportTitle(report)} (${periodZone(report)})`);
  lines.push(
    `Sent ${formatCount(report.totals.sent)} · Delivered ${formatCount(report.totals.delivered)} · Delivery rate ${formatRate(report.totals.deliveryRate)} (Graph analytics)`,
  );
  for (const line of [
    comparisonLine('previous period', report.comparisons.previousPeriod),
    comparisonLine('same days a week before', report.comparisons.sameWeekdayLastWeek),
  ]) {
    if (line) lines.push(line);
  }

  lines.push('');
  if (report.anomalies.length === 0) lines.push('No anomalies.');
  else {
    lines.push(`Anomalies (${report.anomalies.length}):`);
    for (const a of report.anomalies) lines.push(`  [${a.severity}] ${a.explanation}`);
  }

  if (report.breakdown) {
    const { by, items, topMovers } = report.breakdown;
    lines.push('');
    lines.push(`By ${by === 'phone' ? 'phone number' : 'country'}:`);
    lines.push(
      `  ${pad(by === 'phone' ? 'number' : 'country', 24)} ${pad('sent', 11, true)} ${pad('delivered', 11, true)} ${pad('rate', 7, true)}  vs previous`,
    );
    for (const item of items.slice(0, MAX_BREAKDOWN)) {
      lines.push(
        `  ${pad(breakdownLabel(by, item.key), 24)} ${pad(formatCount(item.sent), 11, true)} ${pad(formatCount(item.delivered), 11, true)} ${pad(formatRate(item.deliveryRate), 7, true)}  ${formatPoints(item.change.ratePoints)}`,
      );
    }
    if (items.length > MAX_BREAKDOWN) {
      lines.push(`  … and ${items.length - MAX_BREAKDOWN} more (see --format json)`);
      // Every change is in the table's last column; movers are worth a line only for rows cut off.
      const hidden = topMovers.filter((m) => !items.slice(0, MAX_BREAKDOWN).includes(m));
      if (hidden.length)
        lines.push(`  Also moving: ${hidden.map((m) => `${breakdownLabel(by, m.key)} ${formatPoints(m.change.ratePoints)}`).join(', ')}`);
    }
  }

  if (report.failures) lines.push('', ...failureLines(report));

  lines.push('');
  const unit = report.granularity === 'half_hour' ? 'half hour' : report.granularity;
  lines.push(`Per ${unit} (${report.bucketTimezone}; * = deliveries still settling):`);
  const rows = report.series;
  const shown = rows.length > MAX_ROWS ? rows.slice(-MAX_ROWS) : rows;
  const labels = shown.map((p, i) =>
    seriesLabel(
      p,
      report.granularity,
      report.bucketTimezone,
      isWholeBucket(p, report.granularity, report.bucketTimezone),
      shown[i - 1]?.start,
    ),
  );
  const width = Math.max(16, ...labels.map((l) => l.length));
  lines.push(
    `  ${pad(report.granularity === 'half_hour' ? 'starting' : unit, width)} ${pad('sent', 11, true)} ${pad('delivered', 11, true)} ${pad('rate', 7, true)}`,
  );
  if (shown.length < rows.length) lines.push(`  … ${rows.length - shown.length} earlier buckets (see --format json)`);
  shown.forEach((p, i) => {
    lines.push(
      `  ${pad(labels[i]!, width)} ${pad(formatCount(p.sent), 11, true)} ${pad(formatCount(p.delivered), 11, true)} ${pad(formatRate(p.deliveryRate), 7, true)}${p.settled ? '' : ' *'}`,
    );
  });

  if (report.notes.length) {
    lines.push('');
    for (const note of report.notes) lines.push(`Note: ${note}`);
  }
  lines.push('');
  lines.push(freshnessLine(report));
  return `${lines.join('\n')}\n`;
}
