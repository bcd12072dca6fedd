import { IngestBusyError, StoreTimeoutError } from '../errors.js';
import type { StoreWith } from '../store/types.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { DEDUPE_WINDOW_MS, type StatusEvent } from './payload.js';

/** Most events one transaction takes; more wait for the next. */
const MAX_BATCH = 2_000;

export interface IngestLimits {
  /** Longest a request waits for its events to commit (queue and transaction) before it is answered 503. */
  timeoutMs?: number | undefined;
  /** PostgreSQL `statement_timeout` and `lock_timeout` of the ingest transaction. */
  statementTimeoutMs?: number | undefined;
  /** Most events waiting for the store; a request past it is answered 503 at once. */
  maxWaitingEvents?: number | undefined;
}

export const INGEST_DEFAULTS = { timeoutMs: 10_000, statementTimeoutMs: 5_000, maxWaitingEvents: 20_000 } as const;

/** What a request's submission came to: committed, except the events the store refused (dropped, not retried). */
export interface Submitted {
  refused: number;
}

interface Waiting {
  events: StatusEvent[];
  since: number;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve: (value: Submitted) => void;
  reject: (err: unknown) => void;
}

/** A store refusal that says the data, not the store, is at fault (SQLSTATE class 22 data exception, 23 integrity). */
function isDataError(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code ?? '');
  return /^(22|23)/.test(code);
}

/**
 * Group commit: the events of every request that arrives while a write is in flight go to the
 * store together in the next transaction, and each request is answered when the transaction
 * holding its events has committed. One notification per request, thousands a second, cost a
 * few transactions a second — and nothing is acknowledged before it is durable.
 *
 * Bounded: a request waits at most `timeoutMs` (then StoreTimeoutError: 503, sent again later),
 * at most `maxWaitingEvents` wait (then IngestBusyError), and a batch the store refuses for its
 * data is retried request by request, then event by event, so one bad status refuses itself only.
 * Elapsed times are read from the monotonic clock; `now` is the wall clock the marks expire by.
 */
export class StatusIngest {
  private waiting: Waiting[] = [];
  private waitingEvents = 0;
  private inFlight: Waiting[] = [];
  private writing = false;
  private readonly limits: Required<{ [K in keyof IngestLimits]-?: number }>;
  private lastCommitAt: number | undefined;
  private failuresSinceCommit = 0;
  private lastFailureAt: number | undefined;
  /** Events written, duplicates dropped, refused by the store, and transactions, for /metrics and the bench. */
  readonly totals = { counted: 0, duplicates: 0, refused: 0, batches: 0 };

  constructor(
    private readonly store: StoreWith<'statuses'>,
    private readonly now: () => number,
    limits: IngestLimits = {},
  ) {
    this.limits = {
      timeoutMs: limits.timeoutMs ?? INGEST_DEFAULTS.timeoutMs,
      statementTimeoutMs: limits.statementTimeoutMs ?? INGEST_DEFAULTS.statementTimeoutMs,
      maxWaitingEvents: limits.maxWaitingEvents ?? INGEST_DEFAULTS.maxWaitingEvents,
    };
  }

  /** Resolves once the events are durable (counted, known duplicates, or refused by the store for their data); rejects if the store failed. */
  submit(events: StatusEvent[]): Promise<Submitted> {
    if (events.length === 0) return Promise.resolve({ refused: 0 });
    if (this.waitingEvents + events.length > this.limits.maxWaitingEvents && this.waitingEvents > 0) {
      this.failed();
      return Promise.reject(
        new IngestBusyError(`${this.waitingEvents} status events already wait for the store`, 'the store is slow; Meta sends these again'),
      );
    }
    return new Promise((resolve, reject) => {
      const w: Waiting = { events, since: performance.now(), settled: false, timer: undefined, resolve, reject };
      w.timer = setTimeout(() => {
        if (w.settled) return;
        const queued = this.waiting.indexOf(w);
        if (queued >= 0) {
          this.waiting.splice(queued, 1);
          this.waitingEvents -= w.events.length;
        }
        this.failed();
        this.settle(w, new StoreTimeoutError(`the store did not commit within ${this.limits.timeoutMs} ms`));
      }, this.limits.timeoutMs);
      w.timer.unref();
      this.waiting.push(w);
      this.waitingEvents += events.length;
      if (!this.writing) void this.drain();
    });
  }

  /** How far behind the ingest is, for /healthz: events waiting, the oldest request's age, the last commit. */
  lag(): { waitingEvents: number; oldestWaitingMs: number; lastCommitAgoMs: number | null; failuresSinceCommit: number; stalled: boolean } {
    const t = performance.now();
    const oldest = Math.min(...[...this.inFlight, ...this.waiting].filter((w) => !w.settled).map((w) => w.since), t);
    return {
      waitingEvents: this.waitingEvents,
      oldestWaitingMs: Math.round(t - oldest),
      lastCommitAgoMs: this.lastCommitAt === undefined ? null : Math.round(t - this.lastCommitAt),
      failuresSinceCommit: this.failuresSinceCommit,
      // Failing now: refused or timed out since the last commit, within the last minute.
      stalled: this.failuresSinceCommit > 0 && this.lastFailureAt !== undefined && t - this.lastFailureAt < 60_000,
    };
  }

  private failed(): void {
    this.failuresSinceCommit++;
    this.lastFailureAt = performance.now();
  }

  private settle(w: Waiting, outcome: Submitted | Error): void {
    if (w.settled) return;
    w.settled = true;
    clearTimeout(w.timer);
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }

  private async record(events: StatusEvent[]): Promise<void> {
    const result = await this.store.statuses.recordStatuses(events, this.now(), DEDUPE_WINDOW_MS, {
      statementTimeoutMs: this.limits.statementTimeoutMs,
    });
    this.totals.batches++;
    this.totals.counted += result.counted;
    this.totals.duplicates += result.duplicates;
    this.lastCommitAt = performance.now();
    this.failuresSinceCommit = 0;
  }

  /** One request alone after its batch was refused: alone, then event by event; what the store refuses for its data is dropped. */
  private async recordAlone(w: Waiting): Promise<Submitted | Error> {
    try {
      await this.record(w.events);
      return { refused: 0 };
    } catch (err) {
      if (!isDataError(err) || w.events.length === 1) return isDataError(err) ? this.refuse(1) : this.failure(err);
    }
    let refused = 0;
    for (const e of w.events) {
      try {
        await this.record([e]);
      } catch (err) {
        if (!isDataError(err)) return this.failure(err);
        refused++;
        this.totals.refused++;
      }
    }
    return { refused };
  }

  private refuse(n: number): Submitted {
    this.totals.refused += n;
    return { refused: n };
  }

  private failure(err: unknown): Error {
    this.failed();
    return err instanceof Error ? err : new Error(String(err));
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
          this.waitingEvents -= next.events.length;
          if (next.settled) continue;
          batch.push(next);
          size += next.events.length;
        }
        if (batch.length === 0) continue;
        this.inFlight = batch;
        try {
          await this.record(batch.flatMap((w) => w.events));
          for (const w of batch) this.settle(w, { refused: 0 });
        } catch (err) {
          if (isStoreUnavailable(err) || !isDataError(err)) {
            const e = this.failure(err);
            for (const w of batch) this.settle(w, e);
          } else {
            // Refused for its data: one request (or one event) is bad. Retry one by one, so only it is refused.
            for (const w of batch) if (!w.settled) this.settle(w, await this.recordAlone(w));
          }
        } finally {
          this.inFlight = [];
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
