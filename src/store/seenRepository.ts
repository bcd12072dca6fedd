import type { Transaction } from 'kysely';
import type { Database, Tables } from './database.js';
import type { SeenRepository } from './types.js';

/** Seen-marks on SQL: a key and when it expires. */
export class SqlSeenRepository implements SeenRepository {
  constructor(private readonly database: Database) {}

  async firstSeen(keys: readonly string[], now: number, ttlMs: number): Promise<Set<string>> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return new Set();
    return this.database.q(() =>
      this.database.db.transaction().execute(async (tx) => {
        // Expired marks are as good as never seen.
        for (let i = 0; i < unique.length; i += 500) {
          await tx
            .deleteFrom('seen_keys')
            .where('key', 'in', unique.slice(i, i + 500))
            .where('expires_at', '<=', now)
            .execute();
        }
        return insertSeen(tx, unique, now + ttlMs);
      }),
    );
  }

  async pruneSeen(now: number): Promise<number> {
    return this.database.deleted(() => this.database.db.deleteFrom('seen_keys').where('expires_at', '<=', now).executeTakeFirst());
  }
}

/**
 * Marks the keys seen until `expiresAt`, in the transaction given; returns those that were not
 * marked already. Status counting marks its events' keys in its own transaction with this.
 */
export async function insertSeen(tx: Transaction<Tables>, keys: readonly string[], expiresAt: number): Promise<Set<string>> {
  const fresh = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await tx
      .insertInto('seen_keys')
      .values(keys.slice(i, i + 500).map((key) => ({ key, expires_at: expiresAt })))
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .execute();
    for (const r of rows) fresh.add(r.key);
  }
  return fresh;
}
