import { type Database, num } from './database.js';
import type { RunOutcome, RunRecord, RunRepository, RunStatus } from './types.js';

/** Run claims on SQL: one row per job and period. */
export class SqlRunRepository implements RunRepository {
  constructor(private readonly database: Database) {}

  async claimRun(job: string, period: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const { db } = this.database;
    return this.database.q(async () => {
      const inserted = await db
        .insertInto('runs')
        .values({ job, period, status: 'claimed', claimed_by: owner, claimed_at: now, finished_at: null, attempts: 0, detail: null })
        .onConflict((oc) => oc.columns(['job', 'period']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
      // Taken: only a claim whose owner went quiet past the lease can change hands, and only once.
      const taken = await db
        .updateTable('runs')
        .set({ claimed_by: owner, claimed_at: now })
        .where('job', '=', job)
        .where('period', '=', period)
        .where('status', '=', 'claimed')
        .where('claimed_at', '<', now - leaseMs)
        .executeTakeFirst();
      return Number(taken.numUpdatedRows) > 0;
    });
  }

  async finishRun(job: string, period: string, outcome: RunOutcome, now: number): Promise<void> {
    await this.database.q(() =>
      this.database.db
        .updateTable('runs')
        .set({ status: outcome.status, detail: outcome.detail ?? null, attempts: outcome.attempts, finished_at: now })
        .where('job', '=', job)
        .where('period', '=', period)
        .execute(),
    );
  }

  async releaseRuns(owner: string): Promise<number> {
    return this.database.deleted(() =>
      this.database.db.deleteFrom('runs').where('claimed_by', '=', owner).where('status', '=', 'claimed').executeTakeFirst(),
    );
  }

  async releaseRun(job: string, period: string, owner: string): Promise<void> {
    await this.database.q(() =>
      this.database.db
        .deleteFrom('runs')
        .where('job', '=', job)
        .where('period', '=', period)
        .where('claimed_by', '=', owner)
        .where('status', '=', 'claimed')
        .execute(),
    );
  }

  async listRuns(options: { limit?: number; job?: string } = {}): Promise<RunRecord[]> {
    return this.database.q(async () => {
      let query = this.database.db
        .selectFrom('runs')
        .selectAll()
        .orderBy('claimed_at', 'desc')
        .orderBy('job')
        .limit(options.limit ?? 50);
      if (options.job) query = query.where('job', '=', options.job);
      return (await query.execute()).map((r) => ({
        job: r.job,
        period: r.period,
        status: r.status as RunStatus,
        claimedBy: r.claimed_by,
        claimedAt: num(r.claimed_at),
        finishedAt: num(r.finished_at),
        attempts: r.attempts,
        detail: r.detail,
      }));
    });
  }
}
