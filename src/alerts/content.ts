import type { Anomaly } from '../analytics/anomalies.js';
import { detectionSettings } from '../analytics/detectionSettings.js';
import { rankAnomalies } from '../analytics/ranking.js';
import { clockTime, formatRate } from '../report/format.js';
import { isHealthKind } from '../vocabulary/anomalyKinds.js';
import { anomalyKey, parseAnomalyKey, scopeKeyOf } from './judge/anomalyKey.js';
import { type AlertRuleView, deliversAsExpected, type Judgement, recoveryCap, ruleDetection } from './judge/graph.js';
import type { HealthUndo } from './judge/health.js';
import type { EpisodeState } from './lifecycle.js';
import type { AlertChartData, AlertLine } from './model.js';

/**
 * What an alert says, made from what was judged: its lines, its small chart, and — when it
 * resolves — what recovered and to what. Pure: an episode and a judgement in, content out.
 */

/** Every scope the episode alerted on delivers what it should again, or says too little to tell. */
export function recovered(
  episode: EpisodeState,
  judgement: Judgement,
  rule: Pick<AlertRuleView, 'minSent' | 'sensitivity' | 'rateFloor'>,
): boolean {
  const { minSent } = rule;
  const cap = recoveryCap(detectionSettings(ruleDetection(rule)));
  return episode.announced.every((key) => {
    const { kind, scopeKind, scopeKey } = parseAnomalyKey(key);
    const now = judgement.now.find((s) => s.scope.kind === scopeKind && (s.scope.key ?? '') === scopeKey);
    if (!now) return true;
    // Sending again after the stop's last bad bucket; silence since is the stop still going on,
    // however little the scope usually sends then (a stop seen in pieces is one alert).
    if (kind === 'volume_drop') return now.lastSentEnd === undefined ? now.sent > 0 : (now.lastSentEnd ?? 0) > episode.lastBadEnd;
    // Failures back near their usual rate (1 − failure rate, as delivery), however few were sent.
    if (kind === 'failure_burst') return deliversAsExpected(now, 0) ?? true;
    return kind !== 'delivery_drop' || (deliversAsExpected(now, minSent, undefined, cap) ?? true);
  });
}

export function line(a: Anomaly, isNew = false): AlertLine {
  return {
    severity: a.severity,
    explanation: a.explanation,
    kind: a.kind,
    scope: { kind: a.scope.kind, key: a.scope.key, label: a.scope.label },
    start: a.start,
    end: a.end,
    // The checker alerts only on what reaches the newest hour.
    ongoing: true,
    // A health problem is a state, measured by nothing: its explanation says it.
    ...(isHealthKind(a.kind) ? {} : { observed: a.observed, expected: a.expected }),
    ...(a.code !== undefined ? { code: a.code } : {}),
    ...(isNew ? { new: true } : {}),
  };
}

/**
 * Where the episode's bad stretch really ended, as the day's settled data now shows it: young
 * buckets judged on arrival can look bad for a while after a drop has ended.
 */
export function settledEnd(episode: EpisodeState, judgement: Judgement): number {
  const announced = new Set(episode.announced);
  let end = 0;
  for (const a of judgement.recent) {
    if (announced.has(anomalyKey(a)) && a.end > episode.firstBucketStart) end = Math.max(end, a.end);
  }
  return end > 0 ? Math.min(end, episode.lastBadEnd) : episode.lastBadEnd;
}

/** The alert's small chart: its headline anomaly's scope (the one headline rule), over the last hours. */
export function chartData(found: readonly Anomaly[], judgement: Judgement): AlertChartData | undefined {
  const [primary] = rankAnomalies(found);
  if (primary?.kind !== 'delivery_drop' && primary?.kind !== 'failure_burst') return undefined;
  const scope = judgement.now.find((s) => s.scope.kind === primary.scope.kind && s.scope.key === primary.scope.key);
  if (!scope?.trail?.length) return undefined;
  return {
    label: primary.scope.kind === 'account' ? primary.scope.label.replace(/^./, (c) => c.toUpperCase()) : primary.scope.label,
    measure: primary.kind === 'failure_burst' ? 'failures' : 'delivery',
    points: scope.trail,
    badStart: primary.start,
    badEnd: primary.end,
  };
}

/**
 * What recovered, scope by scope, and what it delivers now (or, for health, what undid it).
 * `again`: what opened a new alert as this one resolves — a scope dropping anew is said to have
 * recovered in between, not to deliver what its new drop delivers.
 */
export function recoveryLines(
  episode: EpisodeState,
  judgement: Judgement & { undone?: readonly HealthUndo[] },
  again?: { found: readonly Anomaly[]; timezone: string },
): AlertLine[] {
  const lines: AlertLine[] = [];
  const seen = new Set<string>();
  for (const key of episode.announced) {
    const { kind, scopeKind, scopeKey } = parseAnomalyKey(key);
    if (isHealthKind(kind)) {
      const undo = judgement.undone?.find((u) => u.key === key);
      lines.push({
        severity: 'warning',
        kind,
        explanation: undo?.explanation ?? `${scopeKey || 'The account'}: no longer reported`,
        scope: { kind: scopeKind, key: scopeKey || null, label: undo?.scope.label ?? scopeKey },
        ...(undo ? { end: undo.at } : {}),
      });
      continue;
    }
    if (seen.has(scopeKeyOf({ scopeKind, scopeKey }))) continue;
    seen.add(scopeKeyOf({ scopeKind, scopeKey }));
    const now = judgement.now.find((s) => s.scope.kind === scopeKind && (s.scope.key ?? '') === scopeKey);
    const label = now?.scope.label ?? (scopeKind === 'account' ? 'all traffic' : scopeKey);
    // Delivery drops and failure bursts are judged on the delivered side; sending on its volume.
    const delivery = kind === 'delivery_drop' || kind === 'failure_burst';
    const observed = delivery ? (now?.rate ?? undefined) : now ? now.sent / 2 : undefined;
    const where = scopeKind === 'account' ? 'across the account' : `on ${label}`;
    const anew = again?.found.find((a) => a.kind === kind && a.scope.kind === scopeKind && (a.scope.key ?? '') === scopeKey);
    if (anew) {
      lines.push({
        severity: 'warning',
        explanation: `${delivery ? 'Delivery' : 'Sending'} ${where} recovered, then fell again from ${clockTime(anew.start, again!.timezone, episode.lastBadEnd)}: a new alert tells of it.`,
        kind: kind as AlertLine['kind'],
        scope: { kind: scopeKind as 'account', key: scopeKey || null, label },
      });
      continue;
    }
    lines.push({
      severity: 'warning',
      explanation:
        kind === 'failure_burst'
          ? `Failures ${where} are back to ${formatRate(now?.rate == null ? null : 1 - now.rate)}.`
          : delivery
            ? `Delivery ${where} is back to ${formatRate(now?.rate ?? null)}.`
            : `Sending ${where} has resumed.`,
      kind: kind as AlertLine['kind'],
      scope: { kind: scopeKind as 'account', key: scopeKey || null, label },
      ...(observed !== undefined ? { observed } : {}),
      ...(delivery && now?.expected != null ? { expected: now.expected } : {}),
    });
  }
  return lines;
}
