/**
 * Keeps each WABA inside its Graph call budget (about 200 calls per hour per app) and obeys
 * the usage headers Graph sends once usage is noticeable:
 *  - X-App-Usage: {"call_count","total_cputime","total_time"} in percent, for the app;
 *  - X-Business-Use-Case-Usage: {"<id>": [{type, call_count, total_cputime, total_time,
 *    estimated_time_to_regain_access}]}, the wait in minutes, per business object.
 * Past 80% of the budget calls are paced evenly instead of spent in a burst; at 100% (ours or
 * Graph's) they wait for the window or Graph's estimate.
 */
export interface UsageOptions {
  callsPerHour: number;
  now: () => number;
  /** Fraction of the budget after which calls are paced. */
  softLimit?: number;
}

const HOUR_MS = 3_600_000;
const APP = '\u0000app';

interface Usage {
  call_count?: number;
  total_cputime?: number;
  total_time?: number;
  estimated_time_to_regain_access?: number;
}

function parseJson(value: string | string[] | undefined): unknown {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // malformed headers are ignored, as missing ones are
  }
}

function worst(u: Usage): number {
  return Math.max(Number(u.call_count) || 0, Number(u.total_cputime) || 0, Number(u.total_time) || 0);
}

export class UsageGovernor {
  private readonly calls = new Map<string, number[]>();
  private readonly lastCall = new Map<string, number>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly pressure = new Map<string, number>();
  private readonly now: () => number;
  private readonly softLimit: number;

  constructor(private readonly options: UsageOptions) {
    this.now = options.now;
    this.softLimit = options.softLimit ?? 0.8;
  }

  private window(wabaId: string): number[] {
    const cutoff = this.now() - HOUR_MS;
    const list = (this.calls.get(wabaId) ?? []).filter((t) => t > cutoff);
    this.calls.set(wabaId, list);
    return list;
  }

  /** Calls made for this WABA in the last hour. */
  callsInLastHour(wabaId: string): number {
    return this.window(wabaId).length;
  }

  /**
   * Milliseconds to wait before the next call for this WABA may go out. When calls are paced the
   * slot is taken: calls waiting at the same time go out one interval apart, not together when
   * their common wait ends.
   */
  delayBefore(wabaId: string): number {
    const now = this.now();
    const blocked = Math.max(this.blockedUntil.get(wabaId) ?? 0, this.blockedUntil.get(APP) ?? 0) - now;
    if (blocked > 0) return blocked;

    const budget = this.options.callsPerHour;
    const interval = HOUR_MS / budget;
    const list = this.window(wabaId);
    if (list.length >= budget) return list[0]! + HOUR_MS - now;

    const reported = Math.max(this.pressure.get(wabaId) ?? 0, this.pressure.get(APP) ?? 0) / 100;
    const used = Math.max(list.length / budget, reported);
    if (used >= this.softLimit) {
      const slot = Math.max(now, (this.lastCall.get(wabaId) ?? 0) + interval);
      this.lastCall.set(wabaId, slot);
      return slot - now;
    }
    return 0;
  }

  record(wabaId: string): void {
    const now = this.now();
    this.window(wabaId).push(now);
    // A slot taken further ahead by a paced call stays taken.
    this.lastCall.set(wabaId, Math.max(now, this.lastCall.get(wabaId) ?? 0));
  }

  /** Read the usage headers of a response (any status). */
  observe(wabaId: string, headers: Record<string, string | string[] | undefined>): void {
    const now = this.now();
    const app = parseJson(headers['x-app-usage']) as Usage | undefined;
    if (app && typeof app === 'object') {
      this.pressure.set(APP, worst(app));
      if (worst(app) >= 100) this.blockedUntil.set(APP, now + 60_000);
    }
    const buc = parseJson(headers['x-business-use-case-usage']) as Record<string, Usage[]> | undefined;
    if (buc && typeof buc === 'object') {
      const entries = Object.entries(buc).filter(([id]) => id === wabaId);
      const usages = (entries.length ? entries : Object.entries(buc)).flatMap(([, list]) => (Array.isArray(list) ? list : []));
      if (usages.length) {
        this.pressure.set(wabaId, Math.max(...usages.map(worst)));
        const regainMinutes = Math.max(...usages.map((u) => Number(u.estimated_time_to_regain_access) || 0));
        if (regainMinutes > 0) this.blockedUntil.set(wabaId, now + regainMinutes * 60_000);
        else if (Math.max(...usages.map(worst)) >= 100) this.blockedUntil.set(wabaId, now + 60_000);
      }
    }
  }

  /** Why calls for this WABA wait now, in a few words for a person. */
  describePressure(wabaId: string): string {
    const now = this.now();
    if (Math.max(this.blockedUntil.get(wabaId) ?? 0, this.blockedUntil.get(APP) ?? 0) > now)
      return 'Graph asked to wait before calling again';
    const budget = this.options.callsPerHour;
    const used = this.window(wabaId).length;
    const reported = Math.max(this.pressure.get(wabaId) ?? 0, this.pressure.get(APP) ?? 0);
    if (reported / 100 > used / budget)
      return `Graph reports ${Math.round(reported)}% of its rate limit used; calls are paced past ${Math.round(this.softLimit * 100)}%`;
    return `${used} of its ${budget} Graph calls this hour are used (graph.callsPerHour); calls are paced past ${Math.round(this.softLimit * 100)}%`;
  }

  /** Graph's own estimate of when this WABA may call again, if it gave one. */
  regainAccessInMs(wabaId: string): number | undefined {
    const until = this.blockedUntil.get(wabaId);
    return until && until > this.now() ? until - this.now() : undefined;
  }
}
