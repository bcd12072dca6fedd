import type { Router } from 'express';
import type { Anomaly } from '../analytics/anomalies.js';
import { ConfigError, isWabaPulseError, StoreError, StoreUnavailableError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import type { Platform } from '../store/types.js';
import type { CommandResult } from './context.js';

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
}

/** What became of a post: where it landed (to edit it later), or why it could not. */
export type PostOutcome = { delivered: true; ref: string } | { delivered: false; reason: 'gone' };

/**
 * A chat platform, whole: what `serve` mounts and starts, and what the scheduler and the alert
 * checks post through (to a Slack channel id, a Teams conversation id). A new platform is one
 * folder under `src/chat/` implementing this, plus its entry in `platforms.ts`.
 */
export interface ChatSurface {
  readonly platform: Platform;
  /** One word for /healthz and the start-up line: "http", "socket", "on". */
  readonly mode: string;
  /** Add its routes (events, interactivity, bot endpoint) to the service's HTTP app. */
  mount(web: Router): void;
  /** Connect (check the token, open a socket); a refusal is thrown as a typed error. */
  start(): Promise<void>;
  stop(): Promise<void>;
  postAlert(conversation: string, alert: AlertContent): Promise<PostOutcome>;
  /** Redraw a posted alert in place (new scopes, resolution). */
  updateAlert(conversation: string, ref: string, alert: AlertContent): Promise<PostOutcome>;
  /** A short follow-up under the alert (its Slack thread; a reply in a Teams channel thread). */
  replyToAlert(conversation: string, ref: string, alert: AlertContent, kind: AlertFollowUp): Promise<PostOutcome>;
  postReport(conversation: string, result: CommandResult & { type: 'report' }): Promise<PostOutcome>;
}

export type AlertFollowUp = 'update' | 'remind' | 'resolve';

/**
 * The one line a person sees for an error, on any platform: never a stack trace or a secret. The
 * store's and the setup's errors name hosts, databases and variables only the operator can act
 * on: chat says what happened in its own words, and the detail stays in the operator's log.
 */
/**
 * What the operator's log says of a command that did not give its answer: a person's mistake
 * (a typo, an account they may not see) at info, one line, no stack; a known failure (Graph
 * down, a token refused, the database away) at warn with its code and detail; anything else at
 * error with its stack.
 */
export function logCommandFailure(log: Logger, err: unknown, what: Record<string, unknown>): void {
  if (err instanceof UsageError) log.info({ ...what, code: err.code, reason: redactSecrets(err.message) }, 'chat command refused');
  // The operator's log keeps what chat leaves out (a database host, which variable is missing).
  else if (isWabaPulseError(err)) log.warn({ ...what, code: err.code, err }, 'chat command failed');
  else log.error({ ...what, err }, 'chat command failed');
}

export function errorMessage(err: unknown): string {
  if (err instanceof StoreUnavailableError) return 'waba-pulse cannot reach its database right now; try again in a minute.';
  if (err instanceof ConfigError) return 'waba-pulse is missing part of its setup for that; whoever runs it can see what in its log.';
  if (isWabaPulseError(err) && !(err instanceof StoreError)) return redactSecrets(`${err.message}${err.hint ? ` — ${err.hint}` : ''}`);
  return 'Something went wrong on our side; it has been logged. Try again in a minute.';
}
