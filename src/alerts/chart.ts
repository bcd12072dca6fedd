import type { ChartConfiguration } from 'chart.js';
import { type Band, bandLayout } from '../charts/bands.js';
import { lineHeight } from '../charts/fontMetrics.js';
import {
  bandLabel,
  type ChartSpec,
  COLORS,
  chartScopeName,
  chartTitle,
  font,
  indexSpan,
  MIN_SENT_FOR_RATE,
  percentAxis,
  plotWidth,
  TICK_SIZE,
  titleLines,
  WIDTH,
  zeroBasedAxis,
} from '../charts/spec.js';
import { timeTickLabels } from '../charts/timeAxis.js';
import type { AlertChartData, AlertContent } from './model.js';

/** What an alert's chart band says: its main scope and figure as the alert words them, else the figure read off the chart. */
function alertBandLabel(alert: AlertContent, chart: AlertChartData, failures: boolean): string {
  const kind = failures ? 'failure_burst' : 'delivery_drop';
  const line = alert.anomalies.find(
    (l) => l.kind === kind && l.observed !== undefined && l.scope?.label.toLowerCase() === chart.label.toLowerCase(),
  );
  if (line?.scope && line.observed !== undefined) return bandLabel(kind, chartScopeName(line.scope), line.observed);
  let sent = 0;
  let weighted = 0;
  for (const p of chart.points) {
    if (p.start >= chart.badStart && p.start < chart.badEnd && p.rate !== null) {
      sent += p.sent;
      weighted += p.rate * p.sent;
    }
  }
  return sent > 0 ? bandLabel(kind, chart.label, weighted / sent) : chart.label;
}

/**
 * An alert's small chart: its main scope over the last hours against what was expected — the
 * delivery rate by half hour (Graph), or the share failing in 5-minute windows (status webhooks) —
 * the bad stretch shaded and labelled with its scope and figure.
 */
export function alertChartSpec(alert: AlertContent): ChartSpec | undefined {
  const chart = alert.chart;
  if (!chart || chart.points.length < 2) return undefined;
  const failures = chart.measure === 'failures';
  const bucket = failures ? 60 : 1800;
  const tz = alert.timezone;
  const pct = (r: number | null) => (r === null ? null : Number((r * 100).toFixed(2)));
  const rates = chart.points.map((p) => (!failures && p.sent < MIN_SENT_FOR_RATE ? null : pct(p.rate)));
  const expected = chart.points.map((p) => pct(p.expected));
  const values = [...rates, ...expected].filter((v): v is number => v !== null);
  // Delivery rates near 100% need the top of the axis; failure rates near 0 its bottom.
  const y = failures ? zeroBasedAxis(Math.max(10, ...values) * 1.15) : percentAxis(Math.min(90, ...values));
  const starts = chart.points.map((p) => p.start);
  // A line chart: its last tick label stands out past the plot, with no axis on the right to cover it.
  const plot = plotWidth({ padding: 28, axes: [String(y.max)], overhang: 56 });
  const span = indexSpan(starts, () => bucket, chart.badStart, chart.badEnd);
  const bands: Band[] = span ? [{ first: span[0], last: span[1], tone: 'critical', label: alertBandLabel(alert, chart, failures) }] : [];
  const strip = bandLayout(bands, { buckets: starts.length, offset: false, width: plot, yScaleID: 'y', top: y.max });
  const title = titleLines([`${chart.label}:`, failures ? 'messages failing (5-minute windows)' : 'delivery rate'], ' ', 22, 'bold', WIDTH);
  const config: ChartConfiguration = {
    type: 'line',
    data: {
      labels: timeTickLabels(starts, bucket, tz, plot / Math.max(1, starts.length - 1), TICK_SIZE),
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
        title: chartTitle(title, 22, { top: 10, bottom: 10 + strip.height }),
        legend: { position: 'bottom', labels: { font: font(18), color: COLORS.text, boxWidth: 20 } },
        annotation: { clip: false, annotations: strip.annotations },
      },
      scales: {
        x: { ticks: { font: font(TICK_SIZE), color: COLORS.text, maxRotation: 0, autoSkip: false }, grid: { display: false } },
        y: {
          min: y.min,
          max: y.max,
          ticks: { font: font(TICK_SIZE), color: COLORS.text, stepSize: y.stepSize },
          grid: { color: COLORS.grid },
        },
      },
    },
  };
  return {
    width: WIDTH,
    height: Math.round(380 + (title.length - 1) * lineHeight(22) + strip.height),
    altText: failures
      ? `${chart.label}: share of messages failing over the last hour, in 5-minute windows, against the usual share`
      : `${chart.label}: delivery rate over the last ${Math.round(chart.points.length / 2)} hours against what was expected`,
    config,
  };
}
