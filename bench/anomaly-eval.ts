/**
 * How well delivery alerts work, on labelled synthetic traffic, against two plain baselines
 * measured on the same data in the same run.
 *
 * Three half-hourly sets of 96 accounts × 28 judged days after 7 days of history:
 *   - CLEAN (bench/anomaly/generate.ts): moderate noise;
 *   - HARD (the same generator): beta-binomial rate swings of one to three points whatever the
 *     volume, a busier audience mix, accounts with ten numbers of unequal share, campaigns to the
 *     lowest-rate country;
 *   - SHIFTING (bench/anomaly/shifting.ts, held out: written and frozen before the detector was
 *     tuned on the other two): audiences changing every few hours, volatile numbers swinging up to
 *     ±10 points, 1–20 numbers, a weekday country mix, correlated and heavy-tailed noise, DST in
 *     March–April;
 * each scored four ways:
 *   - offline: `report --granularity half_hour` over the judged days — the account, `--by phone`
 *     and `--by country` — through the one planner and composeReport, within the report call
 *     budget, against the account's generated Graph;
 *   - online: `waba-pulse backtest`'s replay — the default rule with drill-down checked every 30
 *     minutes through the scheduler's own code (AlertChecker), young buckets still settling;
 *   - the plain test of issue 20 (bench/anomaly/plainTest.ts) on the account and every number and
 *     country;
 *   - the same-slot z-test (bench/anomaly/zTest.ts);
 * and how far an alert check's noise fit is from a report's (bench/anomaly/fitAgreement.ts).
 * Then a DAY set, the Graph call budget figures, and the detector's speed.
 *
 * Seeded: the same figures every run (SEED=… for another draw of the same generators, as the README's
 * figures on data never tuned on). Run: npm run bench:anomaly [-- --quick] [-- --misses]
 * [-- --set hard] (one set; repeatable) [-- --skip-online] [-- --set hard --trace 17:2] (account
 * 17's third incident traced check by check, nothing else run).
 */
import { type AnomalyScope, detectAnomalies } from '../src/analytics/anomalies.js';
import { fillGaps, markSettlement } from '../src/analytics/buckets.js';
import type { DetectionSettings } from '../src/analytics/detectionSettings.js';
import type { DataPoint } from '../src/vocabulary/series.js';
import { measureBudget } from './anomaly/budget.js';
import { fitAgreement } from './anomaly/fitAgreement.js';
import { type EvalAccount, generateAccounts, HALF_HOUR, scopeSeries } from './anomaly/generate.js';
import { describeAlarm, describeIncident, whyMissed } from './anomaly/misses.js';
import { evalConfig, offlineReports, type Unjudged } from './anomaly/offline.js';
import { online } from './anomaly/online.js';
import { plainTest } from './anomaly/plainTest.js';
import { type Alarm, median, perAccount30, type Scored, score } from './anomaly/score.js';
import { generateShifting, SHIFTING_START } from './anomaly/shifting.js';
import { traceIncident } from './anomaly/trace.js';
import { zTestDrops } from './anomaly/zTest.js';

const SEED = Number(process.env.SEED ?? 20261125);
const QUICK = process.argv.includes('--quick');
const MISSES = process.argv.includes('--misses');
const SKIP_ONLINE = process.argv.includes('--skip-online');
const ONLY = process.argv.flatMap((a, i) => (a === '--set' ? [process.argv[i + 1]!.toUpperCase()] : []));
const TRACE = process.argv.flatMap((a, i) => (a === '--trace' ? [process.argv[i + 1] ?? ''] : []))[0];
const DAY_S = 86_400;
const WARMUP_DAYS = 7;
const JUDGED_DAYS = 28;

function scopeOf(kind: 'account' | 'phone' | 'country', index: number | undefined, account: EvalAccount): AnomalyScope {
  if (kind === 'phone') return { kind: 'phone', key: String(index), label: `phone ${index}`, phone: String(index) };
  if (kind === 'country') {
    const code = account.countries[index!]!.code;
    return { kind: 'country', key: code, label: code, country: code };
  }
  return { kind: 'account', key: null, label: 'all traffic' };
}

/** A baseline run on the account and on every number and country. */
function baseline(accounts: readonly EvalAccount[], test: (points: DataPoint[]) => Array<Omit<Alarm, 'scope'>>): Map<number, Alarm[]> {
  const out = new Map<number, Alarm[]>();
  for (const account of accounts) {
    const list: Alarm[] = [];
    for (const s of scopeSeries(account, 0)) {
      const scope = { kind: s.kind, phone: s.kind === 'phone' ? s.index : undefined, country: s.kind === 'country' ? s.index : undefined };
      for (const alarm of test(s.points)) list.push({ ...alarm, scope });
    }
    out.set(account.index, list);
  }
  return out;
}

const plain = (accounts: readonly EvalAccount[]) =>
  baseline(accounts, (points) =>
    plainTest(points, WARMUP_DAYS * 48).map((a) => ({
      kind: a.kind,
      startIndex: a.startIndex,
      endIndex: a.endIndex,
      raisedAtMinute: (a.detected + 1) * 30,
    })),
  );

const zTest = (accounts: readonly EvalAccount[]) =>
  baseline(accounts, (points) =>
    zTestDrops(points, WARMUP_DAYS * 48).map((z) => ({
      kind: 'delivery_drop' as const,
      startIndex: z.startIndex,
      endIndex: z.endIndex,
      raisedAtMinute: (z.detected + 1) * 30,
    })),
  );

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
  add('false delivery-drop alarms / account / 30 d (target <= 0.1)', (s) =>
    perAccount30(s.faDropEvents, s.accounts, s.scoredDays).toFixed(2),
  );
  add('… on clean accounts', (s) => perAccount30(s.faDropEventsClean, s.cleanAccounts, s.scoredDays).toFixed(2));
  add('false alarms of any kind / account / 30 d', (s) => perAccount30(s.faAnyEvents, s.accounts, s.scoredDays).toFixed(2));
  add(
    'material incidents found (>= 5 pp >= 2 h, slides, stops; >= 500/half hour; target >= 98%)',
    (s) => `${pct(s.material.caught, s.material.n)} (${s.material.caught}/${s.material.n})`,
  );
  add(
    '… on one number or country, named by that scope',
    (s) => `${pct(s.material.singleNamed, s.material.single)} (${s.material.singleNamed}/${s.material.single})`,
  );
  add('subtle 2-5 pp drops at >= 2,000/half hour', (s) => `${pct(s.subtle.caught, s.subtle.n)} (${s.subtle.n})`);
  add('stops at >= 500/half hour', (s) => `${s.stops.caught}/${s.stops.n}`);
  // Alerts leave campaigns to reports (a spike is not a delivery problem): online has no figure.
  add('campaigns >= 4x (>= 200/half hour) flagged as volume spikes', (s) =>
    s.online || s.baseline ? 'n/a' : `${pct(s.bursts.spikes, s.bursts.n)} (${s.bursts.n})`,
  );
  add('delivery-drop alarms during campaigns', (s) => String(s.bursts.dropAlarms));
  add('median minutes, first bad half hour end -> alarm (>= 10 pp; target <= 30)', (s) =>
    Number.isNaN(median(s.bigDropDelays)) ? '-' : String(Math.round(median(s.bigDropDelays))),
  );
  add('incidents raised as more than one episode (target 0)', (s) => (s.online ? String(s.reopened) : '-'));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

function bands(label: string, scored: Scored): void {
  const rows = [...scored.rows.entries()].sort(([a], [b]) => a.localeCompare(b));
  console.log(`  ${label} by incident and band: ${rows.map(([k, v]) => `${k} ${pct(v.caught, v.n)} (${v.n})`).join('; ')}`);
}

/** The plain test's delivery drops raised once their rates have settled. */
function settledLate(alarms: ReadonlyMap<number, Alarm[]>, settleMinutes: number): Map<number, Alarm[]> {
  const out = new Map<number, Alarm[]>();
  for (const [account, list] of alarms)
    out.set(
      account,
      list.map((a) => (a.kind === 'delivery_drop' ? { ...a, raisedAtMinute: a.raisedAtMinute + settleMinutes } : a)),
    );
  return out;
}

/** Ours against the plain test: never worse on either figure. */
function verdict(label: string, ours: Scored, plainScored: Scored, against = 'the plain test'): void {
  const found = (s: Scored) => (s.material.n ? s.material.caught / s.material.n : 1);
  const fa = (s: Scored) => perAccount30(s.faDropEvents, s.accounts, s.scoredDays);
  const foundOk = found(ours) >= found(plainScored);
  const faOk = fa(ours) <= fa(plainScored) + 1e-9;
  console.log(
    `  ${label} vs ${against}: material found ${pct(ours.material.caught, ours.material.n)} vs ${pct(plainScored.material.caught, plainScored.material.n)} (${foundOk ? 'not worse' : 'WORSE'}); false alarms ${fa(ours).toFixed(2)} vs ${fa(plainScored).toFixed(2)} (${faOk ? 'not worse' : 'WORSE'})`,
  );
}

function misses(
  label: string,
  set: SetRun,
  scored: Scored,
  alarms: ReadonlyMap<number, Alarm[]>,
  plainScored: Scored,
  unjudged?: ReadonlyMap<number, Unjudged[]>,
  /** Online: the settle time, so a miss also says how the check fitted the scope's noise. */
  check?: { settleMs: number },
): void {
  const missed = scored.materialList.filter((r) => !r.caught || ((r.incident.phone ?? r.incident.country) !== undefined && !r.named));
  console.log(
    `  ${label}: ${missed.length ? `${missed.length} material incident(s) missed or not named by their scope` : 'every material incident found and named'}`,
  );
  for (const r of missed) {
    const plainFound = plainScored.materialList.find((p) => p.account === r.account && p.incident === r.incident)?.caught;
    const why = r.caught
      ? 'found, but not named by its own scope'
      : whyMissed(
          {
            account: r.account,
            start: set.start,
            warmupBuckets: WARMUP_DAYS * 48,
            alarms: alarms.get(r.account.index) ?? [],
            unjudged: unjudged?.get(r.account.index),
            check,
          },
          r.incident,
        );
    console.log(`    - ${describeIncident(r.account, r.incident, r.volume)} — ${why}${plainFound ? ' (the plain test found it)' : ''}`);
  }
  if (scored.bigDropDelays.length)
    console.log(
      `  ${label} minutes to alarm, drops >= 10 pp: ${[...scored.bigDropDelayOf]
        .sort((a, b) => a.minutes - b.minutes)
        .map((d) => `${Math.round(d.minutes)} (account ${d.account})`)
        .join(', ')}`,
    );
  for (const r of scored.reopenedList)
    console.log(`  ${label} raised more than one episode for: ${describeIncident(r.account, r.incident, r.volume)}`);
  if (scored.falseAlarms.length) {
    console.log(`  ${label} false delivery-drop alarms:`);
    for (const { account, alarm } of scored.falseAlarms) console.log(`    - ${describeAlarm(account, alarm)}`);
  }
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

async function evaluateSet(set: SetRun): Promise<void> {
  const judgedFrom = WARMUP_DAYS * 48;
  const judgedTo = (WARMUP_DAYS + JUDGED_DAYS) * 48;
  const t0 = performance.now();
  const reports = await offlineReports(set.accounts, set.start, WARMUP_DAYS, JUDGED_DAYS, trial());
  const ours = score(set.accounts, reports.alarms, judgedFrom, judgedTo, JUDGED_DAYS);
  const t1 = performance.now();
  // Online checks need a full week plus a day behind them: they start a day into the judged span.
  const replay = SKIP_ONLINE ? undefined : await online(set.accounts, set.start, WARMUP_DAYS + 1, WARMUP_DAYS + JUDGED_DAYS);
  const live = replay
    ? { ...score(set.accounts, replay.alarms, (WARMUP_DAYS + 1) * 48, judgedTo, JUDGED_DAYS - 1), online: true }
    : undefined;
  const t2 = performance.now();
  const plainAlarms = plain(set.accounts);
  const plainScored = { ...score(set.accounts, plainAlarms, judgedFrom, judgedTo, JUDGED_DAYS), baseline: true };
  // The online figures start a day later: the plain test scored over the same days to compare.
  const plainLive = score(set.accounts, plainAlarms, (WARMUP_DAYS + 1) * 48, judgedTo, JUDGED_DAYS - 1);
  // The plain test run by a scheduler: it reads rates as final, so it can judge a half hour only
  // once its deliveries are in (the settle time); a stop, read from sent, the moment it ends.
  const settleMs = evalConfig(set.accounts[0]!).accounts[0]!.settleMs;
  const plainScheduled = {
    ...score(set.accounts, settledLate(plainAlarms, settleMs / 60_000), (WARMUP_DAYS + 1) * 48, judgedTo, JUDGED_DAYS - 1),
    baseline: true,
  };
  const z = { ...score(set.accounts, zTest(set.accounts), judgedFrom, judgedTo, JUDGED_DAYS), baseline: true };
  const phones = set.accounts.map((a) => a.phones.length);
  table(
    `${set.label}: ${set.accounts.length} accounts (${ours.cleanAccounts} clean; ${Math.min(...phones)}–${Math.max(...phones)} numbers), ${JUDGED_DAYS} judged days after ${WARMUP_DAYS} of history, ${ours.incidents} incidents, ${ours.material.n} material (offline: ${reports.reports} reports, ${reports.calls.toLocaleString('en-US')} Graph calls, at most ${reports.maxCalls} a report, in ${((t1 - t0) / 1000).toFixed(1)} s${replay ? `; online ${replay.checks.toLocaleString('en-US')} checks in ${((t2 - t1) / 1000).toFixed(1)} s` : ''})`,
    [
      { label: 'waba-pulse offline', scored: ours },
      ...(live ? [{ label: 'waba-pulse online', scored: live }] : []),
      { label: 'plain test', scored: plainScored },
      ...(live ? [{ label: 'plain test, scheduled', scored: plainScheduled }] : []),
      { label: 'z-test', scored: z },
    ],
  );
  bands('offline', ours);
  if (live) bands('online', live);
  bands('plain test', plainScored);
  verdict('offline', ours, plainScored);
  if (live) {
    verdict('online', live, plainLive);
    verdict('online', live, plainScheduled, 'the plain test scheduled');
  }
  const fits = fitAgreement(set.accounts, set.start, WARMUP_DAYS, JUDGED_DAYS, QUICK ? 100 : 300, SEED + 29);
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  console.log(
    `  noise fit, an alert check's against a report's (${fits.samples} scopes sending 200 or more a half hour, at random times, settled data): τ off by ${pct(fits.tau[0])} (median; 90th percentile ${pct(fits.tau[1])}), long-run factor by ${pct(fits.longRun[0])} (${pct(fits.longRun[1])}), ρ by ${fits.rho[0].toFixed(2)} (${fits.rho[1].toFixed(2)}); the scale of the check's persistence statistic 10% or more wider in ${pct(fits.wider / Math.max(1, fits.samples))} of them, narrower in ${pct(fits.narrower / Math.max(1, fits.samples))}`,
  );
  if (MISSES) {
    misses('offline', set, ours, reports.alarms, plainScored, reports.unjudged);
    if (live && replay) misses('online', set, live, replay.alarms, plainLive, replay.unjudged, { settleMs });
  }
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
        scope: scopeOf(s.kind, s.index, account),
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
    `\nSpeed: ${scopes.length} scopes × 28 days of half hours (+7 days history) on one core: ${warm.ms.toFixed(0)} ms warm (${((warm.ms * 1000) / scopes.length).toFixed(0)} µs per scope; target under ~1 s), ${cold.ms.toFixed(0)} ms cold; ${warm.found} anomalies`,
  );
}

export const HALF_START = Date.UTC(2026, 9, 1) / 1000; // Berlin and New York change clocks on 25 Oct and 1 Nov

export function evalSets(): SetRun[] {
  const count = QUICK ? 32 : 96;
  const days = WARMUP_DAYS + JUDGED_DAYS;
  const sets: SetRun[] = [
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
    {
      label: 'SHIFTING set (held out)',
      accounts: generateShifting({ accounts: count, seed: SEED + 13, days, warmupDays: WARMUP_DAYS }),
      start: SHIFTING_START,
    },
  ];
  return ONLY.length ? sets.filter((s) => ONLY.some((o) => s.label.startsWith(o))) : sets;
}

async function budget(): Promise<void> {
  const t0 = performance.now();
  const b = await measureBudget(Date.UTC(2026, 10, 23, 0, 0));
  const warm = b.perHour.slice(2);
  console.log(
    `\nGraph call budget (sandbox over HTTP, the product's client, bucket cache and checker; ${((performance.now() - t0) / 1000).toFixed(1)} s):`,
  );
  console.log(
    `  alert checks every 30 min, ten numbers and four countries, drill-down by both, 48 hours from a cold cache: ${Math.max(...b.perHour)} Graph calls in the busiest WABA-hour (the first: ${b.perHour[0]}), ${Math.max(...warm)} at most after it, ${(warm.reduce((x, y) => x + y, 0) / warm.length).toFixed(1)} on average (target <= 40); drill-downs judged per check: ${Math.min(...b.judgedPerCheck)}–${Math.max(...b.judgedPerCheck)} of 14 (first checks: ${b.judgedPerCheck.slice(0, 3).join(', ')})`,
  );
  console.log(
    `  report --last 28d --granularity half_hour --by phone of the ten numbers: ${b.report.calls} Graph calls (budget 60); ${b.report.judged} of 10 judged half hour by half hour, ${b.report.byDay} by day only, ${b.report.none} not judged; again through the bucket cache: ${b.repeat.calls} calls, ${b.repeat.judged} of 10 judged half hour by half hour`,
  );
}

async function main(): Promise<void> {
  console.log(`waba-pulse delivery-alert evaluation (seed ${SEED}${QUICK ? ', quick' : ''}; default settings)`);
  const t0 = performance.now();
  const sets = evalSets();
  console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (TRACE !== undefined) {
    const [account, incident] = TRACE.split(':').map(Number);
    const set = sets.length === 1 ? sets[0] : undefined;
    const traced = set?.accounts.find((a) => a.index === account);
    if (!set || !traced || !Number.isInteger(incident) || !traced.incidents[incident!]) {
      const known = traced ? ` (account ${account} has ${traced.incidents.length} incidents)` : '';
      console.error(
        `--trace ${TRACE}: give one --set and ACCOUNT:INCIDENT, e.g. --set hard --trace 17:2 (incidents counted from 0)${known}`,
      );
      process.exitCode = 2;
      return;
    }
    await traceIncident(traced, traced.incidents[incident!]!, set.start);
    return;
  }
  for (const set of sets) await evaluateSet(set);
  if (!ONLY.length) {
    daily();
    await budget();
  }
  speed(sets[0]!.accounts, sets[0]!.start);
}

await main();
