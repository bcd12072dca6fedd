import { CHART_FONT, type FontWeight, lineHeight, packLines, textWidth } from './fontMetrics.js';

/**
 * Shaded stretches of a chart — anomalies, alerts, buckets still settling — and the labels that
 * say what each is: laid out in a strip above the plot, where no line or bar is ever drawn, so a
 * label never hides the data. Each label sits over its band when the labels fit side by side
 * (stacked when bands coincide); when they do not, each band gets a number and a key above it
 * lists what the numbers stand for. All positions are worked out here, in pixels, from the
 * font's widths, because QuickChart draws the same plain-JSON spec with no chance to measure.
 */

export type Tone = 'critical' | 'warning' | 'settling';

export interface Band {
  /** Bucket indexes the band covers, inclusive. */
  first: number;
  last: number;
  tone: Tone;
  /** What it is, with its scope and figure: "+1 631 555 1000 ▼ 75%". */
  label: string;
}

export interface PlotGeometry {
  buckets: number;
  /** Bars sit between category ticks (offset); a line chart's points sit on them. */
  offset: boolean;
  /** The plot's width in px, estimated no wider than Chart.js will make it. */
  width: number;
  /** Room for the key from the plot's left edge (px): the plot's width and what an axis on its right leaves free above it. */
  keyWidth?: number | undefined;
  /** The scale and the value at the top edge of the plot, to anchor the strip to. */
  yScaleID: string;
  top: number;
}

export interface BandLayout {
  annotations: Record<string, object>;
  /** Height of the strip above the plot (px): room the chart must leave there. */
  height: number;
}

export const BAND_COLORS: Record<Tone, { fill: string; text: string; tag: string }> = {
  critical: { fill: 'rgba(220, 38, 38, 0.16)', text: '#b91c1c', tag: '#fee2e2' },
  warning: { fill: 'rgba(245, 158, 11, 0.18)', text: '#b45309', tag: '#fef3c7' },
  settling: { fill: 'rgba(100, 116, 139, 0.14)', text: '#475569', tag: '#f1f5f9' },
};

const FONT_SIZE = 18;
const PADDING = { top: 3, bottom: 3, left: 6, right: 6 };
const BORDER = 1;
/** A label's height: one line, its padding and border (as the annotation plugin measures it). */
const LABEL_HEIGHT = lineHeight(FONT_SIZE) + PADDING.top + PADDING.bottom + BORDER;
const ROW_PITCH = Math.ceil(LABEL_HEIGHT) + 4;
/** Space between the strip and the plot, and between labels side by side. */
const ABOVE_PLOT = 6;
const GAP = 12;
/** Stacked labels over one band beyond this many rows read as a wall: number the bands instead. */
const MAX_ROWS = 4;
const SEVERITY: Record<Tone, number> = { critical: 0, warning: 1, settling: 2 };

const worstTone = (g: Pick<Group, 'bands'>): Tone =>
  g.bands.reduce<Tone>((worst, b) => (SEVERITY[b.tone] < SEVERITY[worst] ? b.tone : worst), 'settling');
const weightOf = (tone: Tone): FontWeight => (tone === 'settling' ? 'normal' : 'bold');
const labelWidth = (text: string, weight: FontWeight) => textWidth(text, FONT_SIZE, weight) + PADDING.left + PADDING.right + BORDER;

interface Group {
  first: number;
  last: number;
  bands: Band[];
  /** Separate stretches sharing one number when numbers would not fit side by side. */
  stretches: Array<{ first: number; last: number; bands: Band[] }>;
}

/** Bands whose stretches overlap share one place for their labels. */
function groupsOf(bands: readonly Band[]): Group[] {
  const sorted = [...bands].sort((a, b) => a.first - b.first || SEVERITY[a.tone] - SEVERITY[b.tone]);
  const groups: Group[] = [];
  for (const band of sorted) {
    const last = groups[groups.length - 1];
    if (last && band.first <= last.last) {
      last.last = Math.max(last.last, band.last);
      last.bands.push(band);
    } else groups.push({ first: band.first, last: band.last, bands: [band], stretches: [] });
  }
  for (const g of groups) {
    g.bands.sort((a, b) => SEVERITY[a.tone] - SEVERITY[b.tone]);
    g.stretches = [{ first: g.first, last: g.last, bands: g.bands }];
  }
  return groups;
}

/**
 * Where a group's band lies, in px from the plot's left edge, and where its labels are anchored:
 * the bucket at its middle. Labels are placed by their offset from that anchor, so a plot wider
 * than estimated only spreads them further apart.
 */
function extent(g: Pick<Group, 'first' | 'last'>, plot: PlotGeometry): { left: number; right: number; center: number; anchor: number } {
  const middle = (g.first + g.last) / 2;
  if (plot.offset) {
    const bucket = plot.width / plot.buckets;
    return { left: g.first * bucket, right: (g.last + 1) * bucket, center: (middle + 0.5) * bucket, anchor: (middle + 0.5) * bucket };
  }
  const step = plot.width / Math.max(1, plot.buckets - 1);
  const left = Math.max(0, g.first - 0.5) * step;
  const right = Math.min(plot.buckets - 1, g.last + 0.5) * step;
  return { left, right, center: (left + right) / 2, anchor: middle * step };
}

/**
 * Left edges (px from the plot's left) for columns of the given widths, each over its band and
 * inside the plot, none touching the next, each as near its band's middle as the others let it;
 * undefined when they cannot all fit.
 */
function placeColumns(
  columns: Array<{ width: number; left: number; right: number; center: number; anchor: number }>,
  plotWidth: number,
): number[] | undefined {
  const bounds = columns.map((c) => {
    // At least a sliver of the column stands over its band, so the two read as one.
    const overlap = Math.min(8, (c.right - c.left) / 2);
    return { lo: Math.max(0, c.left + overlap - c.width), hi: Math.min(plotWidth - c.width, c.right - overlap) };
  });
  const least: number[] = [];
  let edge = Number.NEGATIVE_INFINITY;
  for (const [i, c] of columns.entries()) {
    const left = Math.max(bounds[i]!.lo, edge);
    if (left > bounds[i]!.hi) return undefined;
    least.push(left);
    edge = left + c.width + GAP;
  }
  const placed = [...least];
  let next = Number.POSITIVE_INFINITY;
  for (let i = columns.length - 1; i >= 0; i--) {
    const c = columns[i]!;
    const preferred = c.center - c.width / 2;
    placed[i] = Math.min(Math.max(preferred, least[i]!), bounds[i]!.hi, next - GAP - c.width);
    next = placed[i]!;
  }
  return placed;
}

function labelStyle(tone: Tone) {
  return {
    type: 'label',
    adjustScaleRange: false,
    color: BAND_COLORS[tone].text,
    backgroundColor: BAND_COLORS[tone].tag,
    borderColor: BAND_COLORS[tone].text,
    borderWidth: BORDER,
    borderRadius: 4,
    padding: PADDING,
    font: { family: CHART_FONT, size: FONT_SIZE, weight: weightOf(tone) },
  };
}

/** Box ids say which label names them: band3 (and band3.1, band3-settling) go with band3-label0 or band3-tag. */
function shading(groups: readonly Group[], plot: PlotGeometry): Record<string, object> {
  const annotations: Record<string, object> = {};
  const lastIndex = plot.buckets - 1;
  const clamp = (v: number) => (plot.offset ? v : Math.min(lastIndex, Math.max(0, v)));
  groups.forEach((g, i) => {
    g.stretches.forEach((stretch, k) => {
      // One box per kind of shading: overlapping anomalies would otherwise darken each other.
      const anomalies = stretch.bands.filter((b) => b.tone !== 'settling');
      const settling = stretch.bands.filter((b) => b.tone === 'settling');
      for (const [suffix, bands] of [
        ['', anomalies],
        ['-settling', settling],
      ] as const) {
        if (!bands.length) continue;
        annotations[`band${i}${k ? `.${k}` : ''}${suffix}`] = {
          type: 'box',
          xMin: clamp(Math.min(...bands.map((b) => b.first)) - 0.5),
          xMax: clamp(Math.max(...bands.map((b) => b.last)) + 0.5),
          backgroundColor: BAND_COLORS[bands[0]!.tone].fill,
          borderWidth: 0,
          drawTime: 'beforeDatasetsDraw',
        };
      }
    });
  });
  return annotations;
}

/** Each group's labels stacked over its band. */
function labelsOverBands(groups: readonly Group[], plot: PlotGeometry): BandLayout | undefined {
  const rows = Math.max(...groups.map((g) => g.bands.length));
  if (rows > MAX_ROWS) return undefined;
  const columns = groups.map((g) => ({
    width: Math.max(...g.bands.map((b) => labelWidth(b.label, weightOf(b.tone)))),
    ...extent(g, plot),
  }));
  const lefts = placeColumns(columns, plot.width);
  if (!lefts) return undefined;
  const annotations: Record<string, object> = {};
  groups.forEach((g, i) => {
    const c = columns[i]!;
    const left = lefts[i]!;
    // A column pushed aside lines its labels up on the side nearer its band.
    const side = left + c.width < c.right ? 'end' : left > c.left ? 'start' : 'center';
    const x = side === 'end' ? left + c.width : side === 'start' ? left : left + c.width / 2;
    g.bands.forEach((band, k) => {
      // The worst on top, the rest under it down to the band.
      const row = g.bands.length - 1 - k;
      annotations[`band${i}-label${k}`] = {
        ...labelStyle(band.tone),
        content: band.label,
        xValue: (g.first + g.last) / 2,
        yValue: plot.top,
        yScaleID: plot.yScaleID,
        position: { x: side, y: 'end' },
        xAdjust: x - c.anchor,
        yAdjust: -(ABOVE_PLOT + row * ROW_PITCH),
      };
    });
  });
  return { annotations, height: ABOVE_PLOT + rows * ROW_PITCH };
}

/** A number over each band, and a key above the numbers saying what each band is. */
function numberedBands(initial: readonly Group[], plot: PlotGeometry): BandLayout {
  // Bands too close for even their numbers side by side share one.
  let groups = [...initial];
  const numberWidth = (i: number) => labelWidth(String(i + 1), 'bold');
  let lefts: number[] | undefined;
  for (;;) {
    const columns = groups.map((g, i) => ({ width: numberWidth(i), ...extent(g, plot) }));
    lefts = placeColumns(columns, plot.width);
    if (!lefts && groups.length === 1) lefts = columns.map((c) => Math.max(0, Math.min(c.center - c.width / 2, plot.width - c.width)));
    if (lefts) break;
    let closest = 0;
    for (let i = 1; i < groups.length - 1; i++) {
      if (groups[i + 1]!.first - groups[i]!.last < groups[closest + 1]!.first - groups[closest]!.last) closest = i;
    }
    const [a, b] = [groups[closest]!, groups[closest + 1]!];
    const merged = { first: a.first, last: b.last, bands: [...a.bands, ...b.bands], stretches: [...a.stretches, ...b.stretches] };
    groups = [...groups.slice(0, closest), merged, ...groups.slice(closest + 2)];
  }
  // The key: each number and what it stands for, flowing left to right, a long entry on lines of its own.
  const keyAnnotations: Record<string, object> = {};
  const lineStep = lineHeight(FONT_SIZE);
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const room = plot.keyWidth ?? plot.width;
  groups.forEach((g, i) => {
    const tone = worstTone(g);
    const tagWidth = numberWidth(i);
    const textRoom = room - tagWidth - 4;
    const lines = packLines(
      g.bands.map((b) => b.label.replace(/ /g, '\u00a0')),
      ' · ',
      textRoom - PADDING.left - PADDING.right - BORDER,
      FONT_SIZE,
      'bold',
    ).map((line) => line.replace(/\u00a0/g, ' '));
    const width = tagWidth + 4 + Math.max(...lines.map((l) => labelWidth(l, 'bold')));
    const height = LABEL_HEIGHT + (lines.length - 1) * lineStep;
    if (x > 0 && (lines.length > 1 || x + width > room)) {
      y += rowHeight + 4;
      x = 0;
      rowHeight = 0;
    }
    const anchor = { xValue: plot.offset ? -0.5 : 0, yValue: plot.top, yScaleID: plot.yScaleID, position: { x: 'start', y: 'start' } };
    keyAnnotations[`band${i}-keytag`] = { ...labelStyle(tone), ...anchor, content: String(i + 1), xAdjust: x, yAdjust: y };
    keyAnnotations[`band${i}-key`] = {
      ...labelStyle(tone),
      ...anchor,
      // The key's words in the text colour; its number carries the band's tone.
      color: '#111827',
      backgroundColor: 'rgba(255, 255, 255, 0)',
      borderWidth: 0,
      textAlign: 'left',
      content: lines.length > 1 ? lines : lines[0],
      xAdjust: x + tagWidth + 4,
      yAdjust: y,
    };
    x += width + GAP * 2;
    rowHeight = Math.max(rowHeight, height);
  });
  const keyHeight = y + rowHeight;
  const height = keyHeight + 8 + ROW_PITCH + ABOVE_PLOT - 4;
  // The key was laid out from the strip's top: anchor it there.
  for (const a of Object.values(keyAnnotations) as Array<{ yAdjust: number }>) a.yAdjust -= height;
  const annotations: Record<string, object> = { ...keyAnnotations };
  groups.forEach((g, i) => {
    const c = extent(g, plot);
    annotations[`band${i}-tag`] = {
      ...labelStyle(worstTone(g)),
      content: String(i + 1),
      xValue: (g.first + g.last) / 2,
      yValue: plot.top,
      yScaleID: plot.yScaleID,
      position: { x: 'start', y: 'end' },
      xAdjust: lefts[i]! - c.anchor,
      yAdjust: -ABOVE_PLOT,
    };
  });
  return { annotations: { ...shading(groups, plot), ...annotations }, height };
}

/** The bands shaded and labelled, and the room their labels take above the plot. */
export function bandLayout(bands: readonly Band[], plot: PlotGeometry): BandLayout {
  if (!bands.length) return { annotations: {}, height: 0 };
  const groups = groupsOf(bands);
  const over = labelsOverBands(groups, plot);
  if (over) return { annotations: { ...shading(groups, plot), ...over.annotations }, height: over.height };
  return numberedBands(groups, plot);
}
