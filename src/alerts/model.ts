import type { Anomaly } from '../analytics/anomalies.js';
import type { ChatTarget, PostOutcome } from '../vocabulary/chat.js';
import type { HealthNote } from './judge/health.js';

/** One line of an alert: an anomaly as found, or (resolved) what recovered. */
export interface AlertLine extends Pick<Anomaly, 'severity' | 'explanation'> {
  kind?: Anomaly['kind'] | undefined;
  scope?: Pick<Anomaly['scope'], 'kind' | 'key' | 'label'> | undefined;
  /** Announced by this update: rendered marked as new. */
  new?: boolean | undefined;
  /** The first bad bucket's start and the last one's end (UNIX seconds). */
  start?: number | undefined;
  end?: number | undefined;
  /** It reaches the newest hour checked. */
  ongoing?: boolean | undefined;
  /** Delivery rate (0..1), or messages per half hour for sending; resolved: as it is now. */
  observed?: number | undefined;
  expected?: number | undefined;
  /** failure_burst: the commonest error code. */
  code?: number | undefined;
}

/** Who did what to an alert, worded by each platform with the person's name. */
export interface AlertStatusLine {
  action: 'acknowledged' | 'muted';
  /** The platform's user id. */
  by: string;
  /** How the platform shows the person ("<@U123>", "Alice"). */
  byName?: string | undefined;
  at: number;
  mutedUntil?: number | undefined;
  durationMs?: number | undefined;
  timezone: string;
}

/** A few hours of the alert's main scope, for its small chart. */
export interface AlertChartData {
  label: string;
  /** What `rate` is: the delivery rate (Graph, half hours) or the failure rate (status webhooks, minutes). */
  measure?: 'delivery' | 'failures' | undefined;
  points: Array<{ start: number; rate: number | null; expected: number | null; sent: number }>;
  /** The bad stretch, shaded. */
  badStart: number;
  badEnd: number;
}

/** An alert as every platform shows it: what was found, where, and the key its actions record. */
export interface AlertContent {
  /** Unguessable; buttons carry it and nothing else. */
  key: string;
  /** What people read: "A-7K3F". */
  shortId: string;
  accountId: string;
  accountName: string;
  /** What was found (or, resolved, what recovered). */
  anomalies: AlertLine[];
  timezone: string;
  /** A resolution notice: no buttons, nothing left to acknowledge. */
  resolved?: boolean;
  /** When it opened (ms), and its bad stretch (UNIX seconds): times in messages agree with reports. */
  openedAt?: number | undefined;
  firstBucketStart?: number | undefined;
  lastBadEnd?: number | undefined;
  /** Acknowledged or muted, and by whom: kept across redraws until undone. */
  status?: AlertStatusLine | undefined;
  chart?: AlertChartData | undefined;
  /** A drop alert's account was flagged, had a quality fall or a template paused in the last day. */
  healthNote?: HealthNote | undefined;
}

/**
 * A short follow-up under a posted alert. `escalate`: an update that makes the alert critical;
 * `resume`: a resolved alert whose drop goes on after all, open again.
 */
export type AlertFollowUp = 'update' | 'escalate' | 'remind' | 'resolve' | 'resume';

/** Follow-ups said in the channel too, where a thread reply alone would go unseen. */
export function saidInChannel(kind: AlertFollowUp): boolean {
  return kind === 'escalate' || kind === 'resume';
}

/** How alerts reach people: a chat platform's posts, or a recording of them (backtests). */
export interface AlertDelivery {
  post(target: ChatTarget, alert: AlertContent): Promise<PostOutcome>;
  update(target: ChatTarget, ref: string, alert: AlertContent): Promise<PostOutcome>;
  reply(target: ChatTarget, ref: string, alert: AlertContent, kind: AlertFollowUp): Promise<PostOutcome>;
}
