import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sql.js';
import { freshPostgresSchema, postgresUrl, storeBackends } from '../helpers/stores.js';

/**
 * waba-pulse often shares a PostgreSQL server with other applications (and, in CI, with its
 * own test files, each in a schema of its own). Migrating must look only at its own schema:
 * schemas another application creates and drops at the same moment must never fail start-up.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');

describe.runIf(hasPostgres)('migrating beside schemas that come and go (PostgreSQL)', () => {
  it('opens and migrates 16 stores while another application creates and drops schemas with tables', async () => {
    let churning = true;
    let dropped = 0;
    const churn = async (lane: number) => {
      const client = new pg.Client({ connectionString: postgresUrl() });
      await client.connect();
      for (let i = 0; churning; i++) {
        const schema = `wp_neighbour_${process.pid}_${lane}_${i}`;
        await client.query(`create schema ${schema}; create table ${schema}.t (id serial primary key, v text)`);
        await client.query(`drop schema ${schema} cascade`);
        dropped++;
      }
      await client.end();
    };
    const lanes = [0, 1, 2, 3].map(churn);
    const failures: string[] = [];
    for (let round = 0; round < 4; round++) {
      const ours = await Promise.all(Array.from({ length: 4 }, () => freshPostgresSchema()));
      const results = await Promise.allSettled(ours.map(async (db) => (await openStore(db.url)).close()));
      for (const r of results) if (r.status === 'rejected') failures.push(String(r.reason));
      await Promise.all(ours.map((db) => db.cleanup()));
    }
    churning = false;
    await Promise.all(lanes);
    expect(dropped).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
