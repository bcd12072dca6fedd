import {
  type Anomaly,
  type AnomalyScope,
  analyzeSeries,
  analyzeYoungAgain,
  type DetectionInput,
  type SeriesAnalysis,
} from '../../analytics/anomalies.js';
import { arrivalsFromSiblings } from '../../analytics/arrivals.js';
import { fillGaps, markSettlement, type SeriesPoint } from '../../analytics/buckets.js';
import { type DetectionSettings, detectionSettings } from '../../analytics/detectionSettings.js';
import type { SettleCurve } from '../../analytics/settle.js';
import type { SettledWork } from '../../analytics/settledWork.js';
import type { DataPoint } from '../../vocabulary/series.js';

/**
 * What an alert check looks at: the account (within the rule's scope) and, one by one, its
 * numbers and countries, over the last day half-hourly with 12–13 days of history before it — the
 * newest buckets judged young against the account's settle curve, so a drop is seen within
 * the hour instead of after the settle time.
 */
export interface ScopeData {
  scope: AnomalyScope;
  dimension: 'account' | 'phone' | 'country';
  points: DataPoint[];
}

export interface AlertRuleView {
  scope?: { phoneNumbers?: string[] | undefined; countries?: string[] | undefined } | undefined;
  drillDown: ReadonlyArray<'phone' | 'country'>;
  minSent: number;
  rateFloor?: number | undefined;
  sensitivity?: DetectionSettings['sensitivity'] | undefined;
}

const HALF_HOUR = 1800;
/**
 * History before the judged day: a week of baselines, and a week of residuals against full
 * baselines for the noise fit — as a report's. With a week only, the fit leaned on residuals
 * against baselines of a day or two and came out wider than the report's, hiding drops a report
 * finds (on sets never tuned on, 92.7% → 94.5%, 97.2% → 100%, 93.8% → 97.9% found online).
 * Two 7-day Graph chunks either way, and one call each once the bucket cache holds the settled days.
 */
const WINDOW_SECONDS = 14 * 86_400;
const JUDGED_SECONDS = 86_400;
const DAY = 86_400;

/**
 * The check's grid: complete half hours up to `nowMs`, a day judged after 12–13 days of history
 * — the window starts at the first UTC midnight within 14 days, so a day's checks share their
 * start and each takes up the last one's work on the settled buckets (`SettledWork`).
 */
export function checkWindow(nowMs: number): { start: number; split: number; end: number } {
  const end = Math.floor(nowMs / 1000 / HALF_HOUR) * HALF_HOUR;
  return { start: Math.ceil((end - WINDOW_SECONDS) / DAY) * DAY, split: end - JUDGED_SECONDS, end };
}

/** A number or country a check may drill down into. */
export interface DrillDown {
  dimension: 'phone' | 'country';
  key: string;
}

export const drillDownKey = (d: DrillDown | Pick<AnomalyScope, 'kind' | 'key'>) =>
  'dimension' in d ? `${d.dimension}|${d.key}` : `${d.kind}|${d.key ?? ''}`;

/**
 * What a check may spend on Graph calls, and which scopes it must not leave out: from the rule's
 * share of the WABA's hourly budget and what the WABA has used, decided by `AlertChecker`.
 */
export interface CheckBudget {
  /** Calls this check may make in the usual course, the account's own included. */
  allowance: number;
  /** Calls it may make when the account itself is dropping: the evidence says look closer now. */
  urgent: number;
  /** Scopes an open alert names (`phone|key`): judged first, so it resolves on what they do now. */
  pinned: readonly string[];
  /** Which check this is (its period): successive checks take turns through the scopes. */
  turn: number;
}

/**
 * Which drill-downs a check judges when they do not all fit its calls: the scopes an open alert
 * names first; then the scopes are taken in turns — split into as many groups as it takes for a
 * group's calls to fit, each check judging the next group — so
 * every number and country is judged every few checks, and none is left out for good. Pure.
 */
export function chooseDrillDowns(
  candidates: readonly DrillDown[],
  costs: readonly number[],
  available: number,
  turn: number,
  pinned: ReadonlySet<string>,
): { chosen: DrillDown[]; left: DrillDown[] } {
  const total = costs.reduce((sum, c) => sum + c, 0);
  if (total <= available) return { chosen: [...candidates], left: [] };
  const groups = Math.max(1, Math.ceil(total / Math.max(1, available)));
  const order = candidates
    .map((d, index) => ({ d, index, pin: pinned.has(drillDownKey(d)) ? 0 : 1, group: (((index - turn) % groups) + groups) % groups }))
    .sort((a, b) => a.pin - b.pin || a.group - b.group || a.index - b.index);
  const chosen = new Set<number>();
  let spent = 0;
  for (const { index } of order) {
    if (spent + costs[index]! > available) continue;
    chosen.add(index);
    spent += costs[index]!;
  }
  return {
    chosen: candidates.filter((_, i) => chosen.has(i)),
    left: candidates.filter((_, i) => !chosen.has(i)),
  };
}

/** The rule's drill-downs: its (or the account's) numbers and countries, else those Graph listed. */
export function drillDownsOf(
  rule: AlertRuleView,
  account: { phoneNumbers: readonly string[]; countries: readonly string[] },
  listed: { phoneNumbers: readonly string[]; countryCodes: readonly string[] },
): DrillDown[] {
  const phoneNumbers = rule.scope?.phoneNumbers ?? account.phoneNumbers;
  const countryCodes = rule.scope?.countries ?? account.countries;
  return rule.drillDown.flatMap((by) =>
    (by === 'phone'
      ? phoneNumbers.length
        ? phoneNumbers
        : listed.phoneNumbers
      : countryCodes.length
        ? countryCodes
        : listed.countryCodes
    ).map((key) => ({ dimension: by, key })),
  );
}

export interface JudgeOptions {
  nowMs: number;
  settleMs: number;
  curve: SettleCurve;
  tz: string;
  detection: Partial<DetectionSettings>;
  /** The last checks' work on each scope's settled buckets, kept under `key` (the account, the rule's scope and settings) and the scope. */
  settled?: { work: SettledWork; key: string } | undefined;
}

export interface ScopeNow {
  scope: AnomalyScope;
  /** The newest hour's rate (longer for a quiet scope; deliveries still arriving counted at the share the curve expects). */
  rate: number | null;
  /** What the last hour was expected to deliver (null when there is no baseline). */
  expected: number | null;
  sent: number;
  /**
   * How far that hour's rate wanders by chance alone at what it sent (binomial, rate units): a
   * quiet scope back to normal reads this far under its expected rate often. The scope's own
   * wander is left out: counted too, noisy scopes resolved while still wandering low and opened
   * again as new alerts (measured: one more false alarm on each of two held-out sets).
   */
  spread?: number | undefined;
  /**
   * Where the scope's newest bucket that sent anything ended (null: nothing in the judged day): a
   * stop is over only once the scope sends after its last bad bucket. Not `sent` above, which a
   * quiet scope gathers over up to four hours: the sends before a stop counted as sending again.
   * Absent from judges that do not read sending bucket by bucket (status webhooks).
   */
  lastSentEnd?: number | null | undefined;
  /** The last hours, bucket by bucket, of a scope with an anomaly going on: for the alert's chart. */
  trail?: Array<{ start: number; rate: number | null; expected: number | null; sent: number }> | undefined;
}

export interface Judgement {
  /** Anomalies still going on: they reach the newest hour judged. */
  ongoing: Anomaly[];
  /**
   * Drops that reach the last settled bucket but not the newest hour: they may go on in the
   * buckets still settling, which are read at the low end of what may have arrived and so show a
   * drop late — unless the scope's newest hour with its deliveries mostly in (`now`) is no longer
   * down by as much as an hour's drop must be (`minDropPointsShort`). Enough to open an alert; an
   * open one is kept only by what is `ongoing`.
   */
  settling?: Anomaly[] | undefined;
  /** Drill-downs this check left for a later one (the call budget). */
  unjudged?: DrillDown[] | undefined;
  /** Every delivery or sending drop in the judged day, ended or not: where an episode really ended. */
  recent: Anomaly[];
  /** Each scope as it stands now, for resolution messages. */
  now: ScopeNow[];
}

/** Points under the expected rate a scope may be and still deliver as it should… */
const RECOVERY_MARGIN = 0.01;
/**
 * …or, where its hour sent few, two of its binomial spreads — never within half a point of what an
 * hour's drop must average at the rule's sensitivity (`minDropPointsShort`), so a drop still going
 * on never reads as back. With a point alone, a scope sending a few hundred an hour read as still
 * down one check in four or so after it had recovered, and an alert needing two clean checks in a
 * row stayed open for hours: on a quiet Sunday evening, until midnight.
 */
export function recoveryCap(settings: Pick<DetectionSettings, 'minDropPointsShort'>): number {
  return Math.max(RECOVERY_MARGIN, settings.minDropPointsShort / 100 - 0.005);
}
const NORMAL_RECOVERY_CAP = recoveryCap(detectionSettings());

/**
 * Whether a scope's newest hour delivers within `margin` of what it was expected to (wider by its
 * spread, up to `cap`); `undefined` when it sent too few, or has no baseline, to tell.
 */
export function deliversAsExpected(
  now: ScopeNow,
  minSent: number,
  margin = RECOVERY_MARGIN,
  cap = NORMAL_RECOVERY_CAP,
): boolean | undefined {
  if (now.sent < minSent || now.rate === null || now.expected === null) return undefined;
  const noise = Math.min(cap, 2 * (now.spread ?? 0));
  return now.rate >= now.expected - Math.max(margin, noise);
}

/** A bucket tells whether a scope is back to normal once the share of its deliveries in is known to this (the default curve: an hour after it ends). */
const RECOVERY_ARRIVAL_SD = 0.02;

/** Half hours of a scope's trail on an alert's chart: twelve hours. */
const TRAIL_BUCKETS = 24;

/**
 * Whether a drop of a half hour or an hour the next half hour has not yet confirmed opens an alert
 * now rather than waiting for the next to say (a pending period, as Grafana's). It must be 10
 * points or more down as its deliveries are expected to have arrived — the detector reads young
 * buckets at the low end of that, so a big drop would look smaller — and what has arrived of the
 * next half hour must not already say it recovered: that is `HOLD_ODDS` times likelier had the
 * scope delivered as expected than at the drop's rate, the next's arrival spread (the settle
 * curve's) counted as noise beside the scope's own and the binomial's. `anyDepth`: judge a drop
 * under 10 points by that too. `proneToBlips`: what has arrived of the next half hour must say the
 * drop goes on, the other way round — `RECOVERY_ODDS` times likelier at the drop's rate than at
 * the expected one.
 */
function opensAtOnce(
  a: Anomaly,
  series: readonly SeriesPoint[],
  analysis: SeriesAnalysis,
  anyDepth: boolean,
  proneToBlips = false,
): boolean {
  // Its half hours (on the series' grid) as their deliveries are expected to end; what follows the
  // last says whether it recovered.
  const first = series.findIndex((p) => p.start === a.start);
  if (first < 0) return true;
  const k = first + Math.round((a.end - a.start) / HALF_HOUR) - 1;
  let sent = 0;
  let delivered = 0;
  let expectedDelivered = 0;
  for (let j = first; j <= k; j++) {
    sent += series[j]!.sent;
    delivered += analysis.judgedDelivered[j]!;
    expectedDelivered += series[j]!.sent * analysis.expected[j]!;
  }
  if (sent === 0 || Number.isNaN(expectedDelivered)) return true;
  const dropped = delivered / sent;
  const severe = expectedDelivered / sent - dropped >= SEVERE_DROP;
  if (!severe && !anyDepth) return false;
  const next = series[k + 1];
  const expected = analysis.expected[k + 1]!;
  if (!next || next.partial || next.sent === 0 || Number.isNaN(expected) || !(dropped < expected)) return severe && !proneToBlips;
  const share = next.arrived ?? 1;
  const shareSd = next.arrivedSd ?? 0;
  const tau2 = Number.isFinite(analysis.noise.tau) ? analysis.noise.tau ** 2 : 0;
  const visible = next.delivered / next.sent;
  const logDensity = (rate: number) => {
    const variance = Math.max(1e-9, rate * rate * shareSd * shareSd + share * share * (tau2 + (rate * (1 - rate)) / next.sent));
    return -((visible - share * rate) ** 2) / (2 * variance) - Math.log(variance) / 2;
  };
  const recovered = logDensity(expected) - logDensity(dropped);
  return proneToBlips ? -recovered >= Math.log(RECOVERY_ODDS) : recovered < Math.log(HOLD_ODDS);
}
const SEVERE_DROP = 0.1;

/**
 * Whether an unconfirmed drop waits for the next half hour to say. A lone half hour waits unless it
 * opens at once; on an account prone to blips (`accountBlips`: the scopes this check judged,
 * summed) only once the next half hour's first deliveries say the drop goes on — they may, at
 * its first check for a deep drop on a busy scope, a check before the detector confirms it (was:
 * always waited there, and a drop of 10 points or more alerted at 45–60 minutes median on four
 * of thirteen sets; now 30–45, false alarms unchanged but +0.01 on one). An hour down alone opens
 * at once at 10 points or more, and whatever its depth once the next half hour has ended, unless
 * that one's first deliveries already say it recovered — so a drop going on is not held back by
 * the next half hour's cautious early reading, while two batches to stale lists in a row are.
 */
function isPending(a: Anomaly, series: readonly SeriesPoint[], analysis: SeriesAnalysis, accountBlips: number): boolean {
  if (a.end - a.start <= HALF_HOUR) return !opensAtOnce(a, series, analysis, false, accountBlips > 0);
  return !opensAtOnce(a, series, analysis, true);
}
/** Odds at which the next half hour's first deliveries say a blip-prone account's drop goes on (a Bayes factor Jeffreys calls substantial). */
const RECOVERY_ODDS = 5;
/**
 * Odds at which they hold a drop back as likely over. A half hour that just ended shows ~60% of its
 * deliveries give or take several points, so even a perfect reading favours recovery from a 10-point
 * drop by 8:1 at most: at 5 (as above), a lone dip whose next half hour was back still opened
 * about one time in three, on accounts with no blip seen before (two of `SEED=11`'s held-out false
 * alarms; 0.12 → 0.10 a month at 2, and 0.08 → 0.06 on `SEED=9`'s). A drop that goes on reads
 * twice as likely recovered about one time in twelve, and then opens a half hour later.
 */
const HOLD_ODDS = 2;

/**
 * A scope as it stands: its newest hour whose deliveries are mostly in (or, for a quiet scope, as
 * many as four hours as it takes to send enough to tell), as judged — for "back to normal" before
 * an alert may resolve, and whether a drop seen as its buckets settle is still on — and, with an
 * anomaly going on, its trail for the alert's chart. A bucket that just ended shows 60% of its
 * deliveries give or take 8 points: read at that share its rate swings by more than a drop, and an
 * alert resolved on it opened again.
 */
function scopeAsItStands(
  scope: AnomalyScope,
  series: readonly SeriesPoint[],
  analysis: SeriesAnalysis,
  minSent: number,
  going: boolean,
): ScopeNow {
  let newest = series.length - 1;
  while (newest > 0 && !series[newest]!.settled && (series[newest]!.arrivedSd ?? 1) > RECOVERY_ARRIVAL_SD) newest--;
  let sent = 0;
  let delivered = 0;
  let expectedDelivered = 0;
  let baselined = 0;
  for (let k = newest; k >= Math.max(0, newest - 7) && (k >= newest - 1 || sent < minSent); k--) {
    const p = series[k]!;
    sent += p.sent;
    delivered += analysis.judgedDelivered[k]!;
    if (!Number.isNaN(analysis.expected[k]!)) {
      baselined += p.sent;
      expectedDelivered += p.sent * analysis.expected[k]!;
    }
  }
  let lastSent = series.length - 1;
  while (lastSent >= 0 && series[lastSent]!.sent === 0) lastSent--;
  let trail: ScopeNow['trail'];
  if (going) {
    trail = [];
    for (let k = Math.max(0, series.length - TRAIL_BUCKETS); k < series.length; k++) {
      const p = series[k]!;
      const expected = analysis.expected[k]!;
      trail.push({
        start: p.start,
        rate: p.sent > 0 ? Math.min(1, analysis.judgedDelivered[k]! / p.sent) : null,
        expected: Number.isNaN(expected) ? null : expected,
        sent: p.sent,
      });
    }
  }
  const expected = baselined > 0 ? expectedDelivered / baselined : null;
  return {
    scope,
    rate: sent > 0 ? Math.min(1, delivered / sent) : null,
    expected,
    sent,
    lastSentEnd: lastSent >= 0 ? series[lastSent]!.end : null,
    ...(expected !== null && sent > 0 ? { spread: Math.sqrt((expected * (1 - expected)) / sent) } : {}),
    ...(trail ? { trail } : {}),
  };
}

export function judgeAlertScopes(scopes: readonly ScopeData[], options: JudgeOptions): Judgement {
  const { start, split, end } = checkWindow(options.nowMs);
  const settings = detectionSettings(options.detection);
  const ongoing: Anomaly[] = [];
  const settling: Anomaly[] = [];
  const recent: Anomaly[] = [];
  // The end of the last bucket whose deliveries are all in.
  const settledUntil = Math.floor((options.nowMs - options.settleMs) / 1000 / HALF_HOUR) * HALF_HOUR;
  const now: ScopeNow[] = [];
  const at = (split - start) / HALF_HOUR;
  const input = (data: ScopeData, history: DataPoint[], series: readonly SeriesPoint[]): DetectionInput => ({
    history,
    series,
    granularity: 'half_hour',
    tz: options.tz,
    scope: data.scope,
    settings,
  });
  const first = scopes.map((data) => {
    const grid = fillGaps(data.points, { start, end }, 'half_hour', options.tz).points;
    const history = grid.slice(0, at);
    const series = markSettlement(grid.slice(at), options.nowMs, options.settleMs, options.curve);
    // A number's or country's young buckets may be read again below: keep where they start.
    const settled = options.settled && { work: options.settled.work, key: `${options.settled.key}|${drillDownKey(data.scope)}` };
    const analysis = analyzeSeries(input(data, history, series), { resumable: data.dimension !== 'account', settled });
    return { data, history, series, analysis };
  });
  // A number's or country's young buckets read at the share its siblings show in (their expected
  // rates, which young buckets do not move, from the first reading); then judged again.
  // A sibling dropping says nothing of arrivals from its drop's start, and for an hour past its
  // end as first read (a drop going on shows late in buckets read cautiously).
  const readings = first.map((j) => ({
    series: j.series,
    expected: j.analysis.expected,
    tau: j.analysis.noise.tau,
    dropping: j.analysis.anomalies.filter((a) => a.kind === 'delivery_drop').map((a) => ({ start: a.start, end: a.end + 2 * HALF_HOUR })),
  }));
  const judged = first.map((j, i) => {
    if (j.data.dimension === 'account') return j;
    const siblings = readings.filter((_, k) => k !== i && first[k]!.data.dimension === j.data.dimension);
    const series = arrivalsFromSiblings(readings[i]!, siblings);
    return series ? { ...j, series, analysis: analyzeYoungAgain(input(j.data, j.history, series), j.analysis) } : j;
  });
  // Proneness to blips is the account's: a batch to a stale list is how an account sends, on
  // whichever number or country it goes out — so a blip on any of its scopes lets all their lone
  // half hours wait. (Read from the scope alone, a 14-day window opened on lone half hours whose
  // next was back, on scopes with no blip of their own: most of its extra false alarms.)
  const accountBlips = judged.reduce((sum, j) => sum + j.analysis.blips, 0);
  for (const { data, series, analysis } of judged) {
    // Still going on: it reaches the newest hour (the newest bucket alone may be too young to
    // tell). Anomalies found only after they ended are left to reports: alerting on them too
    // was measured to raise false alarms five-fold on the hard set for few more incidents.
    let going = false;
    const settlingHere: Anomaly[] = [];
    for (const a of analysis.anomalies) {
      if (a.kind === 'volume_spike') continue;
      recent.push(a);
      if (analysis.unconfirmed?.includes(a) && isPending(a, series, analysis, accountBlips)) continue;
      if (a.end >= end - 2 * HALF_HOUR) {
        ongoing.push(a);
        going = true;
      } else if (a.end >= settledUntil) settlingHere.push(a);
    }
    const minSent = settings.minSent;
    const scopeNow = scopeAsItStands(data.scope, series, analysis, minSent, going);
    now.push(scopeNow);
    // A drop seen only as its buckets settle may still be going on in the younger ones — unless the
    // newest hour with its deliveries mostly in is no longer down by as much as an hour's drop
    // must be: then it is over, and left to reports (an alert would open on a drop already gone).
    if (deliversAsExpected(scopeNow, minSent, settings.minDropPointsShort / 100, recoveryCap(settings)) !== true)
      settling.push(...settlingHere);
  }
  return { ongoing, settling, recent, now };
}

/**
 * What a check acts on: what is going on and — when no alert is open, nor was resolved within the
 * settle time — what may still be going on in the buckets still settling. An open alert is kept
 * by what is going on only; and what an alert just resolved on, seen again only as its buckets
 * settle, is not a new alert.
 */
export function anomaliesToAlert(
  judgement: Pick<Judgement, 'ongoing' | 'settling'>,
  episode: { status: 'open' | 'resolved'; resolvedAt: number | null } | undefined,
  nowMs: number,
  settleMs: number,
): Anomaly[] {
  const quietSince = episode?.status === 'resolved' ? (episode.resolvedAt ?? 0) : episode ? nowMs : Number.NEGATIVE_INFINITY;
  const settlingCounts = nowMs - quietSince >= settleMs;
  return settlingCounts && judgement.settling?.length ? [...judgement.ongoing, ...judgement.settling] : judgement.ongoing;
}

/** A drop or a stop of the account itself going on: evidence to judge its numbers and countries now. */
export function isDropping(judgement: Pick<Judgement, 'ongoing'>): boolean {
  return judgement.ongoing.some((a) => a.scope.kind === 'account' && (a.kind === 'delivery_drop' || a.kind === 'volume_drop'));
}

/**
 * A judgement of every scope, as a check within `budget` would have made it: only the drill-downs
 * it would have chosen (at a call each, as a warm cache costs), the others named as left for a
 * later check. How a backtest, which judges everything ahead of the clock, keeps to the budget.
 */
export function withinBudget(full: Judgement, budget: CheckBudget | undefined): Judgement {
  if (!budget) return full;
  const candidates: DrillDown[] = [];
  for (const s of full.now)
    if (s.scope.kind === 'phone' || s.scope.kind === 'country') candidates.push({ dimension: s.scope.kind, key: s.scope.key ?? '' });
  const calls = isDropping(full) ? budget.urgent : budget.allowance;
  const { left } = chooseDrillDowns(
    candidates,
    candidates.map(() => 1),
    calls - 1,
    budget.turn,
    new Set(budget.pinned),
  );
  if (left.length === 0) return full;
  const out = new Set(left.map(drillDownKey));
  const kept = (scope: Pick<AnomalyScope, 'kind' | 'key'>) => !out.has(drillDownKey(scope));
  return {
    ongoing: full.ongoing.filter((a) => kept(a.scope)),
    settling: full.settling?.filter((a) => kept(a.scope)),
    recent: full.recent.filter((a) => kept(a.scope)),
    now: full.now.filter((s) => kept(s.scope)),
    unjudged: left,
  };
}

/** What a rule asks of the detector. */
export function ruleDetection(rule: Pick<AlertRuleView, 'minSent' | 'sensitivity' | 'rateFloor'>) {
  return { minSent: rule.minSent, sensitivity: rule.sensitivity, ...(rule.rateFloor !== undefined ? { rateFloor: rule.rateFloor } : {}) };
}
