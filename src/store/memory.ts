import { randomUUID } from 'node:crypto';
import type { AlertAction, AlertSetting, ChatTarget, ConversationRecord, Store, Subscription } from './types.js';

const sameTarget = (a: ChatTarget, b: ChatTarget) => a.platform === b.platform && a.conversation === b.conversation;

/** The store in process memory: for a single process that may forget on restart, and for tests. */
export class MemoryStore implements Store {
  private subscriptions: Subscription[] = [];
  private settings: AlertSetting[] = [];
  private actions = new Map<string, AlertAction[]>();
  private conversations = new Map<string, ConversationRecord>();

  async addSubscription(subscription: Omit<Subscription, 'id' | 'createdAt'>, now: number): Promise<Subscription> {
    // One subscription per target, account and period: subscribing again updates the time.
    this.subscriptions = this.subscriptions.filter((s) => !(sameTarget(s, subscription) && s.accountId === subscription.accountId && s.every === subscription.every));
    const stored: Subscription = { ...subscription, id: randomUUID(), createdAt: now };
    this.subscriptions.push(stored);
    return stored;
  }

  async removeSubscriptions(target: ChatTarget, accountId: string): Promise<number> {
    const before = this.subscriptions.length;
    this.subscriptions = this.subscriptions.filter((s) => !(sameTarget(s, target) && s.accountId === accountId));
    return before - this.subscriptions.length;
  }

  async listSubscriptions(target?: ChatTarget): Promise<Subscription[]> {
    return this.subscriptions.filter((s) => !target || sameTarget(s, target)).map((s) => ({ ...s }));
  }

  private setting(target: ChatTarget, accountId: string): AlertSetting {
    let found = this.settings.find((s) => sameTarget(s, target) && s.accountId === accountId);
    if (!found) {
      found = { platform: target.platform, conversation: target.conversation, accountId, enabled: true, mutedUntil: null };
      this.settings.push(found);
    }
    return found;
  }

  async setAlertsEnabled(target: ChatTarget, accountId: string, enabled: boolean): Promise<void> {
    this.setting(target, accountId).enabled = enabled;
  }

  async muteAlerts(target: ChatTarget, accountId: string, until: number): Promise<void> {
    this.setting(target, accountId).mutedUntil = until;
  }

  async alertSettings(target: ChatTarget): Promise<AlertSetting[]> {
    return this.settings.filter((s) => sameTarget(s, target)).map((s) => ({ ...s }));
  }

  async recordAlertAction(alertKey: string, action: AlertAction): Promise<void> {
    this.actions.set(alertKey, [...(this.actions.get(alertKey) ?? []), { ...action }]);
  }

  async alertHistory(alertKey: string): Promise<AlertAction[]> {
    return (this.actions.get(alertKey) ?? []).map((a) => ({ ...a }));
  }

  async saveConversation(record: Omit<ConversationRecord, 'active' | 'inactiveReason'>): Promise<void> {
    // Being spoken to (again) makes a conversation active (again).
    this.conversations.set(record.conversation, { ...record, active: true, inactiveReason: null });
  }

  async markConversationInactive(conversation: string, reason: string, now: number): Promise<void> {
    const found = this.conversations.get(conversation);
    if (found) this.conversations.set(conversation, { ...found, active: false, inactiveReason: reason, updatedAt: now });
  }

  async listConversations(options: { activeOnly?: boolean } = {}): Promise<ConversationRecord[]> {
    return [...this.conversations.values()].filter((c) => !options.activeOnly || c.active).map((c) => ({ ...c }));
  }

  async close(): Promise<void> {}
}
