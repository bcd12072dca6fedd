import type { Judgement } from '../../src/alerts/judge/graph.js';
import { newAlertKey, newShortId } from '../../src/alerts/keys.js';
import type { EpisodeState } from '../../src/alerts/lifecycle.js';
import type { AlertContent } from '../../src/alerts/model.js';
import type { Anomaly, AnomalyScope } from '../../src/analytics/anomalies.js';
import { arrivedAt, DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import type { ChatSurface } from '../../src/chat/surface.js';
import type { Platform, StoreWith } from '../../src/store/types.js';
import type { DataPoint } from '../../src/vocabulary/series.js';

/**
 * What Graph shows of final counts at `nowS`: nothing after it, and buckets younger than
 * `settleMs` with the share of their deliveries the default settle curve says has arrived.
 */
export function seenAt(points: readonly DataPoint[], nowS: number, settleMs: number): DataPoint[] {
  return points
    .filter((p) => p.end <= nowS)
    .map((p) => {
      const age = (nowS - p.end) / 60;
      return age * 60_000 >= settleMs ? p : { ...p, delivered: Math.round(p.delivered * arrivedAt(DEFAULT_SETTLE_CURVE, age).fraction) };
    });
}

/** An open alert's episode, opened at 0 and announcing nothing unless `over` says otherwise. */
export function openEpisode(over: Partial<EpisodeState> = {}): EpisodeState {
  return {
    alertKey: 'k',
    shortId: 'A-TEST',
    status: 'open',
    openedAt: 0,
    lastNotifiedAt: 0,
    reminders: 0,
    cleanChecks: 0,
    resolvedAt: null,
    announced: [],
    firstBucketStart: 0,
    lastBadEnd: 0,
    ...over,
  };
}

/** An alert as the alert checks raise one: stored under a fresh key, for posting and clicking. */
export async function raiseAlert(
  store: StoreWith<'alerts'>,
  content: Omit<AlertContent, 'key' | 'shortId'>,
  now: number,
): Promise<AlertContent> {
  const alert: AlertContent = { ...content, key: newAlertKey(), shortId: newShortId() };
  await store.alerts.saveAlert({
    key: alert.key,
    shortId: alert.shortId,
    rule: 'test-rule',
    accountId: alert.accountId,
    status: 'open',
    content: alert,
    openedAt: now,
    updatedAt: now,
  });
  return alert;
}

/** Post a raised alert through a surface and record where it landed, as the alert checks do. */
export async function postRaised(
  store: StoreWith<'alerts'>,
  surface: ChatSurface & { platform: Platform },
  conversation: string,
  alert: AlertContent,
  now: number,
): Promise<string | undefined> {
  const outcome = await surface.postAlert(conversation, alert);
  if (!outcome.delivered) return undefined;
  await store.alerts.saveAlertMessage({ alertKey: alert.key, platform: surface.platform, conversation, ref: outcome.ref, postedAt: now });
  return outcome.ref;
}

/** A delivery drop to 70% (from 96%) of 1,000 sent on `scope` over [start, end) in UNIX seconds, as the detector reports one. */
export function dropTo70(scope: AnomalyScope, start: number, end: number): Anomaly {
  return {
    kind: 'delivery_drop',
    scope,
    start,
    end,
    detectedAt: end,
    observed: 0.7,
    expected: 0.96,
    expectedLow: 0.94,
    expectedHigh: 0.97,
    severity: 'critical',
    sent: 1000,
    delivered: 700,
    explanation: `Delivery on ${scope.label} fell to 70.0%.`,
  };
}

/**
 * The detector's view scripted check by check: what is going on at each check time ("HH:MM"
 * UTC), and the scope delivering 70% while it is, 96% (as expected) otherwise.
 */
export function scriptedJudgement(script: Record<string, Anomaly[]>, scope: AnomalyScope, nowMs: number): Judgement {
  const ongoing = script[new Date(nowMs).toISOString().slice(11, 16)] ?? [];
  return { ongoing, recent: ongoing, now: [{ scope, rate: ongoing.length ? 0.7 : 0.96, expected: 0.96, sent: 1000 }] };
}
