import type { Anomaly, AnomalyScope } from '../../analytics/anomalies.js';
import { attemptsOf, isAttempt, isScoped, type StatusScope, withinScope } from '../../analytics/failures.js';
import { breakdownLabel } from '../../report/format.js';
import { failureMeaning } from '../../vocabulary/failureCodes.js';
import type { StatusCount, StatusTotal } from '../../vocabulary/statuses.js';
import type { AlertRuleView, Judgement, ScopeNow } from './graph.js';

/**
 * Alert checks on status webhooks (`source: webhooks`): every minute, each scope's failures over
 * the last few minutes against its own failure rates of the day before — code by code. Real
 * incidents are one code surging (131049 holding back marketing, 368 or 131048 blocking a number,
 * 130429 at the throughput limit), while a campaign to a staler list or an audience that fails
 * more at night raises every ordinary code a little: judging each code against its own baseline
 * tells the two apart. A code alarms when it rises by at least 5 points and far outside what the
 * baseline allows — Poisson noise for the window's volume, judged on the square-root scale (the
 * counts are often a handful), widened by a spread proportional to the code's usual rate (failure
 * rates wander well beyond Poisson noise); the whole failure rate alarms on its own only when it
 * rises three times as much. The alert names the surging code,
 * what it means and what to do. Measured in bench/failure-alert-eval.ts.
 */

/** The judged window, and how far back a burst's start is looked for. */
export const WINDOW_MINUTES = 5;
const LOOKBACK_MINUTES = 60;
/** The baseline: the day before the last hour. */
const BASELINE_FROM_MINUTES = 25 * 60;
const BASELINE_TO_MINUTES = 60;
const BASELINE_STEP_MINUTES = 15;

export interface WebhookThresholds {
  /** Percentage points a code must rise above its usual rate (three times as much for all failures together). */
  minRisePoints: number;
  /** Standard deviations above it, for the window's volume. */
  z: number;
  /** How far a rate wanders between windows as a share of itself, on top of binomial noise. */
  relativeSpread: number;
  /** Messages and failures in the window before it is judged at all. */
  minAttempts: number;
  minFailures: number;
}

export function webhookThresholds(rule: Pick<AlertRuleView, 'sensitivity'>): WebhookThresholds {
  const sensitivity = rule.sensitivity ?? 'normal';
  return {
    minRisePoints: sensitivity === 'high' ? 3 : sensitivity === 'low' ? 8 : 5,
    z: sensitivity === 'high' ? 3.5 : sensitivity === 'low' ? 5 : 4,
    relativeSpread: 0.5,
    minAttempts: 30,
    minFailures: 8,
  };
}

interface Tally {
  /** Messages attempted: `sent` and `unsent` counts. */
  sent: number;
  failed: number;
  codes: Map<number, number>;
}

const tally = (): Tally => ({ sent: 0, failed: 0, codes: new Map() });

function add(t: Tally, row: StatusTotal): void {
  if (isAttempt(row.status)) t.sent += row.count;
  else if (row.status === 'failed') {
    t.failed += row.count;
    t.codes.set(row.code, (t.codes.get(row.code) ?? 0) + row.count);
  }
}

/** Failed per message attempted. */
function rate(t: Tally): number {
  const attempts = attemptsOf(t.sent, t.failed);
  return attempts ? t.failed / attempts : 0;
}

/** Labels are asked for every scope every minute: formatted once. */
const labels = new Map<string, string>();

function scopeOf(kind: 'account' | 'phone' | 'country', key: string | null, scoped = false): AnomalyScope {
  if (kind === 'account') return { kind, key: null, label: scoped ? 'the configured scope' : 'all traffic' };
  const id = `${kind}|${key}`;
  let label = labels.get(id);
  if (label === undefined) {
    label = breakdownLabel(kind, key!);
    if (labels.size < 10_000) labels.set(id, label);
  }
  return kind === 'phone' ? { kind, key, label, phone: key! } : { kind, key, label, country: key! };
}

/** What a check reads: the baseline day summed per number, country and code, and the last hour minute by minute. */
export interface StatusWindow {
  baseline: readonly StatusTotal[];
  recent: readonly StatusCount[];
}

/** The minutes a check at `nowMs` reads: the baseline's [from, to) and the recent hour's. */
export function statusWindow(nowMs: number): { baseline: [number, number]; recent: [number, number] } {
  const now = Math.floor(nowMs / 60_000) * 60;
  // The baseline day moves in quarter hours: fifteen checks in a row read the same one, so the
  // store sums it once a quarter hour rather than every minute.
  const step = Math.floor(nowMs / (BASELINE_STEP_MINUTES * 60_000)) * BASELINE_STEP_MINUTES * 60;
  return {
    baseline: [step - BASELINE_FROM_MINUTES * 60, step - BASELINE_TO_MINUTES * 60],
    recent: [now - LOOKBACK_MINUTES * 60, now],
  };
}

/** The rows of a longer stretch, split as a check at `nowMs` reads them (tests, the evaluation). */
export function statusWindowOf(rows: readonly StatusCount[], nowMs: number): StatusWindow {
  const { baseline, recent } = statusWindow(nowMs);
  return {
    baseline: rows.filter((r) => r.minute >= baseline[0] && r.minute < baseline[1]),
    recent: rows.filter((r) => r.minute >= recent[0] && r.minute < recent[1]),
  };
}

type ScopeKind = 'account' | 'phone' | 'country';

/** One scope's tallies: its window, its baseline, and its minutes of the last hour. */
interface ScopeTally {
  kind: ScopeKind;
  key: string | null;
  window: Tally;
  base: Tally;
  minutes: Map<number, Tally>;
}

/** Every scope the rule drills into, tallied from the non-delivered statuses of the baseline and the last hour. */
function tallyScopes(input: StatusWindow, drillDown: AlertRuleView['drillDown'], now: number): ScopeTally[] {
  const windowFrom = now - WINDOW_MINUTES * 60;
  const scopes = new Map<string, ScopeTally>();
  const scope = (kind: ScopeKind, key: string | null) => {
    const id = `${kind}|${key ?? ''}`;
    let s = scopes.get(id);
    if (!s) {
      s = { kind, key, window: tally(), base: tally(), minutes: new Map() };
      scopes.set(id, s);
    }
    return s;
  };
  const scopesOf = (row: StatusTotal) => {
    const targets = [scope('account', null)];
    if (drillDown.includes('phone') && row.phone) targets.push(scope('phone', row.phone));
    if (drillDown.includes('country') && row.country !== 'ZZ') targets.push(scope('country', row.country));
    return targets;
  };
  for (const row of input.baseline) {
    if (row.status === 'delivered' || row.status === 'read') continue;
    for (const s of scopesOf(row)) add(s.base, row);
  }
  for (const row of input.recent) {
    if (row.status === 'delivered' || row.status === 'read') continue;
    if (row.minute < now - LOOKBACK_MINUTES * 60 || row.minute >= now) continue;
    for (const s of scopesOf(row)) {
      if (row.minute >= windowFrom) add(s.window, row);
      let m = s.minutes.get(row.minute);
      if (!m) {
        m = tally();
        s.minutes.set(row.minute, m);
      }
      add(m, row);
    }
  }
  return [...scopes.values()];
}

type Thresholds = ReturnType<typeof webhookThresholds>;

/** The last hour for the alert's small chart: at each minute, the failure rate of the window ending there. */
function trailOf(s: ScopeTally, now: number, usual: number, t: Thresholds): NonNullable<ScopeNow['trail']> {
  const trail: NonNullable<ScopeNow['trail']> = [];
  for (let m = now - LOOKBACK_MINUTES * 60 + (WINDOW_MINUTES - 1) * 60; m < now; m += 60) {
    let sent = 0;
    let failed = 0;
    for (let k = m - (WINDOW_MINUTES - 1) * 60; k <= m; k += 60) {
      sent += s.minutes.get(k)?.sent ?? 0;
      failed += s.minutes.get(k)?.failed ?? 0;
    }
    const n = attemptsOf(sent, failed);
    trail.push({ start: m, rate: n >= t.minAttempts ? failed / n : null, expected: usual, sent: n });
  }
  return trail;
}

/** One scope judged: what it looks like now, and the burst it is in, if any. */
function judgeScope(s: ScopeTally, now: number, t: Thresholds, scoped: boolean): { scopeNow: ScopeNow; burst?: Anomaly } {
  const rise = t.minRisePoints / 100;
  const windowFrom = now - WINDOW_MINUTES * 60;
  const attemptsBase = attemptsOf(s.base.sent, s.base.failed);
  const attempts = attemptsOf(s.window.sent, s.window.failed);
  // The usual rates, smoothed (toward 2% in all, toward nothing for a code) so a quiet day does not make every failure news.
  const usual = (s.base.failed + 0.02 * 50) / (attemptsBase + 50);
  const observed = rate(s.window);
  const label = scopeOf(s.kind, s.key, scoped);
  const scopeNow: ScopeNow = { scope: label, rate: attempts ? 1 - observed : null, expected: 1 - usual, sent: attempts };
  if (attempts < t.minAttempts || s.window.failed < t.minFailures) return { scopeNow };
  // Failures are counts, often a handful: judged on the square-root scale, where Poisson noise
  // is even (a normal test on 11 failures against 2.7 expected cries wolf), widened by the
  // usual rate's own wander (negative-binomial: variance μ + (spread·μ)²).
  const excess = (count: number, was: number) => {
    const mean = was * attempts;
    const width = Math.sqrt(1 + t.relativeSpread ** 2 * mean);
    const z = (2 * (Math.sqrt(count + 0.375) - Math.sqrt(mean + 0.375))) / width;
    const high = ((Math.sqrt(mean + 0.375) + (t.z * width) / 2) ** 2 - 0.375) / attempts;
    return { points: count / attempts - was, z, high };
  };
  // The code that surged most, if any did; else all failures together, if they rose a lot.
  let surge: { code: number; points: number; z: number; count: number } | undefined;
  for (const [code, count] of s.window.codes) {
    if (count < t.minFailures) continue;
    const was = ((s.base.codes.get(code) ?? 0) + 0.5) / (attemptsBase + 50);
    const e = excess(count, was);
    if (e.points >= rise && e.z >= t.z && (!surge || e.z > surge.z)) surge = { code, points: e.points, z: e.z, count };
  }
  const whole = excess(s.window.failed, usual);
  if (!surge && !(whole.points >= 3 * rise && whole.z >= t.z)) return { scopeNow };
  const code = surge?.code ?? [...s.window.codes.entries()].sort((x, y) => y[1] - x[1])[0]![0];
  const count = surge?.count ?? s.window.codes.get(code)!;
  // Since when: the first raised minute of the window, then back through the last hour while
  // the minutes before it failed as much.
  const codeUsual = ((s.base.codes.get(code) ?? 0) + 0.5) / (attemptsBase + 50);
  const raised = (m: number) => {
    const minute = s.minutes.get(m);
    if (!minute) return false;
    const n = attemptsOf(minute.sent, minute.failed);
    return n > 0 && (surge ? (minute.codes.get(code) ?? 0) / n - codeUsual : rate(minute) - usual) >= (surge ? rise : 3 * rise) / 2;
  };
  let start = windowFrom;
  while (start < now - 60 && !raised(start)) start += 60;
  while (start - 60 >= now - LOOKBACK_MINUTES * 60 && raised(start - 60)) start -= 60;
  scopeNow.trail = trailOf(s, now, usual, t);
  const meaning = failureMeaning(code);
  const where = s.kind === 'account' ? 'across the account' : s.kind === 'phone' ? `on ${label.label}` : `to ${label.label}`;
  const burst: Anomaly = {
    kind: 'failure_burst',
    scope: label,
    start,
    end: now,
    detectedAt: now,
    observed,
    expected: usual,
    expectedLow: 0,
    expectedHigh: whole.high,
    severity: observed - usual >= 0.15 ? 'critical' : 'warning',
    sent: attempts,
    delivered: attempts - s.window.failed,
    code,
    explanation: `Failures ${where} rose to ${(observed * 100).toFixed(1)}% of messages (usually ${(usual * 100).toFixed(1)}%) in the last ${WINDOW_MINUTES} minutes, led by ${code} (${count} of ${s.window.failed}) — ${meaning.title}. ${meaning.advice}`,
  };
  return { scopeNow, burst };
}

/** Judge an account's statuses at `nowMs`. Pure: the counts in, the judgement out. */
export function judgeStatuses(
  window: StatusWindow,
  nowMs: number,
  rule: Pick<AlertRuleView, 'drillDown' | 'sensitivity'> & { statusScope?: StatusScope | undefined },
): Judgement {
  const t = webhookThresholds(rule);
  // Only the numbers and countries the rule (or its account) covers, as its Graph checks would.
  const scoped = isScoped(rule.statusScope);
  const input = scoped
    ? { baseline: withinScope(window.baseline, rule.statusScope), recent: withinScope(window.recent, rule.statusScope) }
    : window;
  const now = Math.floor(nowMs / 60_000) * 60;
  const judged = tallyScopes(input, rule.drillDown, now).map((s) => judgeScope(s, now, t, scoped));
  const ongoing = judged.flatMap((j) => (j.burst ? [j.burst] : []));
  return { ongoing, recent: ongoing, now: judged.map((j) => j.scopeNow) };
}
