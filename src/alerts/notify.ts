import type { Logger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import type { OwedWrites } from '../store/owedWrites.js';
import type { StoreWith } from '../store/types.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import type { ChatTarget, PostOutcome } from '../vocabulary/chat.js';
import type { AlertContent, AlertDelivery, AlertFollowUp } from './model.js';

export interface NotifierOptions {
  store: StoreWith<'runs' | 'alerts' | 'preferences'>;
  delivery: AlertDelivery;
  logger: Logger;
  owner: string;
  leaseMs: number;
  metrics?: { posts: { inc(labels: { platform: string; outcome: string }): void } } | undefined;
  /** Where a post's record the store could not take is owed (the checker's, made at its next tick). */
  owed: OwedWrites;
}

/** How an alert reaches its rule's conversations: each once per step, claimed, recorded where it landed. */
export class AlertNotifier {
  constructor(private readonly options: NotifierOptions) {}

  /**
   * Every target of the rule, each exactly once per step (claimed): the alert posted, or edited
   * in place with a reply in its thread. Muted or disabled targets hear nothing but the
   * resolution; a target that never got the alert (muted at the time) gets it posted whole.
   */
  async notify(
    rule: { targets: readonly ChatTarget[] },
    content: AlertContent,
    kind: 'open' | AlertFollowUp,
    now: number,
    step: string = kind,
  ): Promise<void> {
    const { store, logger, delivery } = this.options;
    for (const target of rule.targets) {
      const setting = (await store.preferences.alertSettings(target)).find((s) => s.accountId === content.accountId);
      if (setting && (!setting.enabled || (kind !== 'resolve' && (setting.mutedUntil ?? 0) > now))) continue;
      const job = `alert-post:${content.key}:${target.platform}:${target.conversation}`;
      if (!(await store.runs.claimRun(job, step, this.options.owner, now, this.options.leaseMs))) continue;
      const message = await store.alerts.alertMessage(content.key, target);
      let outcome: PostOutcome;
      try {
        if (!message) {
          if (kind === 'resolve') {
            // Never told of it: no resolution either.
            await store.runs.finishRun(job, step, { status: 'skipped', detail: 'the alert was never posted here', attempts: 0 }, now);
            continue;
          }
          outcome = await delivery.post(target, content);
        } else if (kind === 'open') {
          await store.runs.finishRun(job, step, { status: 'posted', detail: 'already posted', attempts: 0 }, now);
          continue;
        } else {
          if (kind !== 'remind') await delivery.update(target, message.ref, content);
          outcome = await delivery.reply(target, message.ref, content, kind);
        }
      } catch (err) {
        const detail = redactSecrets((err as Error).message);
        logger.warn(
          { alert: content.shortId, platform: target.platform, conversation: target.conversation, kind, err: detail },
          'alert post failed',
        );
        this.options.metrics?.posts.inc({ platform: target.platform, outcome: 'failed' });
        await store.runs.finishRun(job, step, { status: 'failed', detail, attempts: 1 }, now);
        continue;
      }
      this.options.metrics?.posts.inc({ platform: target.platform, outcome: outcome.delivered ? 'posted' : 'gone' });
      if (outcome.delivered) {
        const { ref } = outcome;
        const record = async () => {
          // Where the alert went: an action counts only in a conversation that got the alert.
          if (!message)
            await store.alerts.saveAlertMessage({
              alertKey: content.key,
              platform: target.platform,
              conversation: target.conversation,
              ref,
              postedAt: now,
            });
          await store.runs.finishRun(job, step, { status: 'posted', attempts: 1 }, now);
        };
        try {
          await record();
        } catch (err) {
          if (!isStoreUnavailable(err)) throw err;
          logger.warn(
            { alert: content.shortId, platform: target.platform, kind },
            'alert posted but not recorded: store unavailable; will record at the next tick',
          );
          // Recorded first thing at the next tick: the claim never looks abandoned, nor is the alert posted again.
          this.options.owed.owe(`${job}\u0000${step}`, record);
          throw err;
        }
      } else {
        logger.warn(
          { alert: content.shortId, platform: target.platform, conversation: target.conversation },
          'alert not posted: the conversation is gone',
        );
        await store.runs.finishRun(job, step, { status: 'failed', detail: 'the conversation is gone', attempts: 1 }, now);
      }
    }
  }
}
