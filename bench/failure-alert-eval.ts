/**
 * How well minute-level failure alerts (`source: webhooks`) work, on labelled status-webhook
 * traffic written apart from the sandbox (bench/failures/generate.ts), with a plain test measured
 * on the same data in the same run.
 *
 * Every account is checked every minute over 14 judged days (after a day of history) by:
 *   - waba-pulse: `judgeStatuses`, the alert checks' own judge, fed what the store would return
 *     (the baseline day summed, the last hour minute by minute), drill-down by number and country;
 *   - plain: what a careful analyst would write — per scope, the last 5 minutes' failure rate
 *     against the day before, alarming at 2 points and 4 standard deviations, the deviation being
 *     the spread of that day's 5-minute rates plus the window's binomial noise; the same minimums
 *     (30 messages and 8 failures in the window).
 * Alarming minutes of one account less than 15 minutes apart are one alert (what the lifecycle
 * keeps open). An incident is caught when an alarm falls between its start and 10 minutes after
 * its end; an alert that starts outside every incident is a false alarm.
 * Seeded: the same figures every run. Run: npm run bench:failures [-- --quick]
 */

import { StatusReplay } from '../src/alerts/backtest/statusReplay.js';
import { judgeStatuses } from '../src/alerts/judge/webhooks.js';
import { DAY_MINUTES, type FailureAccount, type FailureIncident, generateFailureAccount } from './failures/generate.js';

const SEED = Number(process.env.SEED ?? 20261125);
const QUICK = process.argv.includes('--quick');
const ACCOUNTS = QUICK ? 12 : 40;
const JUDGED_DAYS = 14;
const DAYS = JUDGED_DAYS + 1;
const START_MINUTE = Date.UTC(2026, 9, 5) / 1000; // a Monday, in seconds
const WINDOW = 5;
const MERGE_GAP = 15;

type Detector = 'waba-pulse' | 'plain';

/** Per scope: sent and failed a minute. */
function scopeSeries(account: FailureAccount) {
  const total = account.minutes.length;
  const scopes = new Map<string, { sent: Float64Array; failed: Float64Array }>();
  const get = (id: string) => {
    let s = scopes.get(id);
    if (!s) {
      s = { sent: new Float64Array(total), failed: new Float64Array(total) };
      scopes.set(id, s);
    }
    return s;
  };
  account.minutes.forEach((rows, t) => {
    for (const r of rows) {
      for (const id of ['account', `phone:${r.phone}`, `country:${r.country}`]) {
        const s = get(id);
        if (r.status === 'sent' || r.status === 'unsent') s.sent[t]! += r.count;
        else if (r.status === 'failed') s.failed[t]! += r.count;
      }
    }
  });
  return scopes;
}

function plainAlarms(account: FailureAccount, from: number): number[] {
  const out: number[] = [];
  const scopes = [...scopeSeries(account).values()];
  for (let t = from; t < account.minutes.length; t++) {
    let alarming = false;
    for (const s of scopes) {
      let ws = 0;
      let wf = 0;
      for (let k = t - WINDOW; k < t; k++) {
        ws += s.sent[k]!;
        wf += s.failed[k]!;
      }
      const attempts = Math.max(ws, wf);
      if (attempts < 30 || wf < 8) continue;
      // The day before the last hour, in 5-minute windows.
      let bs = 0;
      let bf = 0;
      const rates: number[] = [];
      for (let w = t - 1500; w + WINDOW <= t - 60; w += WINDOW) {
        let a = 0;
        let f = 0;
        for (let k = w; k < w + WINDOW; k++) {
          a += s.sent[k]!;
          f += s.failed[k]!;
        }
        bs += a;
        bf += f;
        const n = Math.max(a, f);
        if (n >= 30) rates.push(f / n);
      }
      const usual = bf / Math.max(1, Math.max(bs, bf));
      const mean = rates.reduce((x, y) => x + y, 0) / Math.max(1, rates.length);
      const spread = rates.length > 1 ? rates.reduce((x, r) => x + (r - mean) ** 2, 0) / (rates.length - 1) : 0;
      const rate = wf / attempts;
      const sd = Math.sqrt(spread + (usual * (1 - usual)) / attempts);
      if (rate - usual >= 0.02 && rate - usual >= 4 * sd) {
        alarming = true;
        break;
      }
    }
    if (alarming) out.push(t);
  }
  return out;
}

function judgeAlarms(account: FailureAccount, from: number): number[] {
  const out: number[] = [];
  // What the store would answer at each check, replayed as `backtest` replays it.
  const replay = new StatusReplay(account.minutes.flat());
  for (let t = from; t < account.minutes.length; t++) {
    const nowMs = (START_MINUTE + t * 60) * 1000;
    if (judgeStatuses(replay.windowAt(nowMs), nowMs, { drillDown: ['phone', 'country'] }).ongoing.length) out.push(t);
  }
  return out;
}

interface Alert {
  start: number;
  end: number;
}

function episodes(alarms: readonly number[]): Alert[] {
  const out: Alert[] = [];
  for (const t of alarms) {
    const last = out[out.length - 1];
    if (last && t - last.end <= MERGE_GAP) last.end = t;
    else out.push({ start: t, end: t });
  }
  return out;
}

const material = (i: FailureIncident) => i.risePoints >= 5 && i.volume >= 10;

interface Tally {
  falseAlarms: number;
  incidents: Array<{ incident: FailureIncident; delay: number | null }>;
}

function score(account: FailureAccount, alarms: readonly number[]): Tally {
  const alerts = episodes(alarms);
  const explained = (a: Alert) => account.incidents.some((i) => a.start >= i.start && a.start < i.end + 10);
  const incidents = account.incidents.map((incident) => {
    const first = alarms.find((t) => t > incident.start && t < incident.end + 10);
    return { incident, delay: first === undefined ? null : first - incident.start };
  });
  return { falseAlarms: alerts.filter((a) => !explained(a)).length, incidents };
}

function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

function summary(name: Detector, tallies: Tally[], seconds: number): string[] {
  const months = (ACCOUNTS * JUDGED_DAYS) / 30;
  const fa = tallies.reduce((n, t) => n + t.falseAlarms, 0);
  const all = tallies.flatMap((t) => t.incidents);
  const mat = all.filter((x) => material(x.incident));
  const caught = mat.filter((x) => x.delay !== null);
  const fast = mat.filter((x) => x.delay !== null && x.delay <= 5);
  const big = mat.filter((x) => x.incident.risePoints >= 15);
  const bigFast = big.filter((x) => x.delay !== null && x.delay <= 5);
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(0)}%` : '—');
  const byKind = (['hold_back', 'block', 'throughput'] as const)
    .map((k) => {
      const of = mat.filter((x) => x.incident.kind === k);
      return `${k} ${of.filter((x) => x.delay !== null).length}/${of.length}`;
    })
    .join(', ');
  return [
    `${name.padEnd(11)} false alarms ${(fa / months).toFixed(2)} per account-month (${fa})   material incidents caught ${pct(caught.length, mat.length)} (${caught.length}/${mat.length}: ${byKind})`,
    `${''.padEnd(11)} within 5 min ${pct(fast.length, mat.length)}, median ${median(caught.map((x) => x.delay!))} min; rises of 15+ points within 5 min ${pct(bigFast.length, big.length)} (${bigFast.length}/${big.length}); ${seconds.toFixed(1)} s`,
  ];
}

function main(): void {
  const from = DAY_MINUTES + 60;
  const tallies: Record<Detector, Tally[]> = { 'waba-pulse': [], plain: [] };
  const seconds: Record<Detector, number> = { 'waba-pulse': 0, plain: 0 };
  let incidents = 0;
  let materialCount = 0;
  for (let i = 0; i < ACCOUNTS; i++) {
    const account = generateFailureAccount(SEED, i, DAYS, START_MINUTE);
    incidents += account.incidents.length;
    materialCount += account.incidents.filter(material).length;
    for (const [name, run] of [
      ['waba-pulse', judgeAlarms],
      ['plain', plainAlarms],
    ] as const) {
      const started = performance.now();
      const alarms = run(account, from);
      seconds[name] += (performance.now() - started) / 1000;
      tallies[name].push(score(account, alarms));
    }
  }
  console.log(
    `Failure alerts on status webhooks: ${ACCOUNTS} accounts × ${JUDGED_DAYS} days checked every minute (seed ${SEED}); ${incidents} incidents, ${materialCount} material (a rise of 5+ points on 10+ messages a minute)\n`,
  );
  for (const name of ['waba-pulse', 'plain'] as const) for (const line of summary(name, tallies[name], seconds[name])) console.log(line);
}

main();
