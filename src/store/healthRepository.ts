import type { HealthEventRecord } from '../vocabulary/health.js';
import type { BatchOptions, Database } from './database.js';
import { documents, readDocument } from './documents.js';
import type { HealthEventRepository } from './types.js';

/** Health notifications on SQL: one row per account and notification key. */
export class SqlHealthEventRepository implements HealthEventRepository {
  constructor(private readonly database: Database) {}

  async recordHealthEvents(
    events: ReadonlyArray<HealthEventRecord & { dedupeKey: string }>,
    options: BatchOptions = {},
  ): Promise<{ recorded: number; duplicates: number }> {
    if (events.length === 0) return { recorded: 0, duplicates: 0 };
    // One row per key, in key order (replicas writing the same notifications wait, never deadlock);
    // the key is the row's identity, so the same notification twice is kept once.
    const rows = [...new Map(events.map((e) => [`${e.accountId}|${e.dedupeKey}`, e])).values()]
      .sort((a, b) => (a.accountId + a.dedupeKey < b.accountId + b.dedupeKey ? -1 : 1))
      .map((e) => ({
        account_id: e.accountId,
        dedupe_key: e.dedupeKey,
        at: e.at,
        field: e.field,
        event: e.event,
        subject: e.subject,
        detail: e.detail,
        data: JSON.stringify(e.data),
      }));
    return this.database.batch(options, async (tx) => {
      let recorded = 0;
      for (let i = 0; i < rows.length; i += 500) {
        const inserted = await tx
          .insertInto('health_events')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.columns(['account_id', 'dedupe_key']).doNothing())
          .returning('dedupe_key')
          .execute();
        recorded += inserted.length;
      }
      return { recorded, duplicates: events.length - recorded };
    });
  }

  async healthEvents(accountId: string, from: number, to: number, limit = 100): Promise<HealthEventRecord[]> {
    const rows = await this.database.q(() =>
      this.database.db
        .selectFrom('health_events')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('at', '>=', from)
        .where('at', '<', to)
        .orderBy('at', 'desc')
        .orderBy('dedupe_key')
        .limit(limit)
        .execute(),
    );
    return rows.map((r) => ({
      accountId: r.account_id,
      at: Number(r.at),
      field: r.field as HealthEventRecord['field'],
      event: r.event,
      subject: r.subject,
      detail: r.detail,
      data: readDocument(documents.healthData, r.data, `health event ${r.dedupe_key}`),
    }));
  }

  async pruneHealthEvents(before: number): Promise<number> {
    return this.database.deleted(() => this.database.db.deleteFrom('health_events').where('at', '<', before).executeTakeFirst());
  }
}
