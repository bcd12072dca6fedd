import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LocalChartRenderer, QuickChartRenderer } from '../src/charts/render.js';
import { chartSpec } from '../src/charts/spec.js';
import { buildReport } from '../src/report/build.js';
import type { DataPoint } from '../src/series.js';

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
    expect(annotations.anomaly0).toMatchObject({ xMin: 4.5, xMax: 5.5 });
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
