/**
 * How well delivery alerts work, on labelled synthetic traffic (bench/anomaly/generate.ts), with
 * a plain same-slot z-test (bench/anomaly/zTest.ts) measured on the same data in the same run.
 *
 * Two half-hourly sets of 96 accounts × 28 judged days after 7 days of history — a *clean* set
 * (moderate noise) and a *hard* one (beta-binomial rate swings of one to three points whatever
 * the volume, busier audience mix, accounts with ten numbers of unequal share, campaigns to the
 * lowest-rate country) — each scored three ways:
 *   - offline: the report's detector over the whole window, every bucket settled;
 *   - online: `waba-pulse backtest`'s replay — the alert rule checked every 30 minutes on a
 *     simulated clock through the scheduler's own code, young buckets still settling;
 *   - z-test: the baseline, offline.
 * Then a DAY set (80 accounts × 115 judged days) and the detector's speed.
 * Seeded: the same figures every run. Run: npm run bench:anomaly [-- --quick]
 */
import { type Anomaly, type AnomalyScope, type DetectionSettings, detectAnomalies } from '../src/analytics/anomalies.js';
import { fillGaps, markSettlement } from '../src/analytics/series.js';
import type { DataPoint } from '../src/series.js';
import { type EvalAccount, generateAccounts, HALF_HOUR, type ScopeSeries, scopeSeries } from './anomaly/generate.js';
import { online } from './anomaly/online.js';
import { type Alarm, median, perAccount30, type Scored, score } from './anomaly/score.js';
import { zTestDrops } from './anomaly/zTest.js';

const SEED = Number(process.env.SEED ?? 20261125);
const QUICK = process.argv.includes('--quick');
const DAY_S = 86_400;
const WARMUP_DAYS = 7;
const JUDGED_DAYS = 28;

function scopeOf(s: ScopeSeries, account: EvalAccount): AnomalyScope {
  if (s.kind === 'phone') return { kind: 'phone', key: String(s.index), label: `phone ${s.index}`, phone: String(s.index) };
  if (s.kind === 'country')
    return {
      kind: 'country',
      key: account.countries[s.index!]!.code,
      label: account.countries[s.index!]!.code,
      country: account.countries[s.index!]!.code,
    };
  return { kind: 'account', key: null, label: 'all traffic' };
}

function toAlarm(a: Anomaly, s: ScopeSeries, start: number): Alarm {
  return {
    kind: a.kind,
    scope: { kind: s.kind, phone: s.kind === 'phone' ? s.index : undefined, country: s.kind === 'country' ? s.index : undefined },
    startIndex: Math.round((a.start - start) / HALF_HOUR),
    endIndex: Math.round((a.end - start) / HALF_HOUR),
    raisedAtMinute: (a.detectedAt - start) / 60,
  };
}

/** Offline: every scope of every account judged as a report would, after the fact. */
function offline(accounts: EvalAccount[], start: number, settings?: Partial<DetectionSettings>): Map<number, Alarm[]> {
  const out = new Map<number, Alarm[]>();
  const split = WARMUP_DAYS * 48;
  const nowMs = (start + (WARMUP_DAYS + JUDGED_DAYS + 1) * DAY_S) * 1000;
  for (const account of accounts) {
    const list: Alarm[] = [];
    for (const s of scopeSeries(account, start)) {
      const series = markSettlement(s.points.slice(split), nowMs, 0);
      for (const a of detectAnomalies({
        history: s.points.slice(0, split),
        series,
        granularity: 'half_hour',
        tz: account.tz,
        scope: scopeOf(s, account),
        settings,
      }))
        list.push(toAlarm(a, s, start));
    }
    out.set(account.index, list);
  }
  return out;
}

function zTest(accounts: EvalAccount[]): Map<number, Alarm[]> {
  const out = new Map<number, Alarm[]>();
  for (const account of accounts) {
    const list: Alarm[] = [];
    for (const s of scopeSeries(account, 0)) {
      for (const z of zTestDrops(s.points, WARMUP_DAYS * 48)) {
        list.push({
          kind: 'delivery_drop',
          scope: { kind: s.kind, phone: s.kind === 'phone' ? s.index : undefined, country: s.kind === 'country' ? s.index : undefined },
          startIndex: z.startIndex,
          endIndex: z.endIndex,
          raisedAtMinute: (z.detected + 1) * 30,
        });
      }
    }
    out.set(account.index, list);
  }
  return out;
}

function pct(a: number, b: number): string {
  return b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a';
}

interface Column {
  label: string;
  scored: Scored;
}

function table(title: string, columns: Column[]): void {
  console.log(`\n${title}`);
  const head = ['measure', ...columns.map((c) => c.label)];
  const rows: string[][] = [];
  const add = (label: string, f: (s: Scored) => string) => rows.push([label, ...columns.map((c) => f(c.scored))]);
  add('false delivery-drop alarms / account / 30 d (all)', (s) => perAccount30(s.faDropEvents, s.accounts, s.scoredDays).toFixed(2));
  add('… on clean accounts', (s) => perAccount30(s.faDropEventsClean, s.cleanAccounts, s.scoredDays).toFixed(2));
  add('false alarms of any kind / account / 30 d', (s) => perAccount30(s.faAnyEvents, s.accounts, s.scoredDays).toFixed(2));
  add(
    'material incidents detected (>= 5 pp >= 2 h, slides, stops; >= 500/bucket)',
    (s) => `${pct(s.material.caught, s.material.n)} (${s.material.caught}/${s.material.n})`,
  );
  add('… named by their own scope', (s) => pct(s.material.named, s.material.n));
  add('subtle 2-5 pp drops at >= 2,000/bucket', (s) => `${pct(s.subtle.caught, s.subtle.n)} (${s.subtle.n})`);
  add('stops of numbers at >= 500/bucket', (s) => `${s.stops.caught}/${s.stops.n}`);
  // Alerts leave campaigns to reports (a spike is not a delivery problem): online has no figure.
  add('campaigns >= 4x (>= 200/bucket) flagged as volume spikes', (s) =>
    s.online ? 'n/a' : `${pct(s.bursts.spikes, s.bursts.n)} (${s.bursts.n})`,
  );
  add('delivery-drop alarms during campaigns', (s) => String(s.bursts.dropAlarms));
  add('median minutes, first bad bucket end -> alarm (>= 10 pp)', (s) =>
    Number.isNaN(median(s.bigDropDelays)) ? '-' : String(Math.round(median(s.bigDropDelays))),
  );
  add('incidents raised as more than one episode', (s) => String(s.reopened));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

function bands(label: string, scored: Scored): void {
  const rows = [...scored.rows.entries()].sort(([a], [b]) => a.localeCompare(b));
  console.log(`  ${label} by incident and band: ${rows.map(([k, v]) => `${k} ${pct(v.caught, v.n)} (${v.n})`).join('; ')}`);
  if (scored.materialMissed.length)
    console.log(
      `  ${label} missed material incidents: ${scored.materialMissed.slice(0, 8).join('; ')}${scored.materialMissed.length > 8 ? ' …' : ''}`,
    );
}

export interface SetRun {
  label: string;
  accounts: EvalAccount[];
  start: number;
}

/** Settings to try, from the environment (WP_z=4 WP_zSingle=5.5 …): for tuning runs only. */
function trial(): Partial<DetectionSettings> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('WP_') && v) out[k.slice(3)] = Number.isNaN(Number(v)) ? v : Number(v);
  return out as Partial<DetectionSettings>;
}

async function evaluateSet(set: SetRun): Promise<{ ours: Scored; live: Scored; z: Scored }> {
  const judgedFrom = WARMUP_DAYS * 48;
  const judgedTo = (WARMUP_DAYS + JUDGED_DAYS) * 48;
  const t0 = performance.now();
  const ours = score(set.accounts, offline(set.accounts, set.start, trial()), judgedFrom, judgedTo, JUDGED_DAYS);
  const t1 = performance.now();
  // Online checks need a full week plus a day behind them: they start a day into the judged span.
  const replay = await online(set.accounts, set.start, WARMUP_DAYS + 1, WARMUP_DAYS + JUDGED_DAYS);
  const live = { ...score(set.accounts, replay.alarms, (WARMUP_DAYS + 1) * 48, judgedTo, JUDGED_DAYS - 1), online: true };
  const t2 = performance.now();
  const z = score(set.accounts, zTest(set.accounts), judgedFrom, judgedTo, JUDGED_DAYS);
  table(
    `${set.label}: ${set.accounts.length} accounts (${ours.cleanAccounts} clean), ${JUDGED_DAYS} judged days after ${WARMUP_DAYS} of history, ${ours.incidents} incidents (offline ${((t1 - t0) / 1000).toFixed(1)} s; online ${replay.checks.toLocaleString('en-US')} checks in ${((t2 - t1) / 1000).toFixed(1)} s)`,
    [
      { label: 'waba-pulse offline', scored: ours },
      { label: 'waba-pulse online', scored: live },
      { label: 'z-test', scored: z },
    ],
  );
  bands('waba-pulse offline', ours);
  bands('waba-pulse online', live);
  bands('z-test', z);
  return { ours, live, z };
}

function daily(): void {
  const dayStart = Date.UTC(2026, 6, 1) / 1000;
  const accounts = generateAccounts({
    accounts: QUICK ? 30 : 80,
    days: 150,
    start: dayStart,
    warmupDays: 35,
    seed: SEED + 1,
    dayScale: true,
  });
  let fa = 0;
  let caught = 0;
  let n = 0;
  for (const account of accounts) {
    const windows: Array<[number, number]> = [];
    const daysOf = new Map<number, number>();
    for (const s of scopeSeries(account, dayStart)) {
      const points: DataPoint[] = fillGaps(s.points, { start: dayStart, end: dayStart + 150 * DAY_S }, 'day', account.tz).points.filter(
        (p) => p.end <= dayStart + 150 * DAY_S,
      );
      const split = points.findIndex((p) => p.start >= dayStart + 35 * DAY_S);
      const series = markSettlement(points.slice(split), (dayStart + 151 * DAY_S) * 1000, 0);
      for (const a of detectAnomalies({
        history: points.slice(0, split),
        series,
        granularity: 'day',
        tz: account.tz,
        scope: scopeOf(s, account),
      })) {
        windows.push([Math.floor((a.start - dayStart) / HALF_HOUR), Math.ceil((a.end - dayStart) / HALF_HOUR)]);
        daysOf.set(windows.length - 1, a.kind === 'delivery_drop' ? 1 : 0);
      }
    }
    for (const inc of account.incidents) {
      if (inc.kind !== 'drop' || inc.size < 0.05) continue;
      n++;
      if (windows.some(([s, e]) => s < inc.end + 48 && inc.start - 48 < e)) caught++;
    }
    fa += windows.filter(
      ([s, e], i) => daysOf.get(i) === 1 && !account.incidents.some((inc) => s < inc.end + 48 && inc.start - 48 < e),
    ).length;
  }
  console.log(
    `\nDAY: ${accounts.length} accounts × 115 judged days: drops >= 5 pp caught ${pct(caught, n)} (${caught}/${n}); false delivery-drop alarms ${perAccount30(fa, accounts.length, 115).toFixed(2)} per account per 30 days`,
  );
}

function speed(accounts: EvalAccount[], start: number): void {
  const scopes: Array<{ history: DataPoint[]; series: ReturnType<typeof markSettlement>; tz: string }> = [];
  outer: for (let round = 0; round < 100; round++) {
    for (const account of accounts) {
      for (const s of scopeSeries(account, start)) {
        scopes.push({
          history: s.points.slice(0, 7 * 48),
          series: markSettlement(s.points.slice(7 * 48, 35 * 48), (start + 60 * DAY_S) * 1000, 0),
          tz: account.tz,
        });
        if (scopes.length >= 1000) break outer;
      }
    }
  }
  const scope: AnomalyScope = { kind: 'account', key: null, label: 'all traffic' };
  const pass = () => {
    const started = performance.now();
    let found = 0;
    for (const s of scopes) found += detectAnomalies({ ...s, granularity: 'half_hour', scope }).length;
    return { ms: performance.now() - started, found };
  };
  const cold = pass();
  const warm = pass();
  console.log(
    `\nSpeed: ${scopes.length} scopes × 28 days of half hours (+7 days history) on one core: ${warm.ms.toFixed(0)} ms warm (${((warm.ms * 1000) / scopes.length).toFixed(0)} µs per scope), ${cold.ms.toFixed(0)} ms cold; ${warm.found} anomalies`,
  );
}

export const HALF_START = Date.UTC(2026, 9, 1) / 1000; // Berlin and New York change clocks on 25 Oct and 1 Nov

export function evalSets(): SetRun[] {
  const count = QUICK ? 32 : 96;
  const days = WARMUP_DAYS + JUDGED_DAYS;
  return [
    {
      label: 'CLEAN set',
      accounts: generateAccounts({ accounts: count, days, start: HALF_START, warmupDays: WARMUP_DAYS, seed: SEED }),
      start: HALF_START,
    },
    {
      label: 'HARD set',
      accounts: generateAccounts({ accounts: count, days, start: HALF_START, warmupDays: WARMUP_DAYS, seed: SEED + 7, hard: true }),
      start: HALF_START,
    },
  ];
}

async function main(): Promise<void> {
  console.log(`waba-pulse delivery-alert evaluation (seed ${SEED}${QUICK ? ', quick' : ''}; default settings)`);
  const t0 = performance.now();
  const sets = evalSets();
  console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const set of sets) await evaluateSet(set);
  daily();
  speed(sets[0]!.accounts, HALF_START);
}

await main();
