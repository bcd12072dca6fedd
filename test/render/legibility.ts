import type { SKRSContext2D } from '@napi-rs/canvas';
import { type Chart, Scale } from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';
import type { Anomaly } from '../../src/analytics/anomalies.js';
import { localClock } from '../../src/analytics/time.js';
import { drawChart } from '../../src/charts/render.js';
import type { ChartSpec } from '../../src/charts/spec.js';

/**
 * The chart legibility check: a spec drawn by Chart.js as the local renderer draws it, then
 * measured from the drawn chart's own layout — its titles, legend, axes and tick labels, its
 * annotation elements, its line and bars — for what makes a chart hard to read: a title cut or
 * squeezed, tick labels on top of each other, a multi-day axis whose times name no day, a shaded
 * band that says nothing, labels over each other, over the data or over the chart's furniture.
 * Each problem is one line, so a failing test says what to look at.
 */

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface DrawnLabel extends Rect {
  id: string;
  text: string;
}

/** What the check measured, for tests that look closer. */
export interface ChartLayout {
  width: number;
  height: number;
  plot: Rect;
  titleLines: string[];
  /** Visible x tick labels, with the bucket index each stands at. */
  xTicks: Array<{ index: number; label: string }>;
  labels: DrawnLabel[];
  bands: Array<Rect & { id: string }>;
}

export interface ChartUnderTest {
  name: string;
  spec: ChartSpec;
  /** What its bands stand for: each must be named on the chart with its scope and figure. */
  shows?: ReadonlyArray<Pick<Anomaly, 'kind' | 'scope' | 'observed'>> | undefined;
  /** Bucket starts (UNIX seconds) and their zone: ticks of a span of days must name them. */
  buckets?: { starts: readonly number[]; timezone: string } | undefined;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const intersects = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const inside = (a: Rect, width: number, height: number) => a.left >= 0 && a.top >= 0 && a.right <= width && a.bottom <= height;
const describe = (r: Rect) => `[${Math.round(r.left)},${Math.round(r.top)} – ${Math.round(r.right)},${Math.round(r.bottom)}]`;

/** The box the glyphs of `text` cover, drawn at (x, y) with the context's current font and alignment. */
function textRect(ctx: SKRSContext2D, text: string, x: number, y: number, align: string, baseline: 'middle' | 'top'): Rect {
  ctx.textBaseline = baseline;
  const m = ctx.measureText(text);
  const left = align === 'center' ? x - m.width / 2 : align === 'right' ? x - m.width : x;
  return { left, right: left + m.width, top: y - m.actualBoundingBoxAscent, bottom: y + m.actualBoundingBoxDescent };
}

function segmentHitsRect(x1: number, y1: number, x2: number, y2: number, r: Rect): boolean {
  // Sampled finely enough for a 3 px line against boxes tens of pixels wide.
  const steps = Math.max(1, Math.ceil(Math.hypot(x2 - x1, y2 - y1) / 2));
  for (let i = 0; i <= steps; i++) {
    const x = x1 + ((x2 - x1) * i) / steps;
    const y = y1 + ((y2 - y1) * i) / steps;
    if (x > r.left && x < r.right && y > r.top && y < r.bottom) return true;
  }
  return false;
}

/** Each line dataset as drawn: its points joined (through gaps, as spanGaps draws), curves sampled. */
function lines(chart: Chart): Array<{ name: string; points: Array<[number, number]> }> {
  return chart.data.datasets.flatMap((dataset, i) => {
    const meta = chart.getDatasetMeta(i);
    if (meta.type !== 'line' || meta.hidden) return [];
    const drawn = (
      meta.data as unknown as Array<{ x: number; y: number; skip: boolean; cp1x?: number; cp1y?: number; cp2x?: number; cp2y?: number }>
    ).filter((p) => !p.skip);
    const points: Array<[number, number]> = [];
    drawn.forEach((p, k) => {
      const prev = drawn[k - 1];
      if (prev && prev.cp2x !== undefined && p.cp1x !== undefined) {
        for (let s = 1; s < 8; s++) {
          const t = s / 8;
          const u = 1 - t;
          points.push([
            u ** 3 * prev.x + 3 * u * u * t * prev.cp2x + 3 * u * t * t * p.cp1x + t ** 3 * p.x,
            u ** 3 * prev.y + 3 * u * u * t * prev.cp2y! + 3 * u * t * t * p.cp1y! + t ** 3 * p.y,
          ]);
        }
      }
      points.push([p.x, p.y]);
    });
    return [{ name: String(dataset.label), points }];
  });
}

function bars(chart: Chart): Rect[] {
  return chart.data.datasets.flatMap((_, i) => {
    const meta = chart.getDatasetMeta(i);
    if (meta.type !== 'bar') return [];
    return (meta.data as unknown as Array<{ x: number; y: number; base: number; width: number; height: number; horizontal: boolean }>).map(
      (b) =>
        b.horizontal
          ? { left: Math.min(b.x, b.base), right: Math.max(b.x, b.base), top: b.y - b.height / 2, bottom: b.y + b.height / 2 }
          : { left: b.x - b.width / 2, right: b.x + b.width / 2, top: Math.min(b.y, b.base), bottom: Math.max(b.y, b.base) },
    );
  });
}

/** Draw and measure `chart`; the problems found, none when it reads well. */
export async function chartLegibility(subject: ChartUnderTest): Promise<{ problems: string[]; layout: ChartLayout }> {
  const { spec } = subject;
  return drawChart(spec, (chart) => {
    const problems: string[] = [];
    const ctx = chart.ctx as unknown as SKRSContext2D;
    const area = chart.chartArea;
    const plot = { left: area.left, top: area.top, right: area.right, bottom: area.bottom };

    // Titles and legend: their text whole and within the canvas.
    const furniture: Array<{ what: string; rect: Rect }> = [];
    const titleLines: string[] = [];
    for (const box of [...chart.boxes].sort((a, b) => a.top - b.top)) {
      if (box instanceof Scale) continue;
      const b = box as unknown as {
        options: { display?: boolean; text?: string | string[]; font: { size: number; weight?: string; family: string } };
        _padding: { top: number };
        left: number;
        right: number;
        top: number;
        width: number;
        legendHitBoxes?: Array<{ left: number; top: number; width: number; height: number }>;
        legendItems?: Array<{ text: string }>;
      };
      if (b.legendHitBoxes) {
        b.legendHitBoxes.forEach((h, i) => {
          const rect = { left: h.left, top: h.top, right: h.left + h.width, bottom: h.top + h.height };
          furniture.push({ what: `legend "${b.legendItems?.[i]?.text}"`, rect });
          if (!inside(rect, spec.width, spec.height))
            problems.push(`legend "${b.legendItems?.[i]?.text}" runs off the canvas ${describe(rect)}`);
        });
        continue;
      }
      if (!b.options.display || b.options.text === undefined) continue;
      const texts = Array.isArray(b.options.text) ? b.options.text : [b.options.text];
      const { size, weight = 'normal', family } = b.options.font;
      const line = size * 1.2;
      ctx.font = `${weight} ${size}px ${family}`;
      texts.forEach((text, i) => {
        titleLines.push(text);
        const y = b.top + b._padding.top + line / 2 + i * line;
        const rect = textRect(ctx, text, (b.left + b.right) / 2, y, 'center', 'middle');
        furniture.push({ what: `title "${text}"`, rect });
        if (text.includes('…')) problems.push(`title "${text}" is cut`);
        // Chart.js squeezes a line wider than its box rather than wrapping it.
        if (rect.right - rect.left > b.width)
          problems.push(`title "${text}" is ${Math.round(rect.right - rect.left)} px, wider than its ${b.width} px`);
      });
    }

    // Axes: tick labels apart from each other and within the canvas.
    const tickRects: Array<{ what: string; rect: Rect }> = [];
    const xTicks: ChartLayout['xTicks'] = [];
    for (const scale of Object.values(chart.scales)) {
      if (scale.options.display === false) continue;
      furniture.push({
        what: `the ${scale.id} axis`,
        rect: { left: scale.left, top: scale.top, right: scale.right, bottom: scale.bottom },
      });
      const items = (
        scale as unknown as {
          getLabelItems(): Array<{
            label: string | string[];
            font: { string: string };
            textOffset: number;
            options: { translation: [number, number]; textAlign: string; textBaseline: string };
          }>;
        }
      ).getLabelItems();
      const rects: Array<{ label: string; rect: Rect }> = [];
      items.forEach((item, i) => {
        const label = Array.isArray(item.label) ? item.label.join(' ') : item.label;
        if (!label) return;
        ctx.font = item.font.string;
        const [x, y] = item.options.translation;
        const rect = scale.isHorizontal()
          ? textRect(ctx, label, x, y + item.textOffset, item.options.textAlign, 'middle')
          : textRect(ctx, label, x, y, item.options.textAlign, 'middle');
        rects.push({ label, rect });
        if (scale.id === 'x') xTicks.push({ index: Number(scale.ticks[i]!.value), label });
        if (!inside(rect, spec.width, spec.height)) problems.push(`${scale.id} tick "${label}" runs off the canvas ${describe(rect)}`);
      });
      for (let i = 0; i < rects.length; i++) {
        for (let j = i + 1; j < rects.length; j++) {
          if (intersects(rects[i]!.rect, rects[j]!.rect))
            problems.push(
              `${scale.id} ticks "${rects[i]!.label}" and "${rects[j]!.label}" overlap ${describe(rects[i]!.rect)} ${describe(rects[j]!.rect)}`,
            );
        }
      }
      tickRects.push(...rects.map((r) => ({ what: `${scale.id} tick "${r.label}"`, rect: r.rect })));
    }

    // A span of days: each time on the x axis says which day it is, or follows a tick that does.
    if (subject.buckets) {
      const { starts, timezone } = subject.buckets;
      let namedDay: number | undefined;
      for (const tick of xTicks) {
        const start = starts[tick.index];
        if (start === undefined) continue;
        const clock = localClock(start, timezone);
        const weekday = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b/.exec(tick.label)?.[1];
        if (weekday) {
          if (weekday !== WEEKDAYS[clock.weekday - 1])
            problems.push(`x tick "${tick.label}" names ${weekday} for a bucket on ${WEEKDAYS[clock.weekday - 1]}`);
          namedDay = clock.dayNumber;
        } else if (/^\d\d:\d\d$/.test(tick.label) && namedDay !== clock.dayNumber) {
          problems.push(
            `x tick "${tick.label}" on ${WEEKDAYS[clock.weekday - 1]} ${clock.day} names no day (the last tick naming one is another day's)`,
          );
        }
      }
    }

    // Annotations: shaded bands, and the labels that say what they are.
    const elements = (annotationPlugin as unknown as { getAnnotations(c: Chart): unknown[] }).getAnnotations(chart) as Array<{
      x: number;
      y: number;
      x2: number;
      y2: number;
      options: { id: string; type: string; content?: string | string[]; display?: boolean; label?: { display?: boolean } };
      elements?: Array<{ x: number; y: number; x2: number; y2: number; options: { content?: string | string[]; display?: boolean } }>;
    }>;
    const labels: DrawnLabel[] = [];
    const bands: ChartLayout['bands'] = [];
    for (const e of elements) {
      if (e.options.type === 'label' && e.options.display !== false && e.options.content) {
        const text = Array.isArray(e.options.content) ? e.options.content.join(' / ') : e.options.content;
        labels.push({ id: e.options.id, text, left: e.x, top: e.y, right: e.x2, bottom: e.y2 });
      }
      if (e.options.type === 'box') {
        bands.push({ id: e.options.id, left: e.x, top: e.y, right: e.x2, bottom: e.y2 });
        for (const inner of e.elements ?? []) {
          if (inner.options.display && inner.options.content)
            labels.push({
              id: `${e.options.id}-inner`,
              text: String(inner.options.content),
              left: inner.x,
              top: inner.y,
              right: inner.x2,
              bottom: inner.y2,
            });
        }
      }
    }
    const data = lines(chart);
    const barRects = bars(chart);
    labels.forEach((label, i) => {
      const name = `label "${label.text}"`;
      if (!inside(label, spec.width, spec.height)) problems.push(`${name} runs off the canvas ${describe(label)}`);
      for (const other of labels.slice(i + 1)) if (intersects(label, other)) problems.push(`${name} and label "${other.text}" overlap`);
      for (const f of [...furniture, ...tickRects]) if (intersects(label, f.rect)) problems.push(`${name} covers ${f.what}`);
      for (const line of data) {
        if (line.points.some((p, k) => k > 0 && segmentHitsRect(line.points[k - 1]![0], line.points[k - 1]![1], p[0], p[1], label)))
          problems.push(`${name} covers the line "${line.name}"`);
      }
      if (barRects.some((b) => intersects(label, b))) problems.push(`${name} covers bars`);
    });

    // Every band says what it is: a label over it, or a number over it that a key explains.
    const groups = new Map<string, Array<Rect & { id: string }>>();
    for (const band of bands) {
      const group = /^(band\d+)/.exec(band.id)?.[1] ?? band.id;
      groups.set(group, [...(groups.get(group) ?? []), band]);
    }
    for (const [group, boxes] of groups) {
      const span = { left: Math.min(...boxes.map((b) => b.left)), right: Math.max(...boxes.map((b) => b.right)) };
      const own = labels.filter(
        (l) => l.id.startsWith(`${group}-label`) || l.id === `${group}-tag` || boxes.some((b) => l.id === `${b.id}-inner`),
      );
      if (!own.length) {
        problems.push(`band ${group} ${describe(boxes[0]!)} has no label`);
        continue;
      }
      for (const l of own) {
        if (l.right <= span.left || l.left >= span.right)
          problems.push(`label "${l.text}" is not over its band ${group} ${describe({ ...boxes[0]!, ...span })}`);
      }
      const tag = own.find((l) => l.id === `${group}-tag`);
      if (tag) {
        const keyTag = labels.find((l) => l.id === `${group}-keytag`);
        const key = labels.find((l) => l.id === `${group}-key`);
        if (!key || keyTag?.text !== tag.text)
          problems.push(`band ${group} is numbered ${tag.text} but the key does not say what ${tag.text} is`);
      }
    }
    return {
      problems,
      layout: { width: spec.width, height: spec.height, plot, titleLines, xTicks, labels, bands },
    };
  });
}
