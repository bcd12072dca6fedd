import { type Anomaly, type AnomalyScope, analyzeSeries, type DetectionSettings, detectionSettings } from '../analytics/anomalies.js';
import { fillGaps, markSettlement } from '../analytics/series.js';
import type { SettleCurve } from '../analytics/settle.js';
import { graphAccount } from '../compose/graphAccount.js';
import type { SettleCurves } from '../compose/settleLearning.js';
import type { AccountConfig } from '../config/load.js';
import { accountToken } from '../config/tokens.js';
import type { AnalyticsSource } from '../graph/client.js';
import { breakdownLabel } from '../report/format.js';
import type { DataPoint } from '../series.js';

/**
 * What an alert check looks at: the account (within the rule's scope) and, one by one, its
 * numbers and countries, over the last day half-hourly with a week of baseline before it — the
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
const HISTORY_SECONDS = 7 * 86_400;
const JUDGED_SECONDS = 86_400;

/** The check's grid: complete half hours up to `nowMs`, a day judged after a week of history. */
export function checkWindow(nowMs: number): { start: number; split: number; end: number } {
  const end = Math.floor(nowMs / 1000 / HALF_HOUR) * HALF_HOUR;
  return { start: end - JUDGED_SECONDS - HISTORY_SECONDS, split: end - JUDGED_SECONDS, end };
}

export async function fetchAlertScopes(
  source: AnalyticsSource,
  account: AccountConfig,
  token: string,
  rule: AlertRuleView,
  nowMs: number,
  drillDown: boolean,
): Promise<ScopeData[]> {
  const { start, end } = checkWindow(nowMs);
  const target = graphAccount(account, token);
  const phoneNumbers = rule.scope?.phoneNumbers ?? account.phoneNumbers;
  const countryCodes = rule.scope?.countries ?? account.countries;
  const base = { phoneNumbers, countryCodes, productTypes: account.productTypes };
  const fetch = (filter: typeof base) => source.fetchAnalytics(target, { range: { start, end }, granularity: 'HALF_HOUR', ...filter });
  const main = await fetch(base);
  const accountScope: AnomalyScope = {
    kind: 'account',
    key: null,
    label: phoneNumbers.length || countryCodes.length ? 'the configured scope' : 'all traffic',
  };
  const out: ScopeData[] = [{ scope: accountScope, dimension: 'account', points: main.points }];
  if (!drillDown) return out;
  const dimensions = rule.drillDown;
  const children = await Promise.all(
    dimensions.flatMap((by) => {
      const keys =
        by === 'phone' ? (phoneNumbers.length ? phoneNumbers : main.phoneNumbers) : countryCodes.length ? countryCodes : main.countryCodes;
      return keys.map(async (key): Promise<ScopeData> => {
        const filter = by === 'phone' ? { ...base, phoneNumbers: [key] } : { ...base, countryCodes: [key] };
        const result = await fetch(filter);
        const label = breakdownLabel(by, key);
        const scope: AnomalyScope =
          by === 'phone' ? { kind: 'phone', key, label, phone: key } : { kind: 'country', key, label, country: key };
        return { scope, dimension: by, points: result.points };
      });
    }),
  );
  return [...out, ...children];
}

export interface JudgeOptions {
  nowMs: number;
  settleMs: number;
  curve: SettleCurve;
  tz: string;
  detection: Partial<DetectionSettings>;
}

export interface ScopeNow {
  scope: AnomalyScope;
  /** The newest hour's rate (longer for a quiet scope; deliveries still arriving counted at the share the curve expects). */
  rate: number | null;
  /** What the last hour was expected to deliver (null when there is no baseline). */
  expected: number | null;
  sent: number;
  /** The last hours, bucket by bucket, of a scope with an anomaly going on: for the alert's chart. */
  trail?: Array<{ start: number; rate: number | null; expected: number | null; sent: number }> | undefined;
}

export interface Judgement {
  /** Anomalies still going on: they reach the newest hour judged. */
  ongoing: Anomaly[];
  /** Every delivery or sending drop in the judged day, ended or not: where an episode really ended. */
  recent: Anomaly[];
  /** Each scope as it stands now, for resolution messages. */
  now: ScopeNow[];
}

/** Half hours of a scope's trail on an alert's chart: twelve hours. */
const TRAIL_BUCKETS = 24;

export function judgeAlertScopes(scopes: readonly ScopeData[], options: JudgeOptions): Judgement {
  const { start, split, end } = checkWindow(options.nowMs);
  const settings = detectionSettings(options.detection);
  const ongoing: Anomaly[] = [];
  const recent: Anomaly[] = [];
  const now: ScopeNow[] = [];
  for (const data of scopes) {
    const grid = fillGaps(data.points, { start, end }, 'half_hour', options.tz).points;
    const at = (split - start) / HALF_HOUR;
    const history = grid.slice(0, at);
    const series = markSettlement(grid.slice(at), options.nowMs, options.settleMs, options.curve);
    const analysis = analyzeSeries({ history, series, granularity: 'half_hour', tz: options.tz, scope: data.scope, settings });
    // Still going on: it reaches the newest hour (the newest bucket alone may be too young to
    // tell). Anomalies found only after they ended are left to reports: alerting on them too
    // was measured to raise false alarms five-fold on the hard set for few more incidents.
    let going = false;
    for (const a of analysis.anomalies) {
      if (a.kind === 'volume_spike') continue;
      recent.push(a);
      if (a.end >= end - 2 * HALF_HOUR) {
        ongoing.push(a);
        going = true;
      }
    }
    // The newest hour (or, for a quiet scope, as many as four hours as it takes to send enough to
    // tell), as judged: for "back to normal" before an alert may resolve.
    let sent = 0;
    let delivered = 0;
    let expectedDelivered = 0;
    let baselined = 0;
    const minSent = settings.minSent;
    for (let k = series.length - 1; k >= Math.max(0, series.length - 8) && (k >= series.length - 2 || sent < minSent); k--) {
      const p = series[k]!;
      sent += p.sent;
      delivered += analysis.judgedDelivered[k]!;
      if (!Number.isNaN(analysis.expected[k]!)) {
        baselined += p.sent;
        expectedDelivered += p.sent * analysis.expected[k]!;
      }
    }
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
    now.push({
      scope: data.scope,
      rate: sent > 0 ? Math.min(1, delivered / sent) : null,
      expected: baselined > 0 ? expectedDelivered / baselined : null,
      sent,
      ...(trail ? { trail } : {}),
    });
  }
  return { ongoing, recent, now };
}

/** How a rule's scopes are judged at a moment: what `AlertChecker` runs for every check. */
export type JudgeFn = (rule: AlertRuleView, account: AccountConfig, now: number, drillDown: boolean) => Promise<Judgement>;

/** The judgement a check makes: the rule's scopes fetched, then judged against the settle curve. */
export function defaultJudge(ctx: { env: NodeJS.ProcessEnv; graph: AnalyticsSource }, curves: SettleCurves): JudgeFn {
  return async (rule, account, now, drillDown) => {
    const curve = await curves.curve(account.id);
    const scopes = await fetchAlertScopes(ctx.graph, account, accountToken(account, ctx.env), rule, now, drillDown);
    return judgeAlertScopes(scopes, {
      nowMs: now,
      settleMs: account.settleMs,
      curve,
      tz: account.timezone,
      detection: ruleDetection(rule),
    });
  };
}

/** What a rule asks of the detector. */
export function ruleDetection(rule: Pick<AlertRuleView, 'minSent' | 'sensitivity' | 'rateFloor'>) {
  return { minSent: rule.minSent, sensitivity: rule.sensitivity, ...(rule.rateFloor !== undefined ? { rateFloor: rule.rateFloor } : {}) };
}
