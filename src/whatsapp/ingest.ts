import type { Store } from '../store/types.js';
import { DEDUPE_WINDOW_MS, type StatusEvent } from './payload.js';

/** Most events one transaction takes; more wait for the next. */
const MAX_BATCH = 2_000;

interface Waiting {
  events: StatusEvent[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: the events of every request that arrives while a write is in flight go to the
 * store together in the next transaction, and each request is answered when the transaction
 * holding its events has committed. One notification per request, thousands a second, cost a
 * few transactions a second — and nothing is acknowledged before it is durable.
 */
export class StatusIngest {
  private waiting: Waiting[] = [];
  private writing = false;
  /** Events written, duplicates dropped, and transactions, for /metrics and the bench. */
  readonly totals = { counted: 0, duplicates: 0, batches: 0 };

  constructor(
    private readonly store: Pick<Store, 'recordStatuses'>,
    private readonly now: () => number,
  ) {}

  /** Resolves once the events are durable (counted, or known duplicates); rejects if the store failed. */
  submit(events: StatusEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length) {
        // Take whole requests up to the batch size (a single huge request goes alone).
        const batch: Waiting[] = [];
        let size = 0;
        while (this.waiting.length && (batch.length === 0 || size + this.waiting[0]!.events.length <= MAX_BATCH)) {
          const next = this.waiting.shift()!;
          batch.push(next);
          size += next.events.length;
        }
        try {
          const result = await this.store.recordStatuses(
            batch.flatMap((w) => w.events),
            this.now(),
            DEDUPE_WINDOW_MS,
          );
          this.totals.batches++;
          this.totals.counted += result.counted;
          this.totals.duplicates += result.duplicates;
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
