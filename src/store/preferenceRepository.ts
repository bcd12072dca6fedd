import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DigestNotFoundError, DigestTakenError, StaleDigestError } from '../errors.js';
import { type Database, num, type Tables } from './database.js';
import type { AlertSetting, ChatTarget, DigestChange, DigestFields, NewSubscription, PreferenceRepository, Subscription } from './types.js';

type Tx = Kysely<Tables>;

/**
 * Subscriptions and alert settings on SQL, per conversation and account. Every change of a
 * conversation's digests is made by one writer at a time (a lock per conversation, on every
 * replica), so the one-per-account-and-period rule and the version an edit names are checked
 * under that lock, and the change log is written in the same transaction.
 */
export class SqlPreferenceRepository implements PreferenceRepository {
  constructor(private readonly database: Database) {}

  async addSubscription(s: NewSubscription, now: number): Promise<Subscription> {
    return this.inConversation(s, async (tx) => {
      const existing = await sameDigest(tx, s);
      if (!existing) return insertDigest(tx, s, now);
      // Subscribing again updates it (to what `subscribe` says: Mondays, its breakdown kept).
      const fields: DigestFields = { ...fieldsOf(existing), at: s.at, timezone: s.timezone, weekday: s.weekday ?? 1 };
      return writeDigest(tx, existing, fields, s.createdBy, now, { restart: true });
    });
  }

  async createDigest(s: NewSubscription, now: number): Promise<Subscription> {
    return this.inConversation(s, async (tx) => {
      const existing = await sameDigest(tx, s);
      if (existing) throw new DigestTakenError(existing.id);
      return insertDigest(tx, s, now);
    });
  }

  async updateDigest(id: string, expectedVersion: number, fields: DigestFields, by: string, now: number): Promise<Subscription> {
    const found = await this.subscription(id);
    if (!found) throw new DigestNotFoundError(id);
    return this.inConversation(found, async (tx) => {
      const current = await currentAt(tx, id, expectedVersion);
      const other = await sameDigest(tx, { ...current, ...fields });
      if (other && other.id !== id) throw new DigestTakenError(other.id);
      return writeDigest(tx, current, fields, by, now, { restart: false });
    });
  }

  async deleteDigest(id: string, expectedVersion: number, by: string, now: number): Promise<void> {
    const found = await this.subscription(id);
    if (!found) throw new DigestNotFoundError(id);
    await this.inConversation(found, async (tx) => {
      await removeDigest(tx, await currentAt(tx, id, expectedVersion), { by, now });
    });
  }

  async removeSubscriptions(target: ChatTarget, accountId: string, change?: { by: string; now: number }): Promise<number> {
    return this.inConversation(target, async (tx) => {
      const rows = await tx
        .selectFrom('subscriptions')
        .selectAll()
        .where('platform', '=', target.platform)
        .where('conversation', '=', target.conversation)
        .where('account_id', '=', accountId)
        .execute();
      for (const row of rows.map(toSubscription)) {
        await removeDigest(tx, row, change);
      }
      return rows.length;
    });
  }

  async subscription(id: string): Promise<Subscription | undefined> {
    return this.database.q(async () => {
      const row = await this.database.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toSubscription(row);
    });
  }

  async listSubscriptions(target?: ChatTarget): Promise<Subscription[]> {
    return this.database.q(async () => {
      let query = this.database.db.selectFrom('subscriptions').selectAll().orderBy('created_at').orderBy('id');
      if (target) query = query.where('platform', '=', target.platform).where('conversation', '=', target.conversation);
      return (await query.execute()).map(toSubscription);
    });
  }

  async digestChanges(id: string): Promise<DigestChange[]> {
    return this.database.q(async () => {
      const rows = await this.database.db.selectFrom('digest_changes').selectAll().where('digest_id', '=', id).orderBy('version').execute();
      return rows.map(toChange);
    });
  }

  async recentDigestChanges(limit: number): Promise<DigestChange[]> {
    return this.database.q(async () => {
      const rows = await this.database.db
        .selectFrom('digest_changes')
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('digest_id')
        .orderBy('version', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toChange);
    });
  }

  private inConversation<T>(target: ChatTarget, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.q(() => this.database.oneWriter(`digests:${target.platform}|${target.conversation}`, work));
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

/** Delete a digest, and log it as deleted when who and when are known. */
async function removeDigest(tx: Tx, row: Subscription, change: { by: string; now: number } | undefined): Promise<void> {
  await tx.deleteFrom('subscriptions').where('id', '=', row.id).execute();
  if (change)
    await logChange(tx, {
      digestId: row.id,
      version: row.version + 1,
      action: 'delete',
      by: change.by,
      at: change.now,
      before: logged(row, fieldsOf(row)),
      after: null,
    });
}

/** The conversation's subscription to the same account and period, if it has one. */
async function sameDigest(tx: Tx, s: ChatTarget & { accountId: string; every: string }): Promise<Subscription | undefined> {
  const row = await tx
    .selectFrom('subscriptions')
    .selectAll()
    .where('platform', '=', s.platform)
    .where('conversation', '=', s.conversation)
    .where('account_id', '=', s.accountId)
    .where('every', '=', s.every)
    .executeTakeFirst();
  return row && toSubscription(row);
}

async function insertDigest(tx: Tx, s: NewSubscription, now: number): Promise<Subscription> {
  const id = randomUUID();
  await tx
    .insertInto('subscriptions')
    .values({
      id,
      platform: s.platform,
      conversation: s.conversation,
      account_id: s.accountId,
      every: s.every,
      at: s.at,
      timezone: s.timezone,
      day: s.weekday ?? null,
      breakdown: s.by ?? null,
      version: 1,
      created_by: s.createdBy,
      created_at: now,
      updated_by: s.createdBy,
      updated_at: now,
    })
    .execute();
  const made: Subscription = {
    id,
    platform: s.platform,
    conversation: s.conversation,
    accountId: s.accountId,
    every: s.every,
    at: s.at,
    timezone: s.timezone,
    weekday: s.weekday ?? 1,
    by: s.by,
    createdBy: s.createdBy,
    createdAt: now,
    version: 1,
    updatedBy: s.createdBy,
    updatedAt: now,
  };
  await logChange(tx, {
    digestId: id,
    version: 1,
    action: 'create',
    by: s.createdBy,
    at: now,
    before: null,
    after: logged(made, fieldsOf(made)),
  });
  return made;
}

/**
 * The next version of a subscription. `restart`: `subscribe` again counts as new (owes no digest
 * before now, as it always has); a form's edit keeps the schedule it had.
 */
async function writeDigest(
  tx: Tx,
  current: Subscription,
  fields: DigestFields,
  by: string,
  now: number,
  options: { restart: boolean },
): Promise<Subscription> {
  const version = current.version + 1;
  await tx
    .updateTable('subscriptions')
    .set({
      account_id: fields.accountId,
      every: fields.every,
      at: fields.at,
      timezone: fields.timezone,
      day: fields.weekday,
      breakdown: fields.by ?? null,
      version,
      updated_by: by,
      updated_at: now,
      ...(options.restart ? { created_by: by, created_at: now } : {}),
    })
    .where('id', '=', current.id)
    .execute();
  await logChange(tx, {
    digestId: current.id,
    version,
    action: 'update',
    by,
    at: now,
    before: logged(current, fieldsOf(current)),
    after: logged(current, fields),
  });
  return {
    ...current,
    ...fields,
    version,
    updatedBy: by,
    updatedAt: now,
    ...(options.restart ? { createdBy: by, createdAt: now } : {}),
  };
}

/** The subscription as stored now, if it is still at the version the edit started from. */
async function currentAt(tx: Tx, id: string, expectedVersion: number): Promise<Subscription> {
  const row = await tx.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new DigestNotFoundError(id);
  const current = toSubscription(row);
  if (current.version !== expectedVersion) throw new StaleDigestError(id, expectedVersion, current.version, current.updatedBy);
  return current;
}

function fieldsOf(s: Subscription): DigestFields {
  return { accountId: s.accountId, every: s.every, at: s.at, timezone: s.timezone, weekday: s.weekday, by: s.by };
}

/** What the change log keeps of a digest: its fields and where it posts. */
function logged(s: ChatTarget, fields: DigestFields): DigestFields & ChatTarget {
  return { platform: s.platform, conversation: s.conversation, ...fields };
}

async function logChange(tx: Tx, change: DigestChange): Promise<void> {
  await tx
    .insertInto('digest_changes')
    .values({
      digest_id: change.digestId,
      version: change.version,
      action: change.action,
      by: change.by,
      at: change.at,
      before: change.before === null ? null : JSON.stringify(change.before),
      after: change.after === null ? null : JSON.stringify(change.after),
    })
    .execute();
}

function toChange(r: Tables['digest_changes']): DigestChange {
  return {
    digestId: r.digest_id,
    version: Number(r.version),
    action: r.action as DigestChange['action'],
    by: r.by,
    at: num(r.at),
    before: r.before === null ? null : (JSON.parse(r.before) as DigestChange['before']),
    after: r.after === null ? null : (JSON.parse(r.after) as DigestChange['after']),
  };
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
    weekday: r.day === null ? 1 : Number(r.day),
    by: (r.breakdown ?? undefined) as Subscription['by'],
    createdBy: r.created_by,
    createdAt: num(r.created_at),
    version: Number(r.version),
    updatedBy: r.updated_by ?? r.created_by,
    updatedAt: num(r.updated_at ?? r.created_at),
  };
}
