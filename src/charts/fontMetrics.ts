/**
 * How wide text is drawn in the charts' font (bundled DejaVu Sans), so a spec can lay out labels,
 * ticks and titles before anything is drawn — QuickChart takes the spec as it is, with no chance
 * to measure. Advance widths in 1/2048 em, read from the font; kerning only narrows text, so a sum
 * of advances is an upper bound, and letters outside the table count as a whole em.
 */

// Printable ASCII (space to tilde), regular and bold.
const REGULAR = [
  651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303,
  1303, 1303, 690, 690, 1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532,
  1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260,
  721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303,
  1716,
];
const BOLD = [
  713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425,
  1425, 1425, 819, 819, 1716, 1716, 1716, 1188, 2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038, 1714,
  1741, 1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936, 748, 936, 1716, 1024, 1024, 1382, 1466, 1214, 1466, 1389,
  891, 1466, 1458, 702, 702, 1362, 702, 2134, 1458, 1407, 1466, 1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192, 1458, 748, 1458,
  1716,
];
// The few other letters charts draw: arrows, dashes, the middle dot, a no-break space.
const OTHER: Record<string, [number, number]> = {
  '▼': [1575, 1575],
  '▲': [1575, 1575],
  '…': [2048, 2048],
  '—': [2048, 2048],
  '–': [1024, 1024],
  '·': [651, 778],
  '→': [1716, 1716],
  '\u00a0': [651, 713],
  '’': [651, 778],
};
const EM = 2048;

/** The bundled DejaVu first; the rest for a QuickChart without it. */
export const CHART_FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

export type FontWeight = 'normal' | 'bold';

/** Width in px of `text` drawn at `size` px: never less than what the canvas draws. */
export function textWidth(text: string, size: number, weight: FontWeight = 'normal'): number {
  const table = weight === 'bold' ? BOLD : REGULAR;
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    units += code >= 32 && code < 127 ? table[code - 32]! : (OTHER[ch]?.[weight === 'bold' ? 1 : 0] ?? EM);
  }
  return (units * size) / EM;
}

/** Chart.js's line height for a font of `size` px (its default of 1.2). */
export function lineHeight(size: number): number {
  return size * 1.2;
}

/**
 * `parts` joined by `separator` into as few lines of at most `width` px as they fit in, each part
 * whole on one line; a part wider than a line on its own is cut, with an ellipsis.
 */
export function packLines(parts: readonly string[], separator: string, width: number, size: number, weight: FontWeight): string[] {
  const lines: string[] = [];
  let current = '';
  for (const part of parts) {
    const joined = current ? `${current}${separator}${part}` : part;
    if (!current || textWidth(joined, size, weight) <= width) {
      current = joined;
      continue;
    }
    lines.push(current);
    current = part;
  }
  if (current) lines.push(current);
  return lines.map((line) => fitWithEllipsis(line, width, size, weight));
}

/** `text` cut to fit `width` px, with an ellipsis when cut. */
export function fitWithEllipsis(text: string, width: number, size: number, weight: FontWeight): string {
  if (textWidth(text, size, weight) <= width) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(`${chars.join('').trimEnd()}…`, size, weight) > width) chars.pop();
  return `${chars.join('').trimEnd()}…`;
}
