import type { Anomaly } from '../analytics/anomalies.js';
import { isWabaPulseError } from '../errors.js';
import { redactSecrets } from '../secrets.js';
import type { Platform } from '../store/types.js';
import type { CommandResult } from './commands.js';

/** An alert as every platform shows it: what was found, where, and the key its actions record. */
export interface AlertContent {
  /** Unguessable; buttons carry it and nothing else. */
  key: string;
  /** What people read: "A-7K3F". */
  shortId: string;
  accountId: string;
  accountName: string;
  /** What was found; severity and explanation are all an alert message shows. */
  anomalies: Array<Pick<Anomaly, 'severity' | 'explanation'>>;
  timezone: string;
  /** A resolution notice: no buttons, nothing left to acknowledge. */
  resolved?: boolean;
}

/** What became of a post: where it landed (to edit it later), or why it could not. */
export type PostOutcome = { delivered: true; ref: string } | { delivered: false; reason: 'gone' };

/**
 * What the scheduler and the alert checks need of a chat platform: post to one of its
 * conversations (a Slack channel id, a Teams conversation id).
 */
export interface ChatSurface {
  readonly platform: Platform;
  postAlert(conversation: string, alert: AlertContent): Promise<PostOutcome>;
  postReport(conversation: string, result: CommandResult & { type: 'report' }): Promise<PostOutcome>;
}

/** The one line a person sees for an error, on any platform: never a stack trace or a secret. */
export function errorMessage(err: unknown): string {
  if (isWabaPulseError(err)) return redactSecrets(`${err.message}${err.hint ? ` — ${err.hint}` : ''}`);
  return 'Something went wrong on our side; it has been logged. Try again in a minute.';
}
