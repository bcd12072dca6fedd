import type { ChartConfiguration } from 'chart.js';
import type { Anomaly } from '../analytics/anomalies.js';
import type { AlertContent } from '../chat/surface.js';
import { bucketLabel, formatCount, formatRange, formatRate, reportTitle } from '../report/format.js';
import type { Report } from '../report/model.js';
import { failureMeaning } from '../whatsapp/failureCodes.js';

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

export const CHART_FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
// Drawn for where it is shown: a Slack or Teams card shows it about 420 px wide, so at 800 px
// every letter of at least 18 px stays at least 9 px tall on screen (8 px reads as a smudge).
const WIDTH = 800;
const MIN_SENT_FOR_RATE = 20;
const HEIGHT = 500;
export const CHART_DISPLAY_WIDTH = 420;
const COLORS = {
  sent: '#b8cde4',
  delivered: '#1f9d55',
  rate: '#0b3d91',
  critical: 'rgba(220, 38, 38, 0.16)',
  criticalText: '#b91c1c',
  warning: 'rgba(245, 158, 11, 0.18)',
  warningText: '#b45309',
  settling: 'rgba(100, 116, 139, 0.14)',
  grid: '#e5e7eb',
  text: '#111827',
};

/** Chart.js does not wrap titles: a long account name is cut rather than drawn off the edge. */
function clipLabel(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function font(size: number, weight: 'normal' | 'bold' = 'normal') {
  return { family: CHART_FONT, size, weight };
}

/** Index range of the series buckets an interval covers. */
function indexSpan(report: Report, start: number, end: number): [number, number] | undefined {
  const first = report.series.findIndex((p) => p.end > start);
  let last = -1;
  report.series.forEach((p, i) => {
    if (p.start < end) last = i;
  });
  return first >= 0 && last >= first ? [first, last] : undefined;
}

function anomalyTag(a: Anomaly): string {
  // Short: the list beside the chart says where; a long label would cover the next stretch.
  if (a.kind === 'delivery_drop') return `▼ ${formatRate(a.observed, 0)}`;
  if (a.kind === 'volume_drop') return 'sending ▼';
  return 'sending ▲';
}

export function chartSpec(report: Report): ChartSpec {
  const tz = report.bucketTimezone;
  const labels = report.series.map((p, i) => bucketLabel(p.start, report.granularity, tz, i > 0 ? report.series[i - 1]!.start : undefined));
  // A rate from a handful of messages is noise that would dominate the line: leave those out.
  const rates = report.series.map((p) =>
    p.deliveryRate === null || p.sent < MIN_SENT_FOR_RATE ? null : Number((p.deliveryRate * 100).toFixed(2)),
  );
  const defined = rates.filter((r): r is number => r !== null);
  const lowest = defined.length ? Math.min(...defined) : 90;
  const rateMin = Math.max(0, Math.floor((Math.min(lowest, 90) - 2) / 5) * 5);
  const many = report.series.length > 60;

  const annotations: Record<string, object> = {};
  // One label per stretch of time, the worst first: labels of overlapping anomalies would pile up.
  const labelled: Array<[number, number]> = [];
  report.anomalies.forEach((a, i) => {
    const span = indexSpan(report, a.start, a.end);
    if (!span) return;
    const critical = a.severity === 'critical';
    // A label is wider than a few buckets: keep labelled stretches that far apart.
    const room = Math.max(3, Math.round(report.series.length / 8));
    const free = !labelled.some(([from, to]) => span[0] <= to + room && from - room <= span[1]);
    if (free) labelled.push(span);
    annotations[`anomaly${i}`] = {
      type: 'box',
      xMin: span[0] - 0.5,
      xMax: span[1] + 0.5,
      backgroundColor: critical ? COLORS.critical : COLORS.warning,
      borderWidth: 0,
      label: {
        display: free,
        content: anomalyTag(a),
        position: { x: 'center', y: 'start' },
        yAdjust: 6,
        color: critical ? COLORS.criticalText : COLORS.warningText,
        backgroundColor: 'rgba(255, 255, 255, 0.85)',
        font: font(18, 'bold'),
      },
    };
  });
  const settling = report.series.map((p, i) => (!p.settled && p.sent > 0 ? i : -1)).filter((i) => i >= 0);
  if (settling.length) {
    annotations.settling = {
      type: 'box',
      xMin: settling[0]! - 0.5,
      xMax: settling[settling.length - 1]! + 0.5,
      backgroundColor: COLORS.settling,
      borderWidth: 0,
      label: { display: true, content: 'settling', position: { x: 'center', y: 'end' }, color: '#475569', font: font(18) },
    };
  }

  const t = report.totals;
  const subtitle = `Sent ${formatCount(t.sent)} · Delivered ${formatCount(t.delivered)} · Rate ${formatRate(t.deliveryRate)} · ${tz}`;
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          type: 'line',
          label: 'Delivery rate %',
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
          label: 'Delivered',
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
          label: 'Sent',
          data: report.series.map((p) => p.sent),
          yAxisID: 'y',
          backgroundColor: COLORS.sent,
          grouped: false,
          barPercentage: 0.95,
          categoryPercentage: 0.95,
          order: 2,
        },
      ],
    },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { left: 12, right: 12, top: 4, bottom: 8 } },
      plugins: {
        title: {
          display: true,
          text: clipLabel(reportTitle(report), 56),
          color: COLORS.text,
          font: font(24, 'bold'),
          padding: { top: 8, bottom: 4 },
        },
        subtitle: { display: true, text: subtitle, color: '#374151', font: font(19), padding: { bottom: 8 } },
        legend: { position: 'bottom', labels: { font: font(18), color: COLORS.text, boxWidth: 20 } },
        annotation: { annotations },
      },
      scales: {
        x: { ticks: { font: font(18), color: COLORS.text, maxRotation: 0, autoSkip: true, autoSkipPadding: 16 }, grid: { display: false } },
        y: {
          position: 'left',
          beginAtZero: true,
          title: { display: true, text: 'Messages', font: font(18), color: COLORS.text },
          ticks: { font: font(18), color: COLORS.text, maxTicksLimit: 5 },
          grid: { color: COLORS.grid },
        },
        rate: {
          position: 'right',
          min: rateMin,
          max: 100,
          title: { display: true, text: 'Rate %', font: font(18), color: COLORS.rate },
          ticks: { font: font(18), color: COLORS.rate, maxTicksLimit: 5 },
          grid: { drawOnChartArea: false },
        },
      },
    },
  };
  const worst = report.anomalies[0];
  return {
    width: WIDTH,
    height: HEIGHT,
    altText: `${report.account.displayName}: ${formatRate(t.deliveryRate)} of ${formatCount(t.sent)} messages delivered, ${formatRange(report.range, report.range.timezone)}${worst ? `. ${worst.explanation}` : ''}`,
    config,
  };
}

/**
 * An alert's small chart: its main scope over the last hours against what was expected — the
 * delivery rate by half hour (Graph), or the share failing in 5-minute windows (status webhooks) —
 * the bad stretch shaded.
 */
export function alertChartSpec(alert: AlertContent): ChartSpec | undefined {
  const chart = alert.chart;
  if (!chart || chart.points.length < 2) return undefined;
  const failures = chart.measure === 'failures';
  const bucket = failures ? 60 : 1800;
  const tz = alert.timezone;
  const labels = chart.points.map((p, i) => bucketLabel(p.start, 'half_hour', tz, i > 0 ? chart.points[i - 1]!.start : undefined));
  const pct = (r: number | null) => (r === null ? null : Number((r * 100).toFixed(2)));
  const rates = chart.points.map((p) => (!failures && p.sent < MIN_SENT_FOR_RATE ? null : pct(p.rate)));
  const expected = chart.points.map((p) => pct(p.expected));
  const values = [...rates, ...expected].filter((v): v is number => v !== null);
  // Delivery rates near 100% need the top of the axis; failure rates near 0 its bottom.
  const y = failures
    ? { min: 0, max: Math.ceil((Math.max(10, ...values) * 1.15) / 5) * 5 }
    : { min: Math.max(0, Math.floor((Math.min(90, ...values) - 2) / 5) * 5), max: 100 };
  const first = chart.points.findIndex((p) => p.start + bucket > chart.badStart);
  let last = -1;
  chart.points.forEach((p, i) => {
    if (p.start < chart.badEnd) last = i;
  });
  const annotations: Record<string, object> =
    first >= 0 && last >= first
      ? { bad: { type: 'box', xMin: first - 0.5, xMax: last + 0.5, backgroundColor: COLORS.critical, borderWidth: 0 } }
      : {};
  const config: ChartConfiguration = {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: failures ? 'Failed %' : 'Delivery rate %',
          data: rates,
          borderColor: COLORS.criticalText,
          backgroundColor: COLORS.criticalText,
          borderWidth: 3,
          pointRadius: failures ? 0 : 2,
          spanGaps: true,
        },
        {
          label: failures ? 'Usual %' : 'Expected %',
          data: expected,
          borderColor: COLORS.rate,
          backgroundColor: COLORS.rate,
          borderDash: [8, 6],
          borderWidth: 2,
          pointRadius: 0,
          spanGaps: true,
        },
      ],
    },
    options: {
      responsive: false,
      animation: false,
      layout: { padding: { left: 12, right: 16, top: 4, bottom: 8 } },
      plugins: {
        title: {
          display: true,
          text: clipLabel(`${chart.label}: ${failures ? 'messages failing (5-minute windows)' : 'delivery rate'}`, 56),
          color: COLORS.text,
          font: font(22, 'bold'),
        },
        legend: { position: 'bottom', labels: { font: font(18), color: COLORS.text, boxWidth: 20 } },
        annotation: { annotations },
      },
      scales: {
        x: {
          ticks: { font: font(18), color: COLORS.text, maxRotation: 0, autoSkip: true, autoSkipPadding: failures ? 24 : 16 },
          grid: { display: false },
        },
        y: { ...y, ticks: { font: font(18), color: COLORS.text, maxTicksLimit: 5 }, grid: { color: COLORS.grid } },
      },
    },
  };
  return {
    width: WIDTH,
    height: 380,
    altText: failures
      ? `${chart.label}: share of messages failing over the last hour, in 5-minute windows, against the usual share`
      : `${chart.label}: delivery rate over the last ${Math.round(chart.points.length / 2)} hours against what was expected`,
    config,
  };
}

/** Why messages failed, as bars: the top codes by count, each labelled with what it means. */
export function failureChartSpec(report: Report): ChartSpec | undefined {
  const f = report.failures;
  if (!f || f.failed === 0) return undefined;
  const codes = f.byCode.slice(0, 6);
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
        title: {
          display: true,
          text: clipLabel(`Why messages failed: ${formatCount(f.failed)} (${formatRate(f.rate)} of sent)`, 56),
          color: COLORS.text,
          font: font(22, 'bold'),
        },
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
    height: 120 + codes.length * 56,
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
