import { randomUUID } from 'node:crypto';
import { type Database, num, type Tables } from './database.js';
import type { AlertSetting, ChatTarget, PreferenceRepository, Subscription } from './types.js';

/** Subscriptions and alert settings on SQL, per conversation and account. */
export class SqlPreferenceRepository implements PreferenceRepository {
  constructor(private readonly database: Database) {}

  async addSubscription(s: Omit<Subscription, 'id' | 'createdAt'>, now: number): Promise<Subscription> {
    const { db } = this.database;
    return this.database.q(async () => {
      const row = {
        id: randomUUID(),
        platform: s.platform,
        conversation: s.conversation,
        account_id: s.accountId,
        every: s.every,
        at: s.at,
        timezone: s.timezone,
        created_by: s.createdBy,
        created_at: now,
      };
      // One subscription per target, account and period: subscribing again updates it.
      await db
        .insertInto('subscriptions')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['platform', 'conversation', 'account_id', 'every'])
            .doUpdateSet({ at: row.at, timezone: row.timezone, created_by: row.created_by, created_at: row.created_at }),
        )
        .execute();
      const stored = await db
        .selectFrom('subscriptions')
        .selectAll()
        .where('platform', '=', s.platform)
        .where('conversation', '=', s.conversation)
        .where('account_id', '=', s.accountId)
        .where('every', '=', s.every)
        .executeTakeFirstOrThrow();
      return toSubscription(stored);
    });
  }

  async removeSubscriptions(target: ChatTarget, accountId: string): Promise<number> {
    return this.database.deleted(() =>
      this.database.db
        .deleteFrom('subscriptions')
        .where('platform', '=', target.platform)
        .where('conversation', '=', target.conversation)
        .where('account_id', '=', accountId)
        .executeTakeFirst(),
    );
  }

  async listSubscriptions(target?: ChatTarget): Promise<Subscription[]> {
    return this.database.q(async () => {
      let query = this.database.db.selectFrom('subscriptions').selectAll().orderBy('created_at').orderBy('id');
      if (target) query = query.where('platform', '=', target.platform).where('conversation', '=', target.conversation);
      return (await query.execute()).map(toSubscription);
    });
  }

  async setAlertsEnabled(target: ChatTarget, accountId: string, enabled: boolean): Promise<void> {
    await this.upsertSetting(target, accountId, { enabled: enabled ? 1 : 0 });
  }

  async muteAlerts(target: ChatTarget, accountId: string, until: number): Promise<void> {
    await this.upsertSetting(target, accountId, { muted_until: until });
  }

  async alertSettings(target: ChatTarget): Promise<AlertSetting[]> {
    return this.database.q(async () => {
      const rows = await this.database.db
        .selectFrom('alert_settings')
        .selectAll()
        .where('platform', '=', target.platform)
        .where('conversation', '=', target.conversation)
        .orderBy('account_id')
        .execute();
      return rows.map((r) => ({
        platform: r.platform as AlertSetting['platform'],
        conversation: r.conversation,
        accountId: r.account_id,
        enabled: r.enabled === 1,
        mutedUntil: num(r.muted_until),
      }));
    });
  }

  private async upsertSetting(target: ChatTarget, accountId: string, change: { enabled?: number; muted_until?: number }): Promise<void> {
    await this.database.q(() =>
      this.database.db
        .insertInto('alert_settings')
        .values({
          platform: target.platform,
          conversation: target.conversation,
          account_id: accountId,
          enabled: change.enabled ?? 1,
          muted_until: change.muted_until ?? null,
        })
        .onConflict((oc) => oc.columns(['platform', 'conversation', 'account_id']).doUpdateSet(change))
        .execute(),
    );
  }
}

function toSubscription(r: Tables['subscriptions']): Subscription {
  return {
    id: r.id,
    platform: r.platform as Subscription['platform'],
    conversation: r.conversation,
    accountId: r.account_id,
    every: r.every as Subscription['every'],
    at: r.at,
    timezone: r.timezone,
    createdBy: r.created_by,
    createdAt: num(r.created_at),
  };
}
