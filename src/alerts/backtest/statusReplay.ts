import { isAttempt } from '../../analytics/failures.js';
import type { StatusCount, StatusTotal } from '../../vocabulary/statuses.js';
import { type StatusWindow, statusWindow } from '../judge/webhooks.js';

/**
 * Stored status counts replayed check by check, as the store would have answered at each moment:
 * the baseline day summed and the last hour minute by minute (what `webhookJudge` reads). The sum
 * slides with the clock instead of being recomputed, so a month of minute checks costs a pass
 * over the rows. Checks must come in time order. Pure: rows in, windows out.
 */
export class StatusReplay {
  private readonly byMinute = new Map<number, StatusCount[]>();
  private readonly totals = new Map<string, StatusTotal>();
  /** The baseline's [from, to) currently summed, in UNIX seconds. */
  private from = 0;
  private to = 0;

  constructor(rows: readonly StatusCount[]) {
    for (const row of rows) {
      if (row.status === 'delivered' || row.status === 'read') continue;
      const list = this.byMinute.get(row.minute);
      if (list) list.push(row);
      else this.byMinute.set(row.minute, [row]);
    }
  }

  private shift(minute: number, sign: 1 | -1): void {
    for (const r of this.byMinute.get(minute) ?? []) {
      const key = `${r.phone}|${r.country}|${r.status}|${r.code}|${r.category}`;
      const total = this.totals.get(key);
      if (total) total.count += sign * r.count;
      else
        this.totals.set(key, {
          accountId: r.accountId,
          phone: r.phone,
          country: r.country,
          status: r.status,
          code: r.code,
          category: r.category,
          count: r.count,
        });
    }
  }

  windowAt(nowMs: number): StatusWindow {
    const { baseline, recent } = statusWindow(nowMs);
    if (baseline[0] < this.from) throw new Error('StatusReplay: checks must come in time order');
    if (this.to === 0 || baseline[0] >= this.to) {
      this.totals.clear();
      this.from = this.to = baseline[0];
    }
    for (; this.to < baseline[1]; this.to += 60) this.shift(this.to, 1);
    for (; this.from < baseline[0]; this.from += 60) this.shift(this.from, -1);
    const minutes: StatusCount[] = [];
    for (let m = recent[0]; m < recent[1]; m += 60) for (const r of this.byMinute.get(m) ?? []) minutes.push(r);
    return { baseline: [...this.totals.values()].filter((t) => t.count > 0), recent: minutes };
  }

  /** Messages attempted in [from, to) (sent, or failed unsent): the replayed window's volume. */
  sentIn(from: number, to: number): number {
    let sent = 0;
    for (const [minute, rows] of this.byMinute)
      if (minute >= from && minute < to) for (const r of rows) if (isAttempt(r.status)) sent += r.count;
    return sent;
  }
}
