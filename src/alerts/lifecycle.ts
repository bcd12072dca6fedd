import type { Anomaly } from '../analytics/anomalies.js';
import { anomalyKey } from './judge/anomalyKey.js';

/**
 * The alert lifecycle as a pure decision: given the rule's current episode and what a check
 * found, what happens now. Kept apart from claims and posting so the scheduler and
 * `waba-pulse backtest` run the very same rules.
 *
 *   nothing found, nothing open          → none
 *   something found, nothing open        → open
 *   resolved, and something found that began before `freshAfter` had passed since the alert's
 *     last bad bucket ended → resume: it resolved too soon, and the same alert opens again
 *   open, its incident over (the last check was clean) and every drop or failure burst found
 *     began at least `freshAfter` after its last bad bucket ended → reopen: it resolves, and a
 *     new alert opens
 *   open, and a scope or kind not yet announced appears (a second number drops) → update, at once
 *   open, nobody answered, remindEvery since the last notice → remind
 *   open, still going on                 → keep
 *   open, a clean check                  → clean (the count grows)
 *   open, the `cleanChecksToResolve`-th clean check in a row → resolve
 * A check only counts as clean when the alerted scopes are back to what they should deliver:
 * a drop still going on whose newest half hours are not yet conclusive keeps the alert open
 * rather than closing it and opening it again.
 */
export interface EpisodeState {
  alertKey: string;
  shortId: string;
  status: 'open' | 'resolved';
  openedAt: number;
  lastNotifiedAt: number;
  reminders: number;
  cleanChecks: number;
  resolvedAt: number | null;
  /** "kind|scope kind|scope key" of everything announced so far. */
  announced: string[];
  /** Start of the first bad bucket of the episode, and end of the last one seen. */
  firstBucketStart: number;
  lastBadEnd: number;
  /**
   * Where the rule's alert before this one ended (a reopen: where this one was first found to
   * begin). Its own stretch starts no earlier, even when settled data later runs the two together.
   */
  after?: number | undefined;
  /** Times it resolved and resumed. */
  resumes?: number | undefined;
}

export type Decision =
  | { kind: 'none' }
  | { kind: 'open' }
  | { kind: 'reopen' }
  | { kind: 'resume' }
  | { kind: 'update'; added: Anomaly[] }
  | { kind: 'remind' }
  | { kind: 'keep' }
  | { kind: 'clean'; cleanChecks: number }
  | { kind: 'resolve' };

export interface LifecycleRule {
  remindEvery: number;
  cleanChecksToResolve?: number;
  /**
   * Seconds of good buckets between an open alert's last bad one and what is found now that make
   * it another incident (the checker: the clean checks to resolve × checkEvery); fewer, after an
   * alert resolved, and it resumes. Unset: never another incident while open, never a resumption.
   */
  freshAfter?: number;
}

/**
 * `quiet`: the alert was acknowledged, or is muted (no reminders). `recovered`: the alerted
 * scopes deliver what they should again (or send too little to tell).
 */
export function decide(
  episode: EpisodeState | undefined,
  found: readonly Anomaly[],
  now: number,
  rule: LifecycleRule,
  quiet: boolean,
  recovered = true,
): Decision {
  const open = episode?.status === 'open' ? episode : undefined;
  if (found.length) {
    if (!open && episode) {
      // What the last, resolved alert already told is not news again.
      if (found.every((a) => a.end <= episode.lastBadEnd)) return { kind: 'none' };
      // What would have kept it open had it not resolved is the same incident, seen going on again
      // as its buckets settled: that alert resumes, not a second one for the one drop. Any kind: a
      // stop seen in pieces is as much one incident.
      const { freshAfter } = rule;
      if (freshAfter !== undefined && found.some((a) => a.start < episode.lastBadEnd + freshAfter)) return { kind: 'resume' };
      return { kind: 'open' };
    }
    if (!open) return { kind: 'open' };
    // A pause shorter than resolving takes is the same incident; a drop that begins after the
    // alert's own had ended long enough to resolve it deserves its own message, not a silent keep.
    // Rates only: a clean check says little of a stop (any message sent counts as sending again),
    // and a low-volume stop seen in pieces was measured to split into two alerts.
    const fresh = (a: Anomaly) =>
      (a.kind === 'delivery_drop' || a.kind === 'failure_burst') && a.start >= open.lastBadEnd + rule.freshAfter!;
    if (rule.freshAfter !== undefined && open.cleanChecks > 0 && found.every(fresh)) return { kind: 'reopen' };
    const added = found.filter((a) => !open.announced.includes(anomalyKey(a)));
    if (added.length) return { kind: 'update', added };
    if (!quiet && now - open.lastNotifiedAt >= rule.remindEvery) return { kind: 'remind' };
    return { kind: 'keep' };
  }
  if (!open) return { kind: 'none' };
  if (!recovered) return { kind: 'keep' };
  const cleanChecks = open.cleanChecks + 1;
  return cleanChecks >= (rule.cleanChecksToResolve ?? 2) ? { kind: 'resolve' } : { kind: 'clean', cleanChecks };
}

/** The episode after the decision was carried out. */
export function advance(
  episode: EpisodeState | undefined,
  decision: Decision,
  found: readonly Anomaly[],
  now: number,
  ids: { alertKey: string; shortId: string },
): EpisodeState | undefined {
  const firstStart = found.length ? Math.min(...found.map((a) => a.start)) : Infinity;
  const lastEnd = found.length ? Math.max(...found.map((a) => a.end)) : -Infinity;
  switch (decision.kind) {
    case 'none':
      return episode;
    case 'open':
    case 'reopen': {
      // Its stretch starts after the alert before it ended — a reopen's where this check found it
      // begin, the checks between having judged the gap good.
      const after = episode ? (decision.kind === 'reopen' ? firstStart : episode.lastBadEnd) : undefined;
      return {
        ...(after !== undefined ? { after } : {}),
        alertKey: ids.alertKey,
        shortId: ids.shortId,
        status: 'open',
        openedAt: now,
        lastNotifiedAt: now,
        reminders: 0,
        cleanChecks: 0,
        resolvedAt: null,
        announced: [...new Set(found.map(anomalyKey))],
        firstBucketStart: Math.max(after ?? -Infinity, firstStart),
        lastBadEnd: lastEnd,
      };
    }
    case 'resume':
    case 'update':
    case 'remind':
    case 'keep': {
      const e = episode!;
      return {
        ...e,
        ...(decision.kind === 'resume' ? { status: 'open' as const, resolvedAt: null, resumes: (e.resumes ?? 0) + 1 } : {}),
        cleanChecks: 0,
        announced: [...new Set([...e.announced, ...found.map(anomalyKey)])],
        firstBucketStart: Math.max(e.after ?? -Infinity, Math.min(e.firstBucketStart, firstStart)),
        lastBadEnd: Math.max(e.lastBadEnd, lastEnd),
        ...(decision.kind === 'keep' ? {} : { lastNotifiedAt: now }),
        ...(decision.kind === 'remind' ? { reminders: e.reminders + 1 } : {}),
      };
    }
    case 'clean':
      return { ...episode!, cleanChecks: decision.cleanChecks };
    case 'resolve':
      return { ...episode!, status: 'resolved', cleanChecks: episode!.cleanChecks + 1, resolvedAt: now };
  }
}
