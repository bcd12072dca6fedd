import type { TimeRange } from '../vocabulary/series.js';

/**
 * Days Graph will not change any more (pricing a day after it ends, template funnels once the
 * 7 days reads and clicks are counted for are past), kept in memory by key — account and what
 * was asked — so a digest or a second view asks Graph only for the days that may still change.
 * Each key covers one contiguous span, like the store's bucket cache; a request reaching before
 * it is fetched whole and replaces it. Bounded: the least recently used keys go first.
 */
export class SettledDays<P extends { start: number; end: number }> {
  private readonly spans = new Map<string, { start: number; end: number; points: P[] }>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxKeys = 1_000) {}

  /** What is kept of `range`, and where Graph must be asked from (the range's start when nothing usable is kept). */
  read(key: string, range: TimeRange): { points: P[]; from: number } {
    const span = this.spans.get(key);
    if (!span || span.start > range.start || span.end <= range.start) {
      this.misses++;
      return { points: [], from: range.start };
    }
    this.hits++;
    this.spans.delete(key);
    this.spans.set(key, span);
    const end = Math.min(span.end, range.end);
    return { points: span.points.filter((p) => p.start >= range.start && p.start < end), from: end };
  }

  /** Keep what Graph answered for `span` (every point it had there): joined to the key's span where they meet. */
  keep(key: string, span: TimeRange, points: readonly P[]): void {
    if (span.end <= span.start) return;
    const inside = points.filter((p) => p.start >= span.start && p.start < span.end);
    const kept = this.spans.get(key);
    this.spans.delete(key);
    if (kept && kept.start <= span.start && span.start <= kept.end) {
      // Settled days are final: only what lies past the kept span is added.
      this.spans.set(key, {
        start: kept.start,
        end: Math.max(kept.end, span.end),
        points: [...kept.points, ...inside.filter((p) => p.start >= kept.end)],
      });
    } else {
      this.spans.set(key, { start: span.start, end: span.end, points: inside });
    }
    while (this.spans.size > this.maxKeys) this.spans.delete(this.spans.keys().next().value!);
  }
}
