import { type BucketScorer, prefixInto, type ScorerState } from './scoring.js';

interface Kept {
  /** What the work was done under: the zone, granularity and thresholds. */
  under: string;
  first: number;
  sent: Float64Array;
  delivered: Float64Array;
  state: ScorerState;
}

/**
 * A scorer's work over the settled buckets of a scope's window, kept for the next analysis of the
 * same scope from the same first bucket. A day's alert checks share their window's start
 * (`checkWindow`), so each scores only the buckets settled since the last check and its young
 * ones — not the whole two weeks again (a backtest makes 48 checks a day of every scope). Work is
 * taken up only where every bucket it covered is the same, value for value: Graph revising a
 * settled bucket means scoring afresh, never a stale judgement.
 */
export class SettledWork {
  private readonly kept = new Map<string, Kept>();
  /** Buckets taken up rather than scored again, all told (for the bench and tests). */
  taken = 0;

  /**
   * `capacity`: scopes kept, about 130 KB each at two weeks of half hours. When full, work from an
   * earlier window start goes (it would be scored afresh anyway), and past that a scope's work is
   * not kept: checks go round their scopes in turn, where evicting the least recently used would
   * evict each scope just before its turn.
   */
  constructor(private readonly capacity = 1024) {}

  get size(): number {
    return this.kept.size;
  }

  /**
   * Restores `scorer` to the work kept for `key` if it fits its buckets (up to `until`, the first
   * still settling). Returns what was kept either way, for `snapshot` to write over: the work is
   * kept anew after every analysis (`keep`).
   */
  resume(key: string, under: string, scorer: BucketScorer, until: number): ScorerState | undefined {
    const kept = this.kept.get(key);
    if (!kept) return undefined;
    const at = kept.state.at;
    if (kept.under !== under || at > until || scorer.starts[0] !== kept.first) return kept.state;
    for (let j = 0; j < at; j++) if (scorer.sent[j] !== kept.sent[j] || scorer.delivered[j] !== kept.delivered[j]) return kept.state;
    scorer.restore(kept.state);
    this.taken += at;
    return kept.state;
  }

  /** Keeps `state` (the scorer's work up to its first bucket still settling) for the next analysis of `key`. */
  keep(key: string, under: string, scorer: BucketScorer, state: ScorerState): void {
    const old = this.kept.get(key);
    this.kept.delete(key);
    const first = scorer.starts[0]!;
    if (state.at === 0) return;
    if (this.kept.size >= this.capacity) for (const [k, kept] of this.kept) if (kept.first < first) this.kept.delete(k);
    if (this.kept.size >= this.capacity) return;
    const sent = prefixInto(scorer.sent, old?.sent, state.at);
    const delivered = prefixInto(scorer.delivered, old?.delivered, state.at);
    this.kept.set(key, { under, first, sent, delivered, state });
  }
}
