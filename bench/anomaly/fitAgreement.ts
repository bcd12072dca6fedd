/**
 * How far an alert check's noise fit is from a report's of the same scope at the same time —
 * the figure a fix for the online misses has to move. A check fits the noise from its own
 * 14-day window; a report, whose window began weeks earlier, from residuals whose baselines
 * and level had their full history behind them. Both read settled data here, so the difference
 * is the window's alone. Sampled scopes and times, drawn from the set's own seed.
 */

import { checkWindow } from '../../src/alerts/judge/graph.js';
import { analyzeSeries } from '../../src/analytics/anomalies.js';
import { markSettlement } from '../../src/analytics/buckets.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { percentile } from '../stats.js';
import { type EvalAccount, HALF_HOUR, Rng, scopeSeries } from './generate.js';

const SCOPE = { kind: 'account', key: null, label: 'scope' } as const;
const REPORT_DAYS = 15;

/** The noise fitted over `points[from..end)`, judged from `split`, as seen at `nowMs`. */
function fitOf(points: readonly DataPoint[], from: number, split: number, end: number, tz: string, nowMs: number, settleMs: number) {
  return analyzeSeries({
    history: points.slice(from, split),
    series: markSettlement(points.slice(split, end), nowMs, settleMs),
    granularity: 'half_hour',
    tz,
    scope: SCOPE,
  }).noise;
}

/**
 * The noise as the alert check at `nowMs` fitted it from its own window (`checkWindow`), on a
 * series that starts at `dataStart` (a window reaching before it starts where the data does).
 * With no settle time, every half hour the check reads is settled.
 */
export function checkFit(points: readonly DataPoint[], dataStart: number, nowMs: number, tz: string, settleMs = 0) {
  const { from, split, end } = checkSpan(points.length, dataStart, nowMs);
  return fitOf(points, from, split, end, tz, nowMs, settleMs);
}

/** The check at `nowMs`'s window (`checkWindow`) as indexes into `length` half hours from `dataStart`. */
function checkSpan(length: number, dataStart: number, nowMs: number): { from: number; split: number; end: number } {
  const { start, split, end } = checkWindow(nowMs);
  const at = (t: number) => Math.max(0, Math.min(length, Math.round((t - dataStart) / HALF_HOUR)));
  return { from: at(start), split: at(split), end: at(end) };
}

const quantiles = (values: number[]): [number, number] =>
  values.length ? [percentile(values, 50), percentile(values, 90)] : [Number.NaN, Number.NaN];

export interface FitAgreement {
  samples: number;
  /** |τ_check / τ_report − 1|: median and 90th percentile. */
  tau: [number, number];
  /** The same for the long-run factor. */
  longRun: [number, number];
  /** |ρ_check − ρ_report|. */
  rho: [number, number];
  /** Samples where the check's τ·√(long-run factor) — the scale of its persistence statistic — is 10% or more over the report's (drops hide), or under it (dips alarm). */
  wider: number;
  narrower: number;
}

/**
 * `samples` (scope, check time) pairs from the fifteenth day on,
 * of scopes sending `minSent` or more a half hour on average in the check's window: a quiet scope's
 * fit is loose in any window.
 */
export function fitAgreement(
  accounts: readonly EvalAccount[],
  start: number,
  warmupDays: number,
  judgedDays: number,
  samples: number,
  seed: number,
  minSent = 200,
): FitAgreement {
  const rng = new Rng(seed);
  const tau: number[] = [];
  const longRun: number[] = [];
  const rho: number[] = [];
  let wider = 0;
  let narrower = 0;
  for (let k = 0; tau.length < samples && k < 50 * samples; k++) {
    const account = rng.pick(accounts);
    const scope = rng.pick(scopeSeries(account, start));
    // A report from the data's start, with at least a fortnight behind it: its fit read residuals
    // whose baselines and level had their full week (a shorter report has a check's trouble).
    const endIndex = rng.int(Math.max(warmupDays + 1, REPORT_DAYS) * 48, (warmupDays + judgedDays) * 48);
    const nowMs = (start + endIndex * HALF_HOUR) * 1000;
    const { from } = checkSpan(scope.points.length, start, nowMs);
    let sent = 0;
    for (let b = from; b < endIndex; b++) sent += scope.points[b]?.sent ?? 0;
    if (sent < minSent * (endIndex - from)) continue;
    const check = checkFit(scope.points, start, nowMs, account.tz);
    const report = fitOf(scope.points, 0, warmupDays * 48, endIndex, account.tz, nowMs, 0);
    if (![check.tau, report.tau, check.longRun, report.longRun].every(Number.isFinite)) continue;
    tau.push(Math.abs(check.tau / report.tau - 1));
    longRun.push(Math.abs(check.longRun / report.longRun - 1));
    rho.push(Math.abs(check.rho - report.rho));
    const ratio = (check.tau * Math.sqrt(check.longRun)) / (report.tau * Math.sqrt(report.longRun));
    if (ratio >= 1.1) wider++;
    else if (ratio <= 1 / 1.1) narrower++;
  }
  return {
    samples: tau.length,
    tau: quantiles(tau),
    longRun: quantiles(longRun),
    rho: quantiles(rho),
    wider,
    narrower,
  };
}
