import { createRequire } from 'node:module';
import { type Canvas, createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { Chart, type Plugin, registerables } from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';
import QuickChartModule from 'quickchart-js';
import { ChartRenderError } from '../errors.js';
import type { ChartSpec } from './spec.js';

/** A rendered chart: pixels for upload, or a URL an image block can show. */
export type RenderedChart =
  | { kind: 'png'; png: Buffer; width: number; height: number; altText: string }
  | { kind: 'url'; url: string; width: number; height: number; altText: string };

/** Both renderers take the same spec. */
export interface ChartRenderer {
  readonly kind: 'local' | 'quickchart';
  render(spec: ChartSpec): Promise<RenderedChart>;
}

Chart.register(...registerables, annotationPlugin);

// quickchart-js ships CJS typings for an ESM build: the default import is the class at run time.
const QuickChart = ((QuickChartModule as unknown as { default?: unknown }).default ?? QuickChartModule) as typeof QuickChartModule.default;

let fontsRegistered = false;
/** Bundled DejaVu so text renders the same on a bare container with no system fonts. */
function registerFonts(): void {
  if (fontsRegistered) return;
  fontsRegistered = true;
  const require = createRequire(import.meta.url);
  const dir = require.resolve('dejavu-fonts-ttf/package.json').replace(/package\.json$/, 'ttf/');
  GlobalFonts.registerFromPath(`${dir}DejaVuSans.ttf`, 'DejaVu Sans');
  GlobalFonts.registerFromPath(`${dir}DejaVuSans-Bold.ttf`, 'DejaVu Sans');
}

const whiteBackground: Plugin = {
  id: 'wabaPulseBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/**
 * Draw `spec` with Chart.js on @napi-rs/canvas and hand the drawn chart and canvas to `look`
 * before the chart is let go: the PNG is taken from it, and a test measures its layout.
 */
export async function drawChart<T>(spec: ChartSpec, look: (chart: Chart, canvas: Canvas) => T | Promise<T>): Promise<T> {
  registerFonts();
  const canvas = createCanvas(spec.width, spec.height);
  // Chart.js mutates its config; give it a copy so the spec stays what QuickChart would get.
  const config = structuredClone(spec.config);
  config.options = { ...config.options, devicePixelRatio: 1 };
  config.plugins = [whiteBackground];
  const chart = new Chart(canvas as unknown as ConstructorParameters<typeof Chart>[0], config);
  try {
    return await look(chart, canvas);
  } finally {
    chart.destroy();
  }
}

/** Chart.js drawn on @napi-rs/canvas (Skia): no browser, no system libraries. */
export class LocalChartRenderer implements ChartRenderer {
  readonly kind = 'local' as const;

  async render(spec: ChartSpec): Promise<RenderedChart> {
    const png = await drawChart(spec, (_chart, canvas) => canvas.encode('png'));
    return { kind: 'png', png, width: spec.width, height: spec.height, altText: spec.altText };
  }
}

/** Slack's image blocks take URLs up to 3,000 characters. */
export const MAX_IMAGE_URL_LENGTH = 3000;

/**
 * Charts through QuickChart (quickchart.io or a self-hosted instance at QUICKCHART_URL): a GET
 * URL when the chart fits in one an image block accepts, otherwise the PNG fetched from
 * QuickChart with a POST, for upload.
 */
export class QuickChartRenderer implements ChartRenderer {
  readonly kind = 'quickchart' as const;

  constructor(
    private readonly baseUrl = 'https://quickchart.io',
    private readonly maxUrlLength = MAX_IMAGE_URL_LENGTH,
  ) {}

  private client(spec: ChartSpec) {
    const base = new URL(this.baseUrl);
    const qc = new QuickChart();
    qc.setHost(base.host).setScheme(base.protocol.replace(':', ''));
    // A JSON string goes out as it is; an object would be re-serialised as JavaScript.
    qc.setConfig(JSON.stringify(spec.config)).setWidth(spec.width).setHeight(spec.height).setBackgroundColor('white').setVersion('4');
    return qc;
  }

  url(spec: ChartSpec): string {
    return this.client(spec).getUrl();
  }

  async render(spec: ChartSpec): Promise<RenderedChart> {
    const qc = this.client(spec);
    const url = qc.getUrl();
    const size = { width: spec.width, height: spec.height, altText: spec.altText };
    if (url.length <= this.maxUrlLength) return { kind: 'url', url, ...size };
    try {
      return { kind: 'png', png: await qc.toBinary(), ...size };
    } catch (err) {
      throw new ChartRenderError(
        `QuickChart at ${new URL(this.baseUrl).host} could not render the chart: ${(err as Error).message}`,
        'check QUICKCHART_URL, or set CHART_RENDERER=local',
        { cause: err },
      );
    }
  }
}

export function chartRenderer(kind: 'local' | 'quickchart', quickchartUrl?: string): ChartRenderer {
  return kind === 'quickchart' ? new QuickChartRenderer(quickchartUrl) : new LocalChartRenderer();
}
