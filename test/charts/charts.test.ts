import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { BacktestResult } from '../../src/alerts/backtest/run.js';
import type { Anomaly } from '../../src/analytics/anomalies.js';
import { LocalChartRenderer, QuickChartRenderer } from '../../src/charts/render.js';
import { type ChartSpec, chartSpec } from '../../src/charts/spec.js';
import { backtestChartSpec } from '../../src/cli/backtest.js';
import { buildReport } from '../../src/report/build.js';
import { bucketLabel } from '../../src/report/format.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { chartLegibility } from '../render/legibility.js';

const TZ = 'Europe/Berlin';
const start = Date.UTC(2026, 10, 16, 23) / 1000; // Tue 17 Nov 00:00 Berlin
function report(days: number, halfHourly = false) {
  const step = halfHourly ? 1800 : 86_400;
  const points: DataPoint[] = [];
  for (let i = 0, t = start - 14 * 86_400; t < start + days * step; t += step, i++) {
    const sent = 1000 + (i % 7) * 50;
    const drop = t === start + (days - 2) * step;
    points.push({ start: t, end: t + step, sent, delivered: Math.round(sent * (drop ? 0.7 : 0.97)) });
  }
  return buildReport({
    account: { id: '123456789012345', name: 'acme', displayName: 'Acme Retail' },
    range: { start, end: start + days * step },
    timezone: TZ,
    granularity: halfHourly ? 'half_hour' : 'day',
    nowMs: (start + 40 * 86_400) * 1000,
    settleMs: 7_200_000,
    points,
  });
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('chart spec', () => {
  it('draws sent and delivered as bars, the rate as a percent line, anomalies as boxes', () => {
    const r = report(7);
    expect(r.anomalies.length).toBeGreaterThan(0);
    const spec = chartSpec(r);
    const datasets = spec.config.data.datasets;
    expect(datasets.map((d) => [d.label, d.type])).toEqual([
      ['Delivery rate %', 'line'],
      ['Delivered', 'bar'],
      ['Sent', 'bar'],
    ]);
    expect(datasets[2]!.data).toEqual(r.series.map((p) => p.sent));
    expect(datasets[0]!.data[5]).toBeCloseTo(70, 0);
    expect(spec.config.data.labels![0]).toBe('Tue 17 Nov');
    const annotations = (spec.config.options!.plugins as { annotation: { annotations: Record<string, { xMin: number; xMax: number }> } })
      .annotation.annotations;
    expect(annotations.band0).toMatchObject({ type: 'box', xMin: 4.5, xMax: 5.5 });
    expect((spec.config.options!.plugins!.title as { text: string }).text).toBe('Acme Retail — WhatsApp delivery, 17–23 Nov 2026');
    // Plain JSON: what QuickChart receives is what the local renderer draws.
    expect(JSON.parse(JSON.stringify(spec.config))).toEqual(spec.config);
  });
});

describe('renderers', () => {
  it('renders a valid PNG of the spec size locally', async () => {
    const spec = chartSpec(report(7));
    const out = await new LocalChartRenderer().render(spec);
    expect(out.kind).toBe('png');
    if (out.kind !== 'png') return;
    expect(pngSize(out.png)).toEqual({ width: spec.width, height: spec.height });
    expect(out.png.length).toBeGreaterThan(20_000); // drawn, not blank
  });

  it('puts the same chart config into the QuickChart URL', async () => {
    const spec = chartSpec(report(7));
    const renderer = new QuickChartRenderer('https://charts.example.test', 100_000);
    const out = await renderer.render(spec);
    expect(out.kind).toBe('url');
    if (out.kind !== 'url') return;
    const url = new URL(out.url);
    expect(url.host).toBe('charts.example.test');
    expect(url.pathname).toBe('/chart');
    expect(url.searchParams.get('w')).toBe(String(spec.width));
    expect(url.searchParams.get('h')).toBe(String(spec.height));
    expect(url.searchParams.get('v')).toBe('4');
    expect(url.searchParams.get('bkg')).toBe('white');
    expect(JSON.parse(url.searchParams.get('c')!)).toEqual(spec.config);
  });

  it('fetches the PNG from QuickChart with a POST when the URL would be too long for a chat image', async () => {
    const bodies: unknown[] = [];
    const png = await new LocalChartRenderer().render(chartSpec(report(3)));
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        bodies.push({ method: req.method, path: req.url, body: JSON.parse(text) });
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(png.kind === 'png' ? png.png : '');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const spec = chartSpec(report(48, true));
      const renderer = new QuickChartRenderer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      expect(renderer.url(spec).length).toBeGreaterThan(3000);
      const out = await renderer.render(spec);
      expect(out.kind).toBe('png');
      const seen = bodies[0] as { method: string; path: string; body: { chart: string; width: number; version: string } };
      expect(seen.method).toBe('POST');
      expect(seen.path).toBe('/chart');
      expect(JSON.parse(seen.body.chart)).toEqual(spec.config);
      expect(seen.body.width).toBe(spec.width);
      expect(seen.body.version).toBe('4');
    } finally {
      server.close();
    }
  });

  it('says which QuickChart failed when it cannot render', async () => {
    const renderer = new QuickChartRenderer('http://127.0.0.1:1', 10);
    await expect(renderer.render(chartSpec(report(7)))).rejects.toThrow(/QuickChart at 127\.0\.0\.1:1 could not render the chart/);
  });
});

const DAY = 86_400;

/** `days` days by half hour, delivering 97% at a steady rate. */
function halfHours(days: number) {
  const points: DataPoint[] = [];
  for (let t = start - 14 * DAY; t < start + days * DAY; t += 1800) points.push({ start: t, end: t + 1800, sent: 1000, delivered: 970 });
  return buildReport({
    account: { id: '123456789012345', name: 'acme', displayName: 'Acme Retail' },
    range: { start, end: start + days * DAY },
    timezone: TZ,
    granularity: 'half_hour',
    nowMs: (start + 40 * DAY) * 1000,
    settleMs: 7_200_000,
    points,
  });
}

function anomaly(over: Partial<Anomaly> & Pick<Anomaly, 'start' | 'end' | 'scope'>): Anomaly {
  return {
    kind: 'delivery_drop',
    detectedAt: over.end,
    observed: 0.8,
    expected: 0.96,
    expectedLow: 0.93,
    expectedHigh: 0.99,
    severity: 'critical',
    sent: 1000,
    delivered: 800,
    explanation: 'a drop',
    ...over,
  };
}

const annotationsOf = (spec: ChartSpec) =>
  (spec.config.options!.plugins as { annotation: { annotations: Record<string, Record<string, unknown>> } }).annotation.annotations;

/** A chart judged as a person would look at it: by its drawn layout. */
async function legible(spec: ChartSpec, buckets?: { starts: number[]; timezone: string }) {
  return chartLegibility({ name: 'chart', spec, buckets });
}

describe('bands that say what and where', () => {
  it("name each band's scope and figure above the plot, clear of the line: a country's drop is India's, not the account's", async () => {
    const r = report(7);
    const day = (i: number) => start + i * DAY;
    r.anomalies = [
      anomaly({
        scope: { kind: 'country', key: 'IN', label: 'IN (India)' },
        start: day(6),
        end: day(7),
        observed: 0.88,
        severity: 'warning',
      }),
      anomaly({ scope: { kind: 'phone', key: '16315551000', label: '+1 631 555 1000' }, start: day(1), end: day(2), observed: 0.724 }),
    ];
    const { problems, layout } = await legible(chartSpec(r), { starts: r.series.map((p) => p.start), timezone: TZ });
    expect(problems).toEqual([]);
    expect(layout.labels.map((l) => l.text).sort()).toEqual(['+1 631 555 1000 ▼ 72%', 'India ▼ 88%']);
    for (const label of layout.labels) expect(label.bottom).toBeLessThanOrEqual(layout.plot.top);
    const india = layout.labels.find((l) => l.text.startsWith('India'))!;
    const band = layout.bands.find((b) => b.left > layout.plot.left + (layout.plot.right - layout.plot.left) / 2)!;
    expect(india.right).toBeGreaterThan(band.left);
    expect(india.left).toBeLessThan(band.right);
  });

  it('name what happened to sending, and failures, with their scope', async () => {
    const r = halfHours(2);
    const h = (hours: number) => start + hours * 3600;
    r.anomalies = [
      anomaly({
        kind: 'volume_drop',
        scope: { kind: 'phone', key: '4930555101', label: '+49 30 555101' },
        start: h(2),
        end: h(7),
        observed: 0,
      }),
      anomaly({
        kind: 'volume_spike',
        scope: { kind: 'account', key: null, label: 'all traffic' },
        start: h(26),
        end: h(28),
        observed: 270,
      }),
      anomaly({
        kind: 'failure_burst',
        scope: { kind: 'phone', key: '16315551000', label: '+1 631 555 1000' },
        start: h(40),
        end: h(41),
        observed: 0.207,
      }),
    ];
    const { problems, layout } = await legible(chartSpec(r), { starts: r.series.map((p) => p.start), timezone: TZ });
    expect(problems).toEqual([]);
    // Too wide to stand side by side over two days: numbered, and the key says what each is.
    expect(layout.labels.filter((l) => l.id.endsWith('-key')).map((l) => l.text)).toEqual([
      '+49 30 555101 stopped sending',
      'All traffic sending ▲ 270',
      '+1 631 555 1000 ▲ 21% failing',
    ]);
  });

  it('stack the labels of bands at the same time, and number bands too close to label side by side, with a key', async () => {
    const r = halfHours(2);
    const h = (hours: number) => start + hours * 3600;
    const phone = { kind: 'phone' as const, key: '16315551000', label: '+1 631 555 1000' };
    const all = { kind: 'account' as const, key: null, label: 'all traffic' };
    // Two scopes at 13:00–17:30: one place, stacked.
    r.anomalies = [
      anomaly({ scope: phone, start: h(13), end: h(17.5), observed: 0.72 }),
      anomaly({ scope: all, start: h(13), end: h(17.5), observed: 0.86 }),
    ];
    const stacked = await legible(chartSpec(r));
    expect(stacked.problems).toEqual([]);
    expect(stacked.layout.labels.map((l) => l.text)).toEqual(['+1 631 555 1000 ▼ 72%', 'All traffic ▼ 86%']);
    const [top, under] = stacked.layout.labels;
    expect(top!.bottom).toBeLessThanOrEqual(under!.top);

    // A band every four hours: too close for their labels, so numbered.
    r.anomalies = [1, 5, 9, 13, 17, 21].map((hour, i) =>
      anomaly({
        scope: i % 2 ? all : phone,
        start: h(hour),
        end: h(hour + 1),
        observed: 0.8 - i / 100,
        severity: i % 2 ? 'warning' : 'critical',
      }),
    );
    const numbered = await legible(chartSpec(r));
    expect(numbered.problems).toEqual([]);
    const tags = numbered.layout.labels.filter((l) => l.id.endsWith('-tag')).map((l) => l.text);
    expect(tags).toEqual(['1', '2', '3', '4', '5', '6']);
    const key = numbered.layout.labels.filter((l) => l.id.endsWith('-key')).map((l) => l.text);
    expect(key).toEqual([
      '+1 631 555 1000 ▼ 80%',
      'All traffic ▼ 79%',
      '+1 631 555 1000 ▼ 78%',
      'All traffic ▼ 77%',
      '+1 631 555 1000 ▼ 76%',
      'All traffic ▼ 75%',
    ]);
  });

  it('shade and label the buckets still settling, and leave their unfinished rate off the line', async () => {
    const days = 2;
    const points: DataPoint[] = [];
    const end = start + days * DAY;
    for (let t = start - 14 * DAY; t < end; t += 1800) {
      // The last two hours: deliveries still arriving, as a fetch right after them shows.
      const young = t >= end - 7200;
      points.push({ start: t, end: t + 1800, sent: 1000, delivered: young ? 580 : 970 });
    }
    const r = buildReport({
      account: { id: '1', name: 'acme', displayName: 'Acme Retail' },
      range: { start, end },
      timezone: TZ,
      granularity: 'half_hour',
      nowMs: end * 1000,
      settleMs: 7_200_000,
      points,
    });
    const spec = chartSpec(r);
    const rates = spec.config.data.datasets[0]!.data as Array<number | null>;
    expect(rates.slice(-4)).toEqual([null, null, null, null]);
    expect(Math.min(...rates.filter((v): v is number => v !== null))).toBe(97);
    const { problems, layout } = await legible(spec);
    expect(problems).toEqual([]);
    expect(layout.labels.map((l) => l.text)).toEqual(['settling']);
    expect(annotationsOf(spec)['band0-settling']).toMatchObject({ xMin: r.series.length - 4.5, xMax: r.series.length - 0.5 });
  });
});

describe('axes and titles that say what and where', () => {
  it('name every day of a week of half hours on the x axis, and no time without its day', async () => {
    const r = halfHours(7);
    const { problems, layout } = await legible(chartSpec(r), { starts: r.series.map((p) => p.start), timezone: TZ });
    expect(problems).toEqual([]);
    expect(layout.xTicks.map((t) => t.label)).toEqual(['Tue 17', 'Wed 18', 'Thu 19', 'Fri 20', 'Sat 21', 'Sun 22', 'Mon 23']);
    // Two days: times, each day named where it starts.
    const two = halfHours(2);
    const ticks = (await legible(chartSpec(two))).layout.xTicks.map((t) => t.label);
    expect(ticks).toEqual(['Tue 00:00', '12:00', 'Wed 00:00', '12:00']);
  });

  it('put percent ticks on round steps, none crowding another', async () => {
    const r = halfHours(2);
    r.series[40]!.deliveryRate = 0.58;
    const spec = chartSpec(r);
    expect(spec.config.options!.scales!.rate).toMatchObject({ min: 50, max: 100, ticks: { stepSize: 10 } });
    expect((await legible(spec)).problems).toEqual([]);
  });

  it('wrap a title too long for one line onto two, whole; only a name longer than a line is cut', async () => {
    const r = report(7);
    r.account.displayName = 'Acme Retail International Customer Care';
    const two = await legible(chartSpec(r));
    expect(two.problems).toEqual([]);
    expect(two.layout.titleLines.slice(0, 2)).toEqual(['Acme Retail International Customer Care', 'WhatsApp delivery, 17–23 Nov 2026']);
    r.account.displayName = 'Acme Retail International Customer Care and Notifications '.repeat(3);
    const long = await legible(chartSpec(r));
    expect(long.layout.titleLines[1]).toBe('WhatsApp delivery, 17–23 Nov 2026');
    expect(long.problems).toEqual([`title "${long.layout.titleLines[0]}" is cut`]);
  });
});

describe('a backtest chart', () => {
  const range = { start, end: start + 7 * DAY };
  const series: DataPoint[] = [];
  for (let t = range.start; t < range.end; t += 1800) series.push({ start: t, end: t + 1800, sent: 400, delivered: 392 });
  const episode = (at: number, hours: number, observed: number) => ({
    alertKey: 'k',
    shortId: 'A-TEST',
    scope: { kind: 'phone' as const, key: '16315551000', label: '+1 631 555 1000' },
    kind: 'failure_burst' as const,
    severity: 'critical' as const,
    scopes: [],
    firstBucketStart: at,
    firstBucketEnd: at + 60,
    openedAt: (at + 300) * 1000,
    // Resolved by the check ten seconds into the minute after the burst.
    resolvedAt: (at + hours * 3600 + 10) * 1000,
    reminders: 0,
    updates: 0,
    resumes: 0,
    observed,
    expected: 0.02,
    explanation: 'failures rose',
    found: [],
  });
  const result: BacktestResult = {
    account: { id: '1', name: 'acme-retail', displayName: 'Acme Retail', timezone: TZ },
    source: 'webhooks',
    rule: {
      name: 'acme failures',
      checkEvery: 60_000,
      remindEvery: 3_600_000,
      minSent: 200,
      rateFloor: undefined,
      sensitivity: 'normal',
      drillDown: [],
    },
    range,
    checks: 10_080,
    graphCalls: 0,
    episodes: [episode(start + 6 * DAY + 10 * 3600, 1, 0.207), episode(start + 6 * DAY + 13 * 3600, 4.5, 0.308)],
    notes: [],
    sent: 134_400,
    series,
  };

  it('of a status-webhook rule: names its series and each alert by scope and share failing, its title whole, every day on its axis', async () => {
    const spec = await backtestChartSpec(result, range.end * 1000, 0);
    expect(spec.config.data.datasets.map((d) => d.label)).toEqual(['Not failed %', 'Not failed', 'Attempts']);
    const { problems, layout } = await legible(spec, { starts: series.map((p) => p.start), timezone: TZ });
    expect(problems).toEqual([]);
    expect(layout.titleLines).toEqual([
      'Backtest of "acme failures" on Acme Retail',
      '17–23 Nov 2026',
      'Attempts 134,400 · Not failed 131,712 · Rate 98.0% · Europe/Berlin',
    ]);
    expect(layout.labels.filter((l) => !l.id.endsWith('tag')).map((l) => l.text)).toEqual([
      '+1 631 555 1000 ▲ 21% failing',
      '+1 631 555 1000 ▲ 31% failing',
    ]);
    expect(layout.xTicks.every((t) => /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d+/.test(t.label))).toBe(true);
  });

  it('of a Graph rule ending on buckets still settling: shades them as settling', async () => {
    const graphResult: BacktestResult = {
      ...result,
      source: 'graph',
      rule: { ...result.rule, name: 'acme delivery' },
      episodes: [],
      series: series.map((p, i) => (i >= series.length - 3 ? { ...p, delivered: 230 } : p)),
    };
    const spec = await backtestChartSpec(graphResult, range.end * 1000, 7_200_000);
    const { problems, layout } = await legible(spec);
    expect(problems).toEqual([]);
    expect(layout.labels.map((l) => l.text)).toEqual(['settling']);
    expect((spec.config.data.datasets[0]!.data as Array<number | null>).slice(-3)).toEqual([null, null, null]);
  });
});

describe('the legibility check', () => {
  it('catches what it is there to catch: a label on the line, a cut title, crowded ticks, times without their day', async () => {
    const r = halfHours(7);
    const spec = chartSpec(r);
    expect((await legible(spec, { starts: r.series.map((p) => p.start), timezone: TZ })).problems).toEqual([]);
    const broken = structuredClone(spec);
    // A band labelled inside the plot, where the rate line runs at 97%.
    (broken.config.options!.plugins as { annotation: { annotations: Record<string, object> } }).annotation.annotations.onTheLine = {
      type: 'label',
      content: 'All traffic ▼ 70%',
      xValue: 100,
      yValue: 97,
      yScaleID: 'rate',
    };
    broken.config.options!.plugins!.title!.text =
      `${'Acme Retail — backtest of "acme failures" (status webhooks: delivered = not failed)'.slice(0, 55)}…`;
    broken.config.options!.scales!.rate = {
      ...broken.config.options!.scales!.rate,
      min: 96,
      max: 100,
      ticks: { stepSize: 0.1, autoSkip: false, font: { size: 18 } },
    } as never;
    // Labels as Chart.js skips them: a time now and then, the day it is on unnamed.
    broken.config.data.labels = r.series.map((p, i) => bucketLabel(p.start, 'half_hour', TZ, i > 0 ? r.series[i - 1]!.start : undefined));
    (broken.config.options!.scales!.x!.ticks as { autoSkip: boolean }).autoSkip = true;
    const { problems } = await legible(broken, { starts: r.series.map((p) => p.start), timezone: TZ });
    expect(problems).toContain('label "All traffic ▼ 70%" covers the line "Delivery rate %"');
    expect(problems.some((p) => /^title ".*" is cut$/.test(p))).toBe(true);
    expect(problems.some((p) => /^rate ticks "[\d.]+" and "[\d.]+" overlap/.test(p))).toBe(true);
    expect(problems.some((p) => /^x tick "\d\d:\d\d" on \w{3} \d+ names no day/.test(p))).toBe(true);
  });
});
