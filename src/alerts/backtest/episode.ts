import type { Anomaly, AnomalyScope } from '../../analytics/anomalies.js';
import { rankAnomalies } from '../../analytics/ranking.js';
import { clockTime, formatCount, formatRate } from '../../report/format.js';
import { anomalyKey } from '../judge/anomalyKey.js';

/**
 * How a backtest episode is named, as the live alert is: by the anomaly that opened it (the
 * headline of what the opening check found, by the one ranking rule). A later, different incident
 * joining the open episode does not rename it — the lifecycle announces it as an update, and the
 * episode says so after its headline: "… Then +1 631 555 1000 at 75.4% (expected 96.2%) from 13:00."
 * Pure: the replay feeds it each check's findings.
 */
export interface EpisodeName {
  scope: Pick<AnomalyScope, 'kind' | 'key' | 'label'>;
  kind: Anomaly['kind'];
  /** Critical once anything in the episode was. */
  severity: Anomaly['severity'];
  observed: number;
  expected: number;
  explanation: string;
  /** The headline anomaly's own span as last seen (its later sightings of the same incident extend it). */
  start: number;
  end: number;
  /** What joined after the opening check, in order. */
  joined: JoinedIncident[];
  /**
   * What the opening check found (kind|scope and its span as last seen): the opening incident.
   * The same scope dropping again after its span ended is another incident.
   */
  opening: OpeningSpan[];
  /** The headline's own explanation, without what joined. */
  headlineExplanation: string;
}

export interface OpeningSpan {
  key: string;
  start: number;
  end: number;
}

/** The opening span `a` continues (same kind and scope, overlapping or adjacent), if any. */
export function openingOf(name: Pick<EpisodeName, 'opening'>, a: Anomaly): OpeningSpan | undefined {
  const key = anomalyKey(a);
  return name.opening.find((o) => o.key === key && a.start <= o.end && a.end >= o.start);
}

export interface JoinedIncident {
  key: string;
  kind: Anomaly['kind'];
  scope: Pick<AnomalyScope, 'kind' | 'key' | 'label'>;
  start: number;
  end: number;
  observed: number;
  expected: number;
  severity: Anomaly['severity'];
}

function scopeOf(a: Anomaly): Pick<AnomalyScope, 'kind' | 'key' | 'label'> {
  return { kind: a.scope.kind, key: a.scope.key, label: a.scope.label };
}

/** The name of an episode its opening check found `found` for. */
export function openedBy(found: readonly Anomaly[]): EpisodeName {
  const head = rankAnomalies(found)[0]!;
  return {
    scope: scopeOf(head),
    kind: head.kind,
    severity: found.some((a) => a.severity === 'critical') ? 'critical' : head.severity,
    observed: head.observed,
    expected: head.expected,
    explanation: head.explanation,
    headlineExplanation: head.explanation,
    start: head.start,
    end: head.end,
    joined: [],
    opening: found.map((a) => ({ key: anomalyKey(a), start: a.start, end: a.end })),
  };
}

/**
 * The name after a later check of the open episode: the headline's numbers follow its own
 * incident; anything else new — another scope or kind, or the headline's scope again after it had
 * ended — joins, and is said after the headline.
 */
export function followCheck(name: EpisodeName, found: readonly Anomaly[], tz: string): EpisodeName {
  const next: EpisodeName = { ...name, joined: name.joined.map((j) => ({ ...j })), opening: name.opening.map((o) => ({ ...o })) };
  const headKey = anomalyKey({ kind: name.kind, scope: name.scope });
  for (const a of found) {
    if (a.severity === 'critical') next.severity = 'critical';
    const key = anomalyKey(a);
    const sameIncident = (start: number, end: number) => a.start <= end && a.end >= start;
    if (key === headKey && sameIncident(next.start, next.end)) {
      Object.assign(next, { observed: a.observed, expected: a.expected, headlineExplanation: a.explanation });
      next.start = Math.min(next.start, a.start);
      next.end = Math.max(next.end, a.end);
      continue;
    }
    const opening = openingOf(next, a);
    if (opening) opening.end = Math.max(opening.end, a.end);
    const known = next.joined.find((j) => j.key === key && sameIncident(j.start, j.end));
    if (known) {
      Object.assign(known, { end: Math.max(known.end, a.end), observed: a.observed, expected: a.expected, severity: a.severity });
      continue;
    }
    // Overlapping the headline's incident it is a related scope of it (as live alerts group them),
    // named under "also"; only what began after it is another incident.
    if (a.start < next.end || opening) continue;
    next.joined.push({
      key,
      kind: a.kind,
      scope: scopeOf(a),
      start: a.start,
      end: a.end,
      observed: a.observed,
      expected: a.expected,
      severity: a.severity,
    });
  }
  next.explanation = [
    next.headlineExplanation,
    ...joinedIncidents(next.joined).map((j) => `Then ${joinedPhrase(j, tz, next.start)}.`),
  ].join(' ');
  return next;
}

/** Joined lines that overlap in time are one incident, named by its first by the ranking rule. */
function joinedIncidents(joined: readonly JoinedIncident[]): JoinedIncident[] {
  const groups: JoinedIncident[][] = [];
  for (const j of [...joined].sort((a, b) => a.start - b.start)) {
    const group = groups.find((g) => g.some((o) => j.start < o.end && o.start < j.end));
    if (group) group.push(j);
    else groups.push([j]);
  }
  return groups.map((g) => rankAnomalies(g)[0]!);
}

/** "+1 631 555 1000 at 75.4% (expected 96.2%) from 13:00 IST". */
function joinedPhrase(j: JoinedIncident, tz: string, reference: number): string {
  const where = j.scope.kind === 'account' ? 'all traffic' : j.scope.label;
  const at = clockTime(j.start, tz, reference);
  if (j.kind === 'volume_drop')
    return `${where} ${j.observed < 1 ? 'stopped sending' : `sent ${formatCount(Math.round(j.observed))} per half hour`} (usually ~${formatCount(Math.round(j.expected))}) from ${at}`;
  if (j.kind === 'volume_spike') return `${where} spiked to ${formatCount(Math.round(j.observed))} per half hour from ${at}`;
  if (j.kind === 'failure_burst') return `${where} failing ${formatRate(j.observed)} (usually ${formatRate(j.expected)}) from ${at}`;
  return `${where} at ${formatRate(j.observed)} (expected ${formatRate(j.expected)}) from ${at}`;
}
