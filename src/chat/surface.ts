import type { Anomaly } from '../analytics/anomalies.js';
import { isWabaPulseError } from '../errors.js';
import { redactSecrets } from '../secrets.js';
import type { CommandResult } from './commands.js';

/** An alert as every platform shows it: what was found, where, and the key its actions record. */
export interface AlertContent {
  key: string;
  accountId: string;
  accountName: string;
  /** What was found; severity and explanation are all an alert message shows. */
  anomalies: Array<Pick<Anomaly, 'severity' | 'explanation'>>;
  timezone: string;
  /** A resolution notice: no buttons, nothing left to acknowledge. */
  resolved?: boolean;
}

/**
 * What the scheduler and the alert checks need of a chat platform: post to one of its
 * conversations (a Slack channel id, a Teams conversation id). Falsy when the conversation is gone.
 */
export interface ChatSurface {
  postAlert(conversation: string, alert: AlertContent): Promise<unknown>;
  postReport(conversation: string, result: CommandResult & { type: 'report' }): Promise<unknown>;
}

/** The one line a person sees for an error, on any platform: never a stack trace or a secret. */
export function errorMessage(err: unknown): string {
  if (isWabaPulseError(err)) return redactSecrets(`${err.message}${err.hint ? ` — ${err.hint}` : ''}`);
  return 'Something went wrong on our side; it has been logged. Try again in a minute.';
}
