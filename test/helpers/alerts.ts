import { newAlertKey, newShortId } from '../../src/alerts/keys.js';
import type { AlertContent } from '../../src/alerts/model.js';
import type { ChatSurface } from '../../src/chat/surface.js';
import type { Platform, StoreWith } from '../../src/store/types.js';

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
