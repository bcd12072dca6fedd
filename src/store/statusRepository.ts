import type { Transaction } from 'kysely';
import type { StatusCount, StatusTotal } from '../vocabulary/statuses.js';
import type { BatchOptions, Database, Tables } from './database.js';
import { insertSeen } from './seenRepository.js';
import type { StatusRepository } from './types.js';

type StatusEvent = Omit<StatusCount, 'count'> & { dedupeKey: string; sentKey?: string | undefined };

/** Status webhook counts on SQL: one row per account, minute, number, country, status, code and category. */
export class SqlStatusRepository implements StatusRepository {
  constructor(private readonly database: Database) {}

  async recordStatuses(
    events: readonly StatusEvent[],
    now: number,
    ttlMs: number,
    options: BatchOptions = {},
  ): Promise<{ counted: number; duplicates: number }> {
    if (events.length === 0) return { counted: 0, duplicates: 0 };
    // Keys in one order, rows in one order: two replicas writing overlapping batches wait for
    // each other instead of deadlocking. (A duplicate within the batch counts once too.)
    const keys = [...new Set(events.map((e) => e.dedupeKey))].sort();
    return this.database.batch(options, async (tx) => {
      const fresh = await insertSeen(
        tx,
        keys.map((key) => `wa:${key}`),
        now + ttlMs,
      );
      const groups = new Map<string, StatusCount>();
      const tally = (e: Omit<StatusCount, 'count'>) => {
        const id = `${e.accountId}|${e.minute}|${e.phone}|${e.country}|${e.status}|${e.code}|${e.category}`;
        const group = groups.get(id);
        if (group) group.count++;
        else groups.set(id, { ...e, count: 1 });
      };
      let counted = 0;
      const failures: Array<{ row: Omit<StatusCount, 'count'>; sentKey: string }> = [];
      for (const { dedupeKey, sentKey, ...row } of events) {
        if (!fresh.delete(`wa:${dedupeKey}`)) continue;
        counted++;
        tally(row);
        if (row.status === 'failed' && sentKey) failures.push({ row, sentKey: `wa:${sentKey}` });
      }
      // A failure whose message was never reported sent (before it, or in this batch) is a
      // message attempted that `sent` does not count: counted as `unsent`.
      if (failures.length) {
        const wasSent = await seenAmong(tx, [...new Set(failures.map((f) => f.sentKey))].sort());
        for (const f of failures) if (!wasSent.has(f.sentKey)) tally({ ...f.row, status: 'unsent' });
      }
      await addCounts(
        tx,
        [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g),
      );
      return { counted, duplicates: events.length - counted };
    });
  }

  async statusCounts(accountId: string, from: number, to: number): Promise<StatusCount[]> {
    const rows = await this.database.q(() =>
      this.database.db
        .selectFrom('status_counts')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('minute', '>=', from)
        .where('minute', '<', to)
        .execute(),
    );
    return rows.map((r) => ({
      accountId: r.account_id,
      minute: Number(r.minute),
      phone: r.phone,
      country: r.country,
      status: r.status as StatusCount['status'],
      code: Number(r.code),
      category: r.category,
      count: Number(r.count),
    }));
  }

  async statusTotals(accountId: string, from: number, to: number): Promise<StatusTotal[]> {
    const rows = await this.database.q(() =>
      this.database.db
        .selectFrom('status_counts')
        .select(['phone', 'country', 'status', 'code', 'category'])
        .select((eb) => eb.fn.sum<string | number>('count').as('total'))
        .where('account_id', '=', accountId)
        .where('minute', '>=', from)
        .where('minute', '<', to)
        .groupBy(['phone', 'country', 'status', 'code', 'category'])
        .execute(),
    );
    return rows.map((r) => ({
      accountId,
      phone: r.phone,
      country: r.country,
      status: r.status as StatusCount['status'],
      code: Number(r.code),
      category: r.category,
      count: Number(r.total),
    }));
  }

  async firstStatusMinute(accountId: string): Promise<number | undefined> {
    const row = await this.database.q(() =>
      this.database.db
        .selectFrom('status_counts')
        .select((eb) => eb.fn.min('minute').as('first'))
        .where('account_id', '=', accountId)
        .executeTakeFirst(),
    );
    return row?.first == null ? undefined : Number(row.first);
  }

  async pruneStatuses(accountIds: readonly string[], before: number): Promise<number> {
    let deleted = 0;
    for (const accountId of accountIds)
      deleted += await this.database.deleted(() =>
        this.database.db.deleteFrom('status_counts').where('account_id', '=', accountId).where('minute', '<', before).executeTakeFirst(),
      );
    return deleted;
  }
}

/** Which of `keys` are marked seen, in the transaction given. */
async function seenAmong(tx: Transaction<Tables>, keys: readonly string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await tx
      .selectFrom('seen_keys')
      .select('key')
      .where('key', 'in', keys.slice(i, i + 500))
      .execute();
    for (const r of rows) seen.add(r.key);
  }
  return seen;
}

/** Add the counts to the per-minute rows, in batches under the databases' parameter limits. */
async function addCounts(tx: Transaction<Tables>, rows: readonly StatusCount[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await tx
      .insertInto('status_counts')
      .values(
        rows.slice(i, i + 500).map((g) => ({
          account_id: g.accountId,
          minute: g.minute,
          phone: g.phone,
          country: g.country,
          status: g.status,
          code: g.code,
          category: g.category,
          count: g.count,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'minute', 'phone', 'country', 'status', 'code', 'category'])
          .doUpdateSet((eb) => ({ count: eb('status_counts.count', '+', eb.ref('excluded.count')) })),
      )
      .execute();
  }
}
