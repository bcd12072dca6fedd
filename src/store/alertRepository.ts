import { type Database, num, type Tables } from './database.js';
import { documents, readDocument } from './documents.js';
import type { AlertAction, AlertEpisode, AlertMessage, AlertRepository, ChatTarget, StoredAlert } from './types.js';

/** Alerts, their episodes, actions and messages on SQL. */
export class SqlAlertRepository implements AlertRepository {
  constructor(private readonly database: Database) {}

  async saveAlert(a: StoredAlert): Promise<void> {
    const row = {
      key: a.key,
      short_id: a.shortId,
      rule: a.rule,
      account_id: a.accountId,
      status: a.status,
      content: JSON.stringify(a.content),
      opened_at: a.openedAt,
      updated_at: a.updatedAt,
    };
    await this.database.q(() =>
      this.database.db
        .insertInto('alerts')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ status: row.status, content: row.content, updated_at: row.updated_at }))
        .execute(),
    );
  }

  async alert(key: string): Promise<StoredAlert | undefined> {
    const r = await this.database.q(() => this.database.db.selectFrom('alerts').selectAll().where('key', '=', key).executeTakeFirst());
    return r && toAlert(r);
  }

  async openAlerts(accountIds: readonly string[]): Promise<StoredAlert[]> {
    if (accountIds.length === 0) return [];
    const rows = await this.database.q(() =>
      this.database.db
        .selectFrom('alerts')
        .selectAll()
        .where('status', '=', 'open')
        .where('account_id', 'in', [...accountIds])
        .orderBy('opened_at', 'desc')
        .execute(),
    );
    return rows.map(toAlert);
  }

  async alertEpisode(rule: string): Promise<AlertEpisode | undefined> {
    const r = await this.database.q(() =>
      this.database.db.selectFrom('alert_state').selectAll().where('rule', '=', rule).executeTakeFirst(),
    );
    if (!r) return undefined;
    return {
      rule: r.rule,
      alertKey: r.alert_key,
      status: r.status as AlertEpisode['status'],
      openedAt: num(r.opened_at),
      lastNotifiedAt: num(r.last_notified_at),
      reminders: r.reminders,
      cleanChecks: r.clean_checks,
      resolvedAt: num(r.resolved_at),
      summary: readDocument(documents.episodeSummary, r.summary, `the episode of rule ${r.rule}`),
    };
  }

  async saveAlertEpisode(e: AlertEpisode): Promise<void> {
    const row = {
      rule: e.rule,
      alert_key: e.alertKey,
      status: e.status,
      opened_at: e.openedAt,
      last_notified_at: e.lastNotifiedAt,
      reminders: e.reminders,
      clean_checks: e.cleanChecks,
      resolved_at: e.resolvedAt,
      summary: JSON.stringify(e.summary),
    };
    const { rule: _key, ...update } = row;
    await this.database.q(() =>
      this.database.db
        .insertInto('alert_state')
        .values(row)
        .onConflict((oc) => oc.column('rule').doUpdateSet(update))
        .execute(),
    );
  }

  async recordAlertAction(alertKey: string, action: AlertAction): Promise<void> {
    // Two people pressing a button at once each get the next number, not the same one.
    await this.database.q(() =>
      this.database.oneWriter(`alert_actions:${alertKey}`, async (tx) => {
        const last = await tx
          .selectFrom('alert_actions')
          .select((eb) => eb.fn.max('seq').as('seq'))
          .where('alert_key', '=', alertKey)
          .executeTakeFirst();
        await tx
          .insertInto('alert_actions')
          .values({
            alert_key: alertKey,
            seq: Number(last?.seq ?? 0) + 1,
            status: action.status,
            by: action.by,
            at: action.at,
            muted_until: action.mutedUntil ?? null,
          })
          .execute();
      }),
    );
  }

  async alertHistory(alertKey: string): Promise<AlertAction[]> {
    return this.database.q(async () => {
      const rows = await this.database.db
        .selectFrom('alert_actions')
        .selectAll()
        .where('alert_key', '=', alertKey)
        .orderBy('seq')
        .execute();
      return rows.map((r) => ({
        status: r.status as AlertAction['status'],
        by: r.by,
        at: num(r.at),
        ...(r.muted_until !== null ? { mutedUntil: num(r.muted_until) } : {}),
      }));
    });
  }

  async saveAlertMessage(m: AlertMessage): Promise<void> {
    const row = { alert_key: m.alertKey, platform: m.platform, conversation: m.conversation, ref: m.ref, posted_at: m.postedAt };
    await this.database.q(() =>
      this.database.db
        .insertInto('alert_messages')
        .values(row)
        .onConflict((oc) => oc.columns(['alert_key', 'platform', 'conversation']).doUpdateSet({ ref: row.ref, posted_at: row.posted_at }))
        .execute(),
    );
  }

  async alertMessage(alertKey: string, target: ChatTarget): Promise<AlertMessage | undefined> {
    return this.database.q(async () => {
      const r = await this.database.db
        .selectFrom('alert_messages')
        .selectAll()
        .where('alert_key', '=', alertKey)
        .where('platform', '=', target.platform)
        .where('conversation', '=', target.conversation)
        .executeTakeFirst();
      return r
        ? {
            alertKey: r.alert_key,
            platform: r.platform as AlertMessage['platform'],
            conversation: r.conversation,
            ref: r.ref,
            postedAt: num(r.posted_at),
          }
        : undefined;
    });
  }
}

function toAlert(r: Tables['alerts']): StoredAlert {
  return {
    key: r.key,
    shortId: r.short_id,
    rule: r.rule,
    accountId: r.account_id,
    status: r.status as StoredAlert['status'],
    content: readDocument(documents.alert, r.content, `alert ${r.short_id}`),
    openedAt: num(r.opened_at),
    updatedAt: num(r.updated_at),
  };
}
