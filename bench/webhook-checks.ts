/**
 * Minute checks of `source: webhooks` rules at scale, on PostgreSQL: 200 accounts with 3 numbers
 * × 3 countries each and 26 hours of status counts (about 8.4 million rows), one rule per account
 * with drill-down by number and country, checked minute after minute for a quarter hour through
 * the scheduler's own `AlertChecker.tick`. The same rounds with the baseline day summed and the
 * last hour read at every check (what the judge did before it kept them between checks) are the
 * baseline, in the same run. Prints wall time per round.
 * Run: npm run bench:webhook-checks   (PostgreSQL at TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
 */

import pg from 'pg';
import { RecordingDelivery } from '../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker } from '../src/alerts/checker.js';
import { judgeStatuses, statusWindow } from '../src/alerts/judge/webhooks.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { silentLogger } from '../src/log.js';
import { openStore } from '../src/store/sql.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ACCOUNTS = 200;
const ROUNDS = 15;
const NOW = Date.UTC(2026, 10, 25, 12, 0);

async function main(): Promise<void> {
  const db = new pg.Client({ connectionString: POSTGRES_URL });
  await db.connect();
  const schema = `wp_webhook_checks_${process.pid}`;
  await db.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const store = await openStore(url.toString(), { logger: silentLogger });
  try {
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => String(300_000_000_000_000 + i));
    const first = NOW / 1000 - 26 * 3600;
    const started = performance.now();
    await db.query(
      `insert into ${schema}.status_counts (account_id, minute, phone, country, status, code, category, count)
       select a.id, m, c.phone, c.country, k.status, k.code, 'utility', greatest(0, round(k.n * (0.5 + random())))::bigint
       from unnest($1::text[]) a(id),
            generate_series($2::bigint, $3::bigint, 60) m,
            (values ('15550001','IN'),('15550001','BR'),('15550001','US'),('15550002','IN'),('15550002','BR'),('15550002','US'),('15550003','IN'),('15550003','BR'),('15550003','US')) c(phone, country),
            (values ('sent', 0, 12), ('failed', 131026, 0.4), ('failed', 131047, 0.2)) k(status, code, n)`,
      [ids, first, NOW / 1000 - 60],
    );
    const { rows } = await db.query<{ n: string }>(`select count(*) as n from ${schema}.status_counts`);
    await db.query(`analyze ${schema}.status_counts`);
    console.log(
      `waba-pulse minute checks: ${ACCOUNTS} accounts, ${Number(rows[0]!.n).toLocaleString('en-US')} status rows (26 h) on PostgreSQL, filled in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );

    // Rule names per round: each round claims its own checks.
    const configFor = (round: string) =>
      buildConfig(
        {
          accounts: ids.map((id, i) => ({ id, name: `acct-${i}`, token: '${T}', timezone: 'UTC' })),
          alerts: ids.map((_, i) => ({
            name: `failures-${i}-${round}`,
            account: `acct-${i}`,
            source: 'webhooks',
            drillDown: ['phone', 'country'],
            targets: [{ slack: { channel: 'C0BENCH' } }],
          })),
        },
        { GRAPH_API_URL: 'http://127.0.0.1:9', WHATSAPP_APP_SECRET: 's'.repeat(32), WHATSAPP_VERIFY_TOKEN: 'v' },
      );
    const round = async (name: string, judge?: ConstructorParameters<typeof AlertChecker>[0]['judge']) => {
      const delivery = new RecordingDelivery();
      const config = configFor(name);
      const checker = new AlertChecker({
        store,
        ctx: {
          config,
          accounts: graphAccountsFrom({ T: 'x' }),
          graph: { fetchAnalytics: () => Promise.reject(new Error('no Graph')) },
          now: () => NOW,
        },
        owner: name,
        logger: silentLogger,
        delivery,
        judge,
      });
      const walls: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const at = NOW + r * 60_000 + 5_000;
        const t0 = performance.now();
        await checker.tick(at);
        walls.push(performance.now() - t0);
      }
      const sorted = [...walls].sort((a, b) => a - b);
      const total = walls.reduce((a, b) => a + b, 0);
      return { first: walls[0]!, median: sorted[sorted.length >> 1]!, total, alerts: delivery.events.length };
    };
    // The baseline: the day summed in the store at every check.
    const everyCheck: ConstructorParameters<typeof AlertChecker>[0]['judge'] = async (rule, account, nowMs, drillDown) => {
      const { baseline, recent } = statusWindow(nowMs);
      const [totals, minutes] = await Promise.all([
        store.statuses.statusTotals(account.id, baseline[0], baseline[1]),
        store.statuses.statusCounts(account.id, recent[0], recent[1]),
      ]);
      return judgeStatuses({ baseline: totals, recent: minutes }, nowMs, { ...rule, drillDown: drillDown ? rule.drillDown : [] });
    };
    const plain = await round('every-check', everyCheck);
    const cached = await round('kept');
    const line = (label: string, r: typeof plain) =>
      `${label.padEnd(42)} first round ${(r.first / 1000).toFixed(2)} s · median round ${(r.median / 1000).toFixed(2)} s · ${ROUNDS} rounds ${(r.total / 1000).toFixed(1)} s · ${r.alerts} alerts`;
    console.log(line('day and hour read at every check', plain));
    console.log(line('day once a quarter hour, newest minutes', cached));
    console.log(
      `\nper minute, all ${ACCOUNTS} rules: ${(cached.total / ROUNDS / 1000).toFixed(2)} s against ${(plain.total / ROUNDS / 1000).toFixed(2)} s (${(plain.total / cached.total).toFixed(1)}× less)`,
    );
  } finally {
    await store.close();
    await db.query(`drop schema if exists ${schema} cascade`);
    await db.end();
  }
}

await main();
