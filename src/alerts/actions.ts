import { type ChartedReport, chartedReport, type ReportDeps } from '../compose/request.js';
import { type Requester, visibleAccounts } from '../config/access.js';
import { lookupAccount } from '../config/accounts.js';
import type { Logger } from '../log.js';
import type { StoredAlert, StoreWith } from '../store/types.js';
import type { AlertContent, AlertStatusLine } from './model.js';

/**
 * What an alert button does, the same for Slack and Teams. A click is trusted for nothing but
 * which button and which alert key: the alert must be one we stored, posted to the
 * conversation the click came from, about an account that conversation may see; the message
 * is then redrawn from the store, never from what the client sent back.
 */
/** What a button needs: what a report needs, and the store its alerts and settings are kept in. */
export interface ActionContext extends ReportDeps {
  store: StoreWith<'alerts' | 'preferences' | 'statuses'>;
}

export const ALERT_ACTION_IDS = ['ack', 'mute_1h', 'mute_24h', 'by_phone', 'undo'] as const;
export type AlertActionId = (typeof ALERT_ACTION_IDS)[number];

const MUTES: Partial<Record<AlertActionId, number>> = { mute_1h: 3_600_000, mute_24h: 86_400_000 };

/** Keys are 16 base64url characters (96 random bits); anything else is refused unread. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{16}$/;

export type AlertActionOutcome =
  | { ok: true; kind: 'status'; alert: AlertContent }
  | { ok: true; kind: 'report'; alert: AlertContent; result: ChartedReport }
  | { ok: false; message: string };

export function isAlertActionId(value: unknown): value is AlertActionId {
  return typeof value === 'string' && (ALERT_ACTION_IDS as readonly string[]).includes(value);
}

/** The alert's content as stored: what every redraw uses. */
export function storedContent(alert: StoredAlert): AlertContent {
  return alert.content;
}

const refused = (message: string): AlertActionOutcome => ({ ok: false, message });

export async function applyAlertAction(
  ctx: ActionContext,
  who: Requester,
  input: { key?: unknown; action?: unknown; byName?: string | undefined },
  log: Logger,
): Promise<AlertActionOutcome> {
  if (!isAlertActionId(input.action)) {
    log.warn({ conversation: who.conversation }, 'alert action refused: unknown action');
    return refused('That button is not one of mine; nothing was changed.');
  }
  if (typeof input.key !== 'string' || !KEY_PATTERN.test(input.key)) {
    log.warn({ conversation: who.conversation, action: input.action }, 'alert action refused: malformed key');
    return refused('That alert is not one I know; nothing was changed.');
  }
  const stored = await ctx.store.alerts.alert(input.key);
  const posted = stored
    ? await ctx.store.alerts.alertMessage(input.key, { platform: who.platform, conversation: who.conversation })
    : undefined;
  if (!stored || !posted) {
    log.warn({ conversation: who.conversation, action: input.action }, 'alert action refused: alert unknown or not posted here');
    return refused('That alert is not one I know in this conversation; nothing was changed.');
  }
  if (!visibleAccounts(ctx.config, who).some((a) => a.id === stored.accountId)) {
    log.warn({ conversation: who.conversation, action: input.action }, 'alert action refused: account not visible here');
    return refused("This conversation may not act on that account's alerts; nothing was changed.");
  }
  const alert = storedContent(stored);
  const account = lookupAccount(ctx.config.accounts, stored.accountId);
  if (input.action === 'by_phone') {
    if (!account) return refused('That account is no longer configured.');
    const result = await chartedReport(ctx, account, { range: { preset: 'today' }, by: 'phone' });
    return { ok: true, kind: 'report', alert, result };
  }
  const now = ctx.now();
  const timezone = account?.timezone ?? alert.timezone;
  const target = { platform: who.platform, conversation: who.conversation };
  let status: AlertStatusLine | undefined;
  if (input.action === 'undo') {
    // Back to open: reminders resume; a mute set from this alert is lifted here.
    await ctx.store.alerts.recordAlertAction(stored.key, { status: 'open', by: who.user, at: now });
    if (alert.status?.action === 'muted') await ctx.store.preferences.muteAlerts(target, stored.accountId, now);
  } else if (input.action === 'ack') {
    await ctx.store.alerts.recordAlertAction(stored.key, { status: 'acknowledged', by: who.user, at: now });
    status = { action: 'acknowledged', by: who.user, byName: input.byName, at: now, timezone };
  } else {
    const durationMs = MUTES[input.action]!;
    const until = now + durationMs;
    await ctx.store.alerts.recordAlertAction(stored.key, { status: 'muted', by: who.user, at: now, mutedUntil: until });
    await ctx.store.preferences.muteAlerts(target, stored.accountId, until);
    status = { action: 'muted', by: who.user, byName: input.byName, at: now, mutedUntil: until, durationMs, timezone };
  }
  // Kept with the alert, so every later redraw (a new scope, a reminder) still shows it.
  const updated: AlertContent = { ...alert, status };
  await ctx.store.alerts.saveAlert({ ...stored, content: updated, updatedAt: now });
  return { ok: true, kind: 'status', alert: updated };
}
