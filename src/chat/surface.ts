import type { Router } from 'express';
import type { AlertContent, AlertFollowUp } from '../alerts/model.js';
import type { ChartedReport } from '../compose/request.js';
import { ConfigError, isWabaPulseError, StoreError, StoreUnavailableError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import type { Platform, PostOutcome } from '../vocabulary/chat.js';

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
  postReport(conversation: string, result: ChartedReport): Promise<PostOutcome>;
}

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
