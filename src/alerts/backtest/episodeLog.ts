import type { Anomaly, AnomalyScope } from '../../analytics/anomalies.js';
import type { CheckOutcome } from '../checker.js';
import { anomalyKey } from '../judge/anomalyKey.js';
import { type EpisodeName, followCheck, openedBy, openingOf } from './episode.js';

/** One alert as a backtest saw it raised: the live lifecycle's thread, from opening to resolution. */
export interface BacktestEpisode {
  alertKey: string;
  shortId: string;
  /** The headline: the worst anomaly of the episode. */
  scope: Pick<AnomalyScope, 'kind' | 'key' | 'label'>;
  kind: Anomaly['kind'];
  severity: Anomaly['severity'];
  /** Every scope the episode named. */
  scopes: Array<Pick<AnomalyScope, 'kind' | 'key' | 'label'>>;
  /** UNIX seconds: the first bad bucket's start and end. */
  firstBucketStart: number;
  firstBucketEnd: number;
  /** UNIX ms. */
  openedAt: number;
  resolvedAt: number | null;
  reminders: number;
  updates: number;
  /** Times it resolved too soon and opened again (the same alert). */
  resumes: number;
  observed: number;
  expected: number;
  explanation: string;
  /** Everything the episode found, by scope and kind, with the span each covered. */
  found: Array<Pick<Anomaly, 'kind' | 'start' | 'end'> & { scope: Pick<AnomalyScope, 'kind' | 'key' | 'label'>; seenAt: number }>;
}

/** What the episode found, by scope and kind, with the span each covered. */
function remember(found: BacktestEpisode['found'], a: Anomaly, now: number, floor: number): void {
  const known = found.find((f) => f.kind === a.kind && f.scope.kind === a.scope.kind && f.scope.key === a.scope.key);
  // A reopened episode's spans start after the one before it ended (as the live alert's stretch does).
  const start = Math.max(floor, a.start);
  if (known) {
    known.start = Math.min(known.start, start);
    known.end = Math.max(known.end, a.end);
  } else
    found.push({
      kind: a.kind,
      start,
      end: a.end,
      scope: { kind: a.scope.kind, key: a.scope.key, label: a.scope.label },
      seenAt: now,
    });
}

/** What an episode is named by (see episode.ts). */
function headline(name: EpisodeName): Pick<BacktestEpisode, 'scope' | 'kind' | 'severity' | 'observed' | 'expected' | 'explanation'> {
  const { scope, kind, severity, observed, expected, explanation } = name;
  return { scope, kind, severity, observed, expected, explanation };
}

/**
 * A replay's alert episodes, kept from each check's outcome as the live lifecycle posts them: an
 * open or reopen starts one, a resolution ends it, a resumption carries the last one on.
 */
export class EpisodeLog {
  readonly episodes: BacktestEpisode[] = [];
  private current: BacktestEpisode | undefined;
  /** The open episode's name, kept after it resolves: a resumption carries the last one on. */
  private name: EpisodeName | undefined;
  private readonly seen = new Set<string>();
  /** The open episode's earliest start (the lifecycle's `after`): where the one before it ended. */
  private floor = -Infinity;

  constructor(
    private readonly bucketSeconds: number,
    private readonly tz: string,
  ) {}

  /** An alert is open: checks may change something even when nothing is found. */
  get open(): boolean {
    return this.current !== undefined;
  }

  record(outcome: CheckOutcome, now: number): void {
    const found = outcome.found ?? [];
    // Another incident after the open one had ended: that episode resolves now, this one opens.
    if (outcome.decision === 'reopen' && this.current) this.current.resolvedAt = now;
    // Only the last episode, resolved, can resume (the lifecycle resumes the rule's last alert).
    if (outcome.decision === 'resume') {
      this.current = this.episodes.at(-1);
      if (this.current) {
        this.current.resolvedAt = null;
        this.current.resumes++;
      }
    }
    if (outcome.decision === 'open' || outcome.decision === 'reopen') this.start(outcome, found, now);
    const current = this.current;
    if (!current || !this.name) return;
    for (const a of found) {
      const key = anomalyKey(a);
      if (!this.seen.has(key)) current.scopes.push({ kind: a.scope.kind, key: a.scope.key, label: a.scope.label });
      this.seen.add(key);
      remember(current.found, a, now, this.floor);
      // Only the opening incident moves the episode's first bad bucket: a later one joins it.
      if (openingOf(this.name, a) && Math.max(this.floor, a.start) < current.firstBucketStart) {
        current.firstBucketStart = Math.max(this.floor, a.start);
        current.firstBucketEnd = current.firstBucketStart + this.bucketSeconds;
      }
    }
    if (found.length) {
      this.name = followCheck(this.name, found, this.tz);
      Object.assign(current, headline(this.name));
    }
    if (outcome.decision === 'remind') current.reminders++;
    if (outcome.decision === 'update') current.updates++;
    if (outcome.decision === 'resolve') {
      current.resolvedAt = now;
      this.current = undefined;
    }
  }

  private start(outcome: CheckOutcome, found: readonly Anomaly[], now: number): void {
    this.seen.clear();
    this.floor = outcome.after ?? -Infinity;
    // Named by what opened it; its first bad bucket is the opening incident's.
    this.name = openedBy(found);
    const first = found.reduce((a, b) => (b.start < a.start ? b : a), found[0]!);
    this.current = {
      alertKey: outcome.alert!.key,
      shortId: outcome.alert!.shortId,
      ...headline(this.name),
      scopes: [],
      firstBucketStart: first.start,
      firstBucketEnd: Math.min(first.end, first.start + this.bucketSeconds),
      openedAt: now,
      resolvedAt: null,
      reminders: 0,
      updates: 0,
      resumes: 0,
      found: [],
    };
    this.episodes.push(this.current);
  }
}
