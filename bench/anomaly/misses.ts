/**
 * Why a material incident was missed, in a line: its scope, size, duration and volume, and the
 * first reason that applies — the scope was left unjudged (the call budget), a campaign on it
 * at the time (the campaign allowance), an alarm that came only after it ended, or the drop was
 * inside the noise the detector measured for that scope — online, raised by no check — with the
 * figures to judge by: the report's fit and, online, the fit of the alert check an hour after the
 * incident ended.
 */

import { analyzeSeries } from '../../src/analytics/anomalies.js';
import { markSettlement } from '../../src/analytics/buckets.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { checkFit } from './fitAgreement.js';
import { type EvalAccount, HALF_HOUR, type Incident, type ScopeSeries, scopeSeries } from './generate.js';
import { phoneId } from './graphSource.js';
import type { Alarm } from './score.js';

export interface MissContext {
  account: EvalAccount;
  start: number;
  warmupBuckets: number;
  alarms: readonly Alarm[];
  /** Scopes the report or the checks left unjudged, with what they said. */
  unjudged?: ReadonlyArray<{ scope: { kind: 'phone' | 'country'; index: number }; reason: string; atMinutes?: number[] }>;
  /**
   * Online: the account's settle time. The line then also gives the noise as the alert check an
   * hour after the incident's end fitted it, from its own window — which can differ from the
   * report's (residuals from a check's first days, before its baselines and level settled in).
   */
  check?: { settleMs: number } | undefined;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function scopeName(account: EvalAccount, inc: Pick<Incident, 'phone' | 'country'>): string {
  if (inc.phone !== undefined)
    return `number ${inc.phone} of ${account.phones.length} (${phoneId(inc.phone)}, ${fmt(account.phones[inc.phone]! * 100, 1)}% of traffic)`;
  if (inc.country !== undefined) return `country ${account.countries[inc.country]!.code} of ${account.countries.length}`;
  return `the account (${account.phones.length} numbers, ${account.countries.length} countries)`;
}

export function describeIncident(account: EvalAccount, inc: Incident, volume: number): string {
  const hours = ((inc.end - inc.start) * HALF_HOUR) / 3600;
  const what = inc.kind === 'stop' ? 'stop' : `${inc.kind} of ${fmt(inc.size * 100, 1)} pp`;
  return `account ${account.index}: ${what} for ${fmt(hours, 1)} h on ${scopeName(account, inc)} at ${fmt(volume)}/half hour`;
}

export function whyMissed(ctx: MissContext, inc: Incident): string {
  const { account } = ctx;
  const during = (m: number) => m >= inc.start * 30 && m <= (inc.end + 2) * 30;
  const unjudged = ctx.unjudged?.find(
    (u) =>
      ((u.scope.kind === 'phone' && u.scope.index === inc.phone) || (u.scope.kind === 'country' && u.scope.index === inc.country)) &&
      (u.atMinutes === undefined || u.atMinutes.some(during)),
  );
  if (unjudged) return `cut by budget: ${unjudged.reason}`;
  const wanted = inc.kind === 'stop' ? 'volume_drop' : 'delivery_drop';
  const late = ctx.alarms.filter((a) => a.kind === wanted && a.startIndex < inc.end + 2 && inc.start - 2 < a.endIndex);
  if (late.length) {
    const first = Math.min(...late.map((a) => a.raisedAtMinute));
    return first > (inc.end + 2) * 30
      ? `found only after it ended (${fmt(first - inc.end * 30)} min after its end)${ctx.check ? `: ${noiseOf(ctx, inc)}` : ''}`
      : 'found, outside the scored span';
  }
  const campaign = account.bursts.find(
    (b) =>
      b.start < inc.end &&
      inc.start < b.end &&
      (b.phone === undefined || inc.phone === undefined || b.phone === inc.phone) &&
      (b.country === undefined || inc.country === undefined || b.country === inc.country),
  );
  const noise = noiseOf(ctx, inc);
  if (campaign) return `masked by a campaign (${fmt(campaign.factor, 1)}× volume at the time); ${noise}`;
  // Online, the figures are the report's fit beside the check's: whether it was inside the noise
  // depends on which, so the line says only what happened.
  return ctx.check ? `raised by no check: ${noise}` : `inside the noise: ${noise}`;
}

const noiseFigures = (n: { tau: number; rho: number; longRun: number; skew: number }) =>
  `τ ${fmt(n.tau * 100, 2)} pp, ρ ${fmt(n.rho, 2)}, long-run factor ${fmt(n.longRun, 1)}, skew ${fmt(n.skew, 2)}`;

/** The scope's noise as the check an hour after the incident ended fitted it, over that check's window. */
function checkNoise(ctx: MissContext, points: readonly DataPoint[], inc: Incident, settleMs: number): string {
  const nowMs = (ctx.start + (inc.end + 2) * HALF_HOUR) * 1000;
  return `; the check an hour after its end fitted ${noiseFigures(checkFit(points, ctx.start, nowMs, ctx.account.tz, settleMs))}`;
}

/** The series of the scope an incident hit: its number, its country, or the account's. */
export function incidentScope(account: EvalAccount, inc: Pick<Incident, 'phone' | 'country'>, start: number): ScopeSeries {
  const kind = inc.phone !== undefined ? 'phone' : inc.country !== undefined ? 'country' : 'account';
  const index = inc.phone ?? inc.country;
  const scopes = scopeSeries(account, start);
  return scopes.find((x) => x.kind === kind && x.index === index) ?? scopes[0]!;
}

/** The incident's deficit against what the detector expected, and the scope's measured noise. */
function noiseOf(ctx: MissContext, inc: Incident): string {
  const { account, start, warmupBuckets } = ctx;
  const s = incidentScope(account, inc, start);
  const history = s.points.slice(0, warmupBuckets);
  const tail = s.points.slice(warmupBuckets, inc.end);
  const series = markSettlement(tail, 1e15, 0);
  const analysis = analyzeSeries({
    history,
    series,
    granularity: 'half_hour',
    tz: account.tz,
    scope: { kind: 'account', key: null, label: 'scope' },
  });
  let sent = 0;
  let delivered = 0;
  let expected = 0;
  let counted = 0;
  for (let b = inc.start; b < inc.end; b++) {
    const k = b - warmupBuckets;
    const e = analysis.expected[k]!;
    const p = s.points[b]!;
    if (Number.isNaN(e) || p.sent === 0) continue;
    sent += p.sent;
    delivered += p.delivered;
    expected += p.sent * e;
    counted++;
  }
  if (inc.kind === 'stop') return `sent ${fmt(sent)} in it`;
  const online = ctx.check ? checkNoise(ctx, s.points, inc, ctx.check.settleMs) : '';
  if (!sent) return `no baseline for it${online}`;
  const deficit = (expected - delivered) / sent;
  const { tau, rho } = analysis.noise;
  const e = expected / sent;
  const variance = (e * (1 - e)) / sent + tau * tau * (rho + (1 - rho) / counted);
  return `${fmt(deficit * 100, 1)} pp under the expected ${fmt(e * 100, 1)}% over ${counted} half hours; the scope's noise (the report's fit) ${noiseFigures(analysis.noise)}: pooled z ${fmt(deficit / Math.sqrt(variance), 1)}${online}`;
}

/** A false alarm: where, when (day and local time), for how long. */
export function describeAlarm(account: EvalAccount, alarm: Alarm): string {
  const where =
    alarm.scope.kind === 'phone'
      ? `number ${alarm.scope.phone} of ${account.phones.length} (${fmt(account.phones[alarm.scope.phone!]! * 100, 1)}% of traffic)`
      : alarm.scope.kind === 'country'
        ? `country ${account.countries[alarm.scope.country!]!.code}`
        : 'the account';
  const hours = ((alarm.endIndex - alarm.startIndex) * HALF_HOUR) / 3600;
  const campaign = account.bursts.some((b) => b.start < alarm.endIndex + 2 && alarm.startIndex - 2 < b.end) ? ', during a campaign' : '';
  return `account ${account.index}: ${where}, buckets ${alarm.startIndex}–${alarm.endIndex} (day ${Math.floor(alarm.startIndex / 48)}), ${fmt(hours, 1)} h${campaign}${alarm.episode !== undefined ? `, episode ${alarm.episode}` : ''}`;
}
