import type { ChatTarget } from '../../store/types.js';
import type { PostOutcome } from '../../vocabulary/chat.js';
import type { AlertContent, AlertDelivery, AlertFollowUp } from '../model.js';

export interface DeliveredAlert {
  target: ChatTarget;
  /** post: a new message; update: edited in place; reply: a follow-up in its thread. */
  action: 'post' | 'update' | 'reply';
  followUp?: AlertFollowUp | undefined;
  alert: AlertContent;
  ref: string;
}

/** Alerts delivered nowhere but into a list: `waba-pulse backtest`'s chat, and the tests'. */
export class RecordingDelivery implements AlertDelivery {
  readonly events: DeliveredAlert[] = [];
  private counter = 0;

  async post(target: ChatTarget, alert: AlertContent): Promise<PostOutcome> {
    const ref = `message-${++this.counter}`;
    this.events.push({ target, action: 'post', alert, ref });
    return { delivered: true, ref };
  }

  async update(target: ChatTarget, ref: string, alert: AlertContent): Promise<PostOutcome> {
    this.events.push({ target, action: 'update', alert, ref });
    return { delivered: true, ref };
  }

  async reply(target: ChatTarget, ref: string, alert: AlertContent, kind: AlertFollowUp): Promise<PostOutcome> {
    this.events.push({ target, action: 'reply', followUp: kind, alert, ref });
    return { delivered: true, ref: `${ref}/reply-${++this.counter}` };
  }
}
