import type { ChartConfiguration } from 'chart.js';
import type { AnomalyScope } from '../analytics/anomalies.js';
import { bucketLabel, formatCount, formatRange, formatRate, periodZone } from '../report/format.js';
import type { Report } from '../report/model.js';
import type { AnomalyKind } from '../vocabulary/anomalyKinds.js';
import { failureMeaning } from '../vocabulary/failureCodes.js';
import { BAND_COLORS, type Band, bandLayout } from './bands.js';
import { CHART_FONT, lineHeight, packLines, textWidth } from './fontMetrics.js';
import { timeTickLabels } from './timeAxis.js';

/**
 * One chart description for both renderers: plain JSON (no callbacks), so QuickChart can take
 * it as it is and the local renderer draws the same thing. Sent and delivered are overlaid bars
 * on a count axis, the delivery rate a line on a percent axis; anomalies are shaded boxes,
 * buckets still settling a grey one. Sized and lettered to stay legible as a Slack thumbnail.
 */
export interface ChartSpec {
  width: number;
  height: number;
  /** What the image shows, for alt text. */
  altText: string;
  config: ChartConfiguration;
}

// Drawn for where it is shown: a Slack or Teams card shows it about 420 px wide, so at 800 px
// every letter of at least 18 px stays at least 9 px tall on screen (8 px reads as a smudge).
export const WIDTH = 800;
export const MIN_SENT_FOR_RATE = 20;
export const HEIGHT = 500;
export const CHART_DISPLAY_WIDTH = 420;
export const COLORS = {
  sent: '#b8cde4',
  delivered: '#1f9d55',
  rate: '#0b3d91',
  criticalText: BAND_COLORS.critical.text,
  grid: '#e5e7eb',
  text: '#111827',
};
export const TICK_SIZE = 18;
export const TITLE_SIZE = 24;
export const SUBTITLE_SIZE = 19;

/** A bar's label cut short rather than crowding the bars out. */
export function clipLabel(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A chart's title: one line or several (a long title wrapped), bold, in the text colour. */
export function chartTitle(title: readonly string[], size: number, padding?: { top: number; bottom: number }) {
  return {
    display: true,
    text: title.length > 1 ? [...title] : title[0]!,
    color: COLORS.text,
    font: font(size, 'bold'),
    ...(padding ? { padding } : {}),
  };
}

export function font(size: number, weight: 'normal' | 'bold' = 'normal') {
  return { family: CHART_FONT, size, weight };
}

/** Lines of a title or subtitle: on one line when it fits the canvas, else a line per part. */
export function titleLines(parts: readonly string[], separator: string, size: number, weight: 'normal' | 'bold', width: number): string[] {
  return packLines(parts, separator, width - 40, size, weight);
}

/**
 * How wide Chart.js will make the plot, never overestimated: the canvas less its padding and
 * each value axis (ticks, tick marks, title), and what an end tick label may stick out.
 */
export function plotWidth(options: { padding: number; axes: string[]; overhang?: number }): number {
  const axis = (widest: string) => textWidth(widest, TICK_SIZE) + 3 + 8 + lineHeight(TICK_SIZE) + 8 + 6;
  return WIDTH - options.padding - options.axes.reduce((sum, widest) => sum + axis(widest), 0) - (options.overhang ?? 0);
}

/** A percent axis from just under the lowest value to 100, its ticks on round steps (Chart.js adds an odd minimum as a tick of its own, crowding the next). */
export function percentAxis(lowest: number): { min: number; max: number; stepSize: number } {
  const floor = Math.max(0, Math.min(lowest, 90) - 2);
  const span = 100 - floor;
  const stepSize = span <= 10 ? 2 : span <= 25 ? 5 : span <= 50 ? 10 : 20;
  return { min: Math.floor(floor / stepSize) * stepSize, max: 100, stepSize };
}

/** An axis from 0 to just over the highest value, in at most five round steps. */
export function zeroBasedAxis(highest: number): { min: number; max: number; stepSize: number } {
  const stepSize = [1, 2, 5, 10, 20, 25, 50].find((step) => highest / step <= 5) ?? 100;
  return { min: 0, max: Math.max(stepSize, Math.ceil(highest / stepSize) * stepSize), stepSize };
}

/** Index range of the series buckets an interval covers. */
export function indexSpan(
  starts: readonly number[],
  bucketSeconds: (i: number) => number,
  start: number,
  end: number,
): [number, number] | undefined {
  const first = starts.findIndex((s, i) => s + bucketSeconds(i) > start);
  let last = -1;
  starts.forEach((s, i) => {
    if (s < end) last = i;
  });
  return first >= 0 && last >= first ? [first, last] : undefined;
}

/** How a chart names a scope: "+1 631 555 1000", "India", "All traffic". */
export function chartScopeName(scope: Pick<AnomalyScope, 'kind' | 'label'>): string {
  const country = /^[A-Z]{2} \((.+)\)$/.exec(scope.label);
  if (country && scope.kind === 'country') return country[1]!;
  return scope.label.replace(/^./, (c) => c.toUpperCase());
}

/** What a band shows, with its scope and figure: "+1 631 555 1000 ▼ 75%", "India ▲ 21% failing". */
export function bandLabel(kind: AnomalyKind, scope: string, observed: number): string {
  if (kind === 'delivery_drop') return `${scope} ▼ ${formatRate(observed, 0)}`;
  if (kind === 'failure_burst') return `${scope} ▲ ${formatRate(observed, 0)} failing`;
  if (kind === 'volume_drop') return observed < 1 ? `${scope} stopped sending` : `${scope} sending ▼ ${formatCount(observed)}`;
  return `${scope} sending ▲ ${formatCount(observed)}`;
}

/** What a chart of a report calls its series and says in its title, when not a report's own. */
export interface ChartView {
  /** Parts of the title: on one line when they fit, else one line each. */
  title?: { parts: string[]; separator: string };
  series?: { sent: string; delivered: string; rate: string };
}

const REPORT_SERIES = { sent: 'Sent', delivered: 'Delivered', rate: 'Delivery rate %' };

/** A report's rate line over its delivered and sent bars. */
function reportDatasets(report: Report, names: typeof REPORT_SERIES, rates: Array<number | null>): ChartConfiguration['data']['datasets'] {
  const many = report.series.length > 60;
  return [
    {
      type: 'line',
      label: names.rate,
      data: rates,
      yAxisID: 'rate',
      borderColor: COLORS.rate,
      backgroundColor: COLORS.rate,
      borderWidth: 3,
      pointRadius: many ? 0 : 2,
      tension: 0.2,
      spanGaps: true,
      order: 0,
    },
    {
      type: 'bar',
      label: names.delivered,
      data: report.series.map((p) => p.delivered),
      yAxisID: 'y',
      backgroundColor: COLORS.delivered,
      grouped: false,
      barPercentage: 0.6,
      categoryPercentage: 0.95,
      order: 1,
    },
    {
      type: 'bar',
      label: names.sent,
      data: report.series.map((p) => p.sent),
      yAxisID: 'y',
      backgroundColor: COLORS.sent,
      grouped: false,
      barPercentage: 0.95,
      categoryPercentage: 0.95,
      order: 2,
    },
  ];
}

/** Messages on the left, the rate (on round steps) on the right, time below. */
function reportScales(halfHours: boolean, rateAxis: ReturnType<typeof percentAxis>): NonNullable<ChartConfiguration['options']>['scales'] {
  return {
    x: {
      ticks: { font: font(TICK_SIZE), color: COLORS.text, maxRotation: 0, autoSkip: !halfHours, autoSkipPadding: 16 },
      grid: { display: false },
    },
    y: {
      position: 'left',
      beginAtZero: true,
      title: { display: true, text: 'Messages', font: font(18), color: COLORS.text },
      ticks: { font: font(TICK_SIZE), color: COLORS.text, maxTicksLimit: 5 },
      grid: { color: COLORS.grid },
    },
    rate: {
      position: 'right',
      min: rateAxis.min,
      max: rateAxis.max,
      title: { display: true, text: 'Rate %', font: font(18), color: COLORS.rate },
      ticks: { font: font(TICK_SIZE), color: COLORS.rate, stepSize: rateAxis.stepSize },
      grid: { drawOnChartArea: false },
    },
  };
}

export function chartSpec(report: Report, view: ChartView = {}): ChartSpec {
  const tz = report.bucketTimezone;
  const names = view.series ?? REPORT_SERIES;
  const starts = report.series.map((p) => p.start);
  // A rate from a handful of messages is noise that would dominate the line, and one whose
  // deliveries are still arriving would show a drop that is not there: both are left off.
  const rates = report.series.map((p) =>
    p.deliveryRate === null || p.sent < MIN_SENT_FOR_RATE || !p.settled ? null : Number((p.deliveryRate * 100).toFixed(2)),
  );
  const defined = rates.filter((r): r is number => r !== null);
  const rateAxis = percentAxis(defined.length ? Math.min(...defined) : 90);
  const highest = Math.max(1, ...report.series.map((p) => p.sent));
  const plot = plotWidth({ padding: 24, axes: [formatCount(highest * 1.25), '100'] });
  const buckets = report.series.length;

  const bands: Band[] = [];
  const lengthOf = (i: number) => report.series[i]!.end - report.series[i]!.start;
  for (const a of report.anomalies) {
    const span = indexSpan(starts, lengthOf, a.start, a.end);
    if (span)
      bands.push({ first: span[0], last: span[1], tone: a.severity, label: bandLabel(a.kind, chartScopeName(a.scope), a.observed) });
  }
  const settling = report.series.map((p, i) => (!p.settled && p.sent > 0 ? i : -1)).filter((i) => i >= 0);
  if (settling.length) bands.push({ first: settling[0]!, last: settling[settling.length - 1]!, tone: 'settling', label: 'settling' });
  // Above the plot, the key may also use what the rate axis leaves free at its top.
  const strip = bandLayout(bands, { buckets, offset: true, width: plot, keyWidth: plot + 60, yScaleID: 'rate', top: rateAxis.max });

  const halfHours = report.granularity === 'half_hour';
  const labels = halfHours
    ? timeTickLabels(starts, 1800, tz, plot / Math.max(1, buckets), TICK_SIZE)
    : report.series.map((p, i) => bucketLabel(p.start, report.granularity, tz, i > 0 ? report.series[i - 1]!.start : undefined));

  const t = report.totals;
  const title = titleLines(
    view.title?.parts ?? [report.account.displayName, `WhatsApp delivery, ${formatRange(report.range, periodZone(report))}`],
    view.title?.separator ?? ' — ',
    TITLE_SIZE,
    'bold',
    WIDTH,
  );
  const subtitle = titleLines(
    [`${names.sent} ${formatCount(t.sent)}`, `${names.delivered} ${formatCount(t.delivered)}`, `Rate ${formatRate(t.deliveryRate)}`, tz],
    ' · ',
    SUBTITLE_SIZE,
    'normal',
    WIDTH,
  );
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels,
      datasets: reportDatasets(report, names, rates),
    },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { left: 12, right: 12, top: 4, bottom: 8 } },
      plugins: {
        title: chartTitle(title, TITLE_SIZE, { top: 8, bottom: 4 }),
        // The band labels' strip lies between the subtitle and the plot.
        subtitle: {
          display: true,
          text: subtitle.length > 1 ? subtitle : subtitle[0]!,
          color: '#374151',
          font: font(SUBTITLE_SIZE),
          padding: { bottom: 8 + strip.height },
        },
        legend: { position: 'bottom', labels: { font: font(18), color: COLORS.text, boxWidth: 20 } },
        annotation: { clip: false, annotations: strip.annotations },
      },
      scales: reportScales(halfHours, rateAxis),
    },
  };
  const worst = report.anomalies[0];
  return {
    width: WIDTH,
    height: Math.round(
      HEIGHT + (title.length - 1) * lineHeight(TITLE_SIZE) + (subtitle.length - 1) * lineHeight(SUBTITLE_SIZE) + strip.height,
    ),
    altText: `${report.account.displayName}: ${formatRate(t.deliveryRate)} of ${formatCount(t.sent)} messages delivered, ${formatRange(report.range, periodZone(report))}${worst ? `. ${worst.explanation}` : ''}`,
    config,
  };
}

/** Why messages failed, as bars: the top codes by count, each labelled with what it means. */
export function failureChartSpec(report: Report): ChartSpec | undefined {
  const f = report.failures;
  if (!f || f.failed === 0) return undefined;
  const codes = f.byCode.slice(0, 6);
  const title = titleLines(['Why messages failed:', `${formatCount(f.failed)} (${formatRate(f.rate)} of sent)`], ' ', 22, 'bold', WIDTH);
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: codes.map((c) => (c.code ? `${c.code} ${clipLabel(failureMeaning(c.code).short ?? c.title, 28)}` : clipLabel(c.title, 36))),
      datasets: [{ label: 'Failed messages', data: codes.map((c) => c.count), backgroundColor: COLORS.criticalText }],
    },
    options: {
      indexAxis: 'y',
      responsive: false,
      animation: false,
      layout: { padding: { left: 12, right: 24, top: 4, bottom: 8 } },
      plugins: {
        title: chartTitle(title, 22),
        legend: { display: false },
      },
      scales: {
        x: { beginAtZero: true, ticks: { font: font(18), color: COLORS.text, maxTicksLimit: 5 }, grid: { color: COLORS.grid } },
        y: { ticks: { font: font(18), color: COLORS.text }, grid: { display: false } },
      },
    },
  };
  return {
    width: WIDTH,
    height: Math.round(120 + (title.length - 1) * lineHeight(22) + codes.length * 56),
    altText: `Why messages failed: ${codes.map((c) => `${c.code || 'other'} ${c.count}`).join(', ')}`,
    config,
  };
}

/** The smallest font a spec draws with (px): what a test holds to the display size. */
export function smallestFont(spec: ChartSpec): number {
  let smallest = Number.POSITIVE_INFINITY;
  const visit = (value: unknown, key: string) => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v, key);
    } else if (value && typeof value === 'object') {
      const size = key === 'font' ? (value as { size?: unknown }).size : undefined;
      if (typeof size === 'number') smallest = Math.min(smallest, size);
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  visit(spec.config, '');
  return smallest;
}
