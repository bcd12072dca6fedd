import { describe, expect, it } from 'vitest';
import { checkWindow, type JudgeOptions, judgeAlertScopes, type ScopeData } from '../../src/alerts/judge/graph.js';
import { DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import { SettledWork } from '../../src/analytics/settledWork.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { seenAt } from '../helpers/alerts.js';
import { seededRandom } from '../helpers/random.js';

/**
 * Successive alert checks taking up the last one's work on the settled buckets judge exactly as
 * checks scoring their whole window afresh: across a UTC midnight (where the window's start
 * moves), with drops in the judged day, a settled bucket Graph revised, and other settings.
 */
const HALF = 1800;
const SETTLE_MS = 2 * 3600 * 1000;
// 21:00 UTC: the checks below cross midnight.
const FIRST_CHECK = Date.UTC(2026, 10, 24, 21, 0) / 1000;
const CHECKS = 12;

/** 16 days of a noisy scope (final counts), with a drop to `low` over [from, to). */
function finalSeries(seed: number, sent: number, from: number, to: number, low: number): DataPoint[] {
  const random = seededRandom(seed).uniform;
  const points: DataPoint[] = [];
  for (let start = FIRST_CHECK - 16 * 86_400; start < FIRST_CHECK + CHECKS * HALF; start += HALF) {
    const hour = new Date(start * 1000).getUTCHours();
    const base = 0.95 - (hour < 6 ? 0.03 : 0) + (random() - 0.5) * 0.04;
    const rate = start >= from && start < to ? low : base;
    const s = Math.round(sent * (0.6 + 0.8 * random()));
    points.push({ start, end: start + HALF, sent: s, delivered: Math.round(s * rate) });
  }
  return points;
}

const scopes = (now: number, finals: Array<[ScopeData['scope'], ScopeData['dimension'], DataPoint[]]>): ScopeData[] =>
  finals.map(([scope, dimension, points]) => ({ scope, dimension, points: seenAt(points, now, SETTLE_MS) }));

function options(now: number, settled?: JudgeOptions['settled'], detection: JudgeOptions['detection'] = { minSent: 100 }): JudgeOptions {
  return { nowMs: now * 1000, settleMs: SETTLE_MS, curve: DEFAULT_SETTLE_CURVE, tz: 'Asia/Kolkata', detection, settled };
}

describe('alert checks taking up the last check’s work on settled buckets', () => {
  const account = finalSeries(1, 3000, FIRST_CHECK - 3 * 3600, FIRST_CHECK + 2 * HALF, 0.8);
  const phone = finalSeries(2, 1200, FIRST_CHECK + HALF, FIRST_CHECK + 6 * HALF, 0.7);
  const country = finalSeries(3, 1800, FIRST_CHECK - 10 * 3600, FIRST_CHECK - 8 * 3600, 0.85);
  const finals: Array<[ScopeData['scope'], ScopeData['dimension'], DataPoint[]]> = [
    [{ kind: 'account', key: null, label: 'all traffic' }, 'account', account],
    [{ kind: 'phone', key: '111', label: '111', phone: '111' }, 'phone', phone],
    [{ kind: 'country', key: 'IN', label: 'IN', country: 'IN' }, 'country', country],
  ];

  it('judges each check as one scoring its window afresh, across the midnight its window moves on', () => {
    const work = new SettledWork();
    const starts = new Set<number>();
    let found = 0;
    for (let k = 0; k < CHECKS; k++) {
      const now = FIRST_CHECK + k * HALF;
      starts.add(checkWindow(now * 1000).start);
      const taken = judgeAlertScopes(scopes(now, finals), options(now, { work, key: 'acct' }));
      const fresh = judgeAlertScopes(scopes(now, finals), options(now));
      expect(taken).toEqual(fresh);
      found += fresh.recent.length;
    }
    // The window moved once (midnight), and the checks saw drops: the comparison is not of empty
    // judgements; and all but the first check of each window took up most of their buckets.
    expect(starts.size).toBe(2);
    expect(found).toBeGreaterThan(0);
    expect(work.taken).toBeGreaterThan((CHECKS - 2) * 3 * 500);
  });

  it('scores afresh where Graph revised a settled bucket, or the rule’s settings differ', () => {
    const work = new SettledWork();
    const now = FIRST_CHECK + 4 * HALF;
    judgeAlertScopes(scopes(now - HALF, finals), options(now - HALF, { work, key: 'acct' }));
    // A settled bucket of two days ago now says 40% delivered.
    const revised = finals.map(([scope, dimension, points]): [ScopeData['scope'], ScopeData['dimension'], DataPoint[]] => [
      scope,
      dimension,
      points.map((p) => (p.start === now - 2 * 86_400 ? { ...p, delivered: Math.round(p.sent * 0.4) } : p)),
    ]);
    expect(judgeAlertScopes(scopes(now, revised), options(now, { work, key: 'acct' }))).toEqual(
      judgeAlertScopes(scopes(now, revised), options(now)),
    );
    // The same scope judged at low sensitivity: the work kept at normal is not its.
    const low = { minSent: 100, sensitivity: 'low' as const };
    const lowFresh = judgeAlertScopes(scopes(now, revised), options(now, undefined, low));
    expect(lowFresh).not.toEqual(judgeAlertScopes(scopes(now, revised), options(now)));
    expect(judgeAlertScopes(scopes(now, revised), options(now, { work, key: 'acct' }, low))).toEqual(lowFresh);
  });

  it('keeps no more scopes than it was given room for, making room from an earlier window start', () => {
    const work = new SettledWork(2);
    // Checks at 00:00 and 00:30: the window (14 days at most from a UTC midnight) moves on between them.
    const now = FIRST_CHECK + 6 * HALF;
    judgeAlertScopes(scopes(now, finals), options(now, { work, key: 'acct' }));
    // Three scopes in room for two: the third was not kept; judging is as fresh.
    expect(work.size).toBe(2);
    const next = now + HALF;
    expect(checkWindow(next * 1000).start).toBeGreaterThan(checkWindow(now * 1000).start);
    expect(judgeAlertScopes(scopes(next, finals), options(next, { work, key: 'acct' }))).toEqual(
      judgeAlertScopes(scopes(next, finals), options(next)),
    );
    // The new window's first two scopes took the old window's room.
    expect(work.size).toBe(2);
    const taken = work.taken;
    judgeAlertScopes(scopes(next + HALF, finals), options(next + HALF, { work, key: 'acct' }));
    expect(work.taken).toBeGreaterThan(taken + 2 * 500);
  });
});
