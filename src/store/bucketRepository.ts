import type { Kysely } from 'kysely';
import { type Database, num, type Tables } from './database.js';
import { documents, readDocument, type SettleStatsDocument } from './documents.js';
import { type BucketCoverage, type BucketRepository, type CachedBucket, coversStart } from './types.js';

type Listed = Pick<BucketCoverage, 'phoneNumbers' | 'countryCodes'>;

/** The bucket cache on SQL: settled buckets per key, each key's coverage, and each account's settle stats. */
export class SqlBucketRepository implements BucketRepository {
  constructor(private readonly database: Database) {}

  async bucketCoverage(key: string): Promise<BucketCoverage | undefined> {
    const row = await this.database.q(() =>
      this.database.db.selectFrom('bucket_coverage').selectAll().where('key', '=', key).executeTakeFirst(),
    );
    return row && toCoverage(row);
  }

  async readBuckets(key: string, start: number, end: number): Promise<CachedBucket[]> {
    return this.database.q(() => bucketsOf(this.database.db, key, start, end));
  }

  async readCovered(key: string, start: number, end: number): Promise<{ coverage: BucketCoverage; points: CachedBucket[] } | undefined> {
    // One snapshot: a writer trimming the key's history (or replacing it) between reading the
    // span and its rows made a cached report of months show only the weeks left.
    return this.database.q(() =>
      this.database.snapshot(async (tx) => {
        const row = await tx.selectFrom('bucket_coverage').selectAll().where('key', '=', key).executeTakeFirst();
        const coverage = row && toCoverage(row);
        if (!coversStart(coverage, start)) return undefined;
        return { coverage, points: await bucketsOf(tx, key, start, Math.min(coverage.end, end)) };
      }),
    );
  }

  async writeBuckets(
    key: string,
    span: { start: number; end: number },
    points: readonly CachedBucket[],
    listed: Listed,
    keepFrom?: number,
  ): Promise<BucketCoverage> {
    return this.database.q(() =>
      this.database.oneWriter(`bucket_cache:${key}`, async (tx) => {
        // Read under the key's lock: what another writer (another report, another replica) kept
        // a moment ago is joined, never overwritten by a span read before it.
        const row = await tx.selectFrom('bucket_coverage').selectAll().where('key', '=', key).executeTakeFirst();
        const before = row && toCoverage(row);
        const joined = before !== undefined && before.start <= span.end && span.start <= before.end;
        const coverage: BucketCoverage = joined
          ? {
              start: Math.min(before.start, span.start),
              end: Math.max(before.end, span.end),
              phoneNumbers: [...new Set([...before.phoneNumbers, ...listed.phoneNumbers])],
              countryCodes: [...new Set([...before.countryCodes, ...listed.countryCodes])],
            }
          : { ...span, phoneNumbers: [...listed.phoneNumbers], countryCodes: [...listed.countryCodes] };
        if (keepFrom !== undefined) coverage.start = Math.min(Math.max(coverage.start, keepFrom), coverage.end);
        // Settled buckets are final: what is kept already (by a report that asked a moment
        // earlier) is not written again, only the parts of the span outside it — so writers of
        // one key hold its lock briefly. A span apart from the kept one replaces it whole.
        const missing = (
          joined
            ? [
                { start: span.start, end: Math.min(span.end, before.start) },
                { start: Math.max(span.start, before.end), end: span.end },
              ]
            : [span]
        ).map((part) => ({ start: Math.max(part.start, coverage.start), end: part.end }));
        let stale = tx.deleteFrom('bucket_cache').where('key', '=', key);
        if (joined)
          stale = stale.where((eb) =>
            eb.or([
              eb('start', '<', coverage.start),
              ...missing
                .filter((part) => part.start < part.end)
                .map((part) => eb.and([eb('start', '>=', part.start), eb('start', '<', part.end)])),
            ]),
          );
        await stale.execute();
        const rows = points
          .filter((p) => missing.some((part) => p.start >= part.start && p.start < part.end))
          .map((p) => ({ key, start: p.start, end: p.end, sent: p.sent, delivered: p.delivered }));
        // Batches keep each statement under the databases' parameter limits.
        for (let i = 0; i < rows.length; i += 500)
          await tx
            .insertInto('bucket_cache')
            .values(rows.slice(i, i + 500))
            .execute();
        const text = JSON.stringify({ phoneNumbers: coverage.phoneNumbers, countryCodes: coverage.countryCodes });
        await tx
          .insertInto('bucket_coverage')
          .values({ key, start: coverage.start, end: coverage.end, listed: text })
          .onConflict((oc) => oc.column('key').doUpdateSet({ start: coverage.start, end: coverage.end, listed: text }))
          .execute();
        return coverage;
      }),
    );
  }

  async settleStats(accountId: string): Promise<SettleStatsDocument | undefined> {
    const row = await this.database.q(() =>
      this.database.db.selectFrom('settle_stats').select('stats').where('account_id', '=', accountId).executeTakeFirst(),
    );
    return row && readSettleStats(accountId, row.stats);
  }

  async updateSettleStats(
    accountId: string,
    update: (stats: SettleStatsDocument | undefined) => SettleStatsDocument,
    now: number,
  ): Promise<void> {
    // Read and written by one writer at a time: two replicas settling at once both count.
    await this.database.q(() =>
      this.database.oneWriter(`settle_stats:${accountId}`, async (tx) => {
        const row = await tx.selectFrom('settle_stats').select('stats').where('account_id', '=', accountId).executeTakeFirst();
        const stats = JSON.stringify(update(row && readSettleStats(accountId, row.stats)));
        await tx
          .insertInto('settle_stats')
          .values({ account_id: accountId, stats, updated_at: now })
          .onConflict((oc) => oc.column('account_id').doUpdateSet({ stats, updated_at: now }))
          .execute();
      }),
    );
  }
}

async function bucketsOf(db: Kysely<Tables>, key: string, start: number, end: number): Promise<CachedBucket[]> {
  const rows = await db
    .selectFrom('bucket_cache')
    .selectAll()
    .where('key', '=', key)
    .where('start', '>=', start)
    .where('start', '<', end)
    .orderBy('start')
    .execute();
  return rows.map((r) => ({ start: num(r.start), end: num(r.end), sent: num(r.sent), delivered: num(r.delivered) }));
}

function toCoverage(row: Tables['bucket_coverage']): BucketCoverage {
  const listed = readDocument(documents.bucketListing, row.listed, `the coverage of cache key ${row.key}`);
  return { start: num(row.start), end: num(row.end), phoneNumbers: listed.phoneNumbers, countryCodes: listed.countryCodes };
}

function readSettleStats(accountId: string, text: string): SettleStatsDocument {
  return readDocument(documents.settleStats, text, `the settle stats of account ${accountId}`);
}
