import { describe, expect, it } from 'vitest';
import { anomalyKey } from '../../src/alerts/judge/anomalyKey.js';
import { anomaliesToAlert } from '../../src/alerts/judge/graph.js';
import { advance, type Decision, decide, type EpisodeState } from '../../src/alerts/lifecycle.js';
import type { Anomaly } from '../../src/analytics/anomalies.js';
import { openEpisode } from '../helpers/alerts.js';

/** Every arrow of the lifecycle (src/alerts/lifecycle.ts), on plain values. */
const T0 = 1_764_000_000;
const HOUR = 3600;

function drop(key: string | null, start: number, end: number): Anomaly {
  return {
    kind: 'delivery_drop',
    scope: key ? { kind: 'phone', key, label: `+${key}` } : { kind: 'account', key: null, label: 'all traffic' },
    start,
    end,
    detectedAt: end,
    observed: 0.8,
    expected: 0.95,
    expectedLow: 0.93,
    expectedHigh: 0.97,
    severity: 'critical',
    sent: 1000,
    delivered: 800,
    explanation: 'test',
  };
}

function episode(over: Partial<EpisodeState> = {}): EpisodeState {
  return openEpisode({
    openedAt: T0,
    lastNotifiedAt: T0,
    announced: [anomalyKey(drop(null, 0, 0))],
    firstBucketStart: T0 - HOUR,
    lastBadEnd: T0,
    ...over,
  });
}

const rule = { remindEvery: 4 * HOUR };
// Two clean checks every 30 minutes: an hour of good buckets makes another incident.
const fresh = { ...rule, freshAfter: HOUR };
const account = drop(null, T0 - HOUR, T0 + 1800);
const second = drop('16315551001', T0, T0 + 1800);

describe('the alert lifecycle: decide', () => {
  const cases: Array<{
    arrow: string;
    episode: EpisodeState | undefined;
    found: Anomaly[];
    now?: number;
    quiet?: boolean;
    recovered?: boolean;
    rule?: { remindEvery: number; cleanChecksToResolve?: number; freshAfter?: number };
    decision: Decision['kind'];
  }> = [
    { arrow: 'nothing found, nothing open → none', episode: undefined, found: [], decision: 'none' },
    {
      arrow: 'nothing found, last alert resolved → none',
      episode: episode({ status: 'resolved', resolvedAt: T0 }),
      found: [],
      decision: 'none',
    },
    { arrow: 'something found, nothing ever open → open', episode: undefined, found: [account], decision: 'open' },
    {
      arrow: 'something new after a resolved alert → open',
      episode: episode({ status: 'resolved', lastBadEnd: T0 - HOUR }),
      found: [account],
      decision: 'open',
    },
    {
      arrow: 'what the resolved alert already told → none',
      episode: episode({ status: 'resolved', lastBadEnd: T0 + 1800 }),
      found: [account],
      decision: 'none',
    },
    {
      arrow: 'resolved, a drop found going on where it had ended (before freshAfter) → resume the same alert',
      episode: episode({ status: 'resolved', resolvedAt: T0 + HOUR, cleanChecks: 2 }),
      found: [drop(null, T0 - 1800, T0 + 2 * HOUR)],
      now: T0 + 2 * HOUR,
      rule: fresh,
      decision: 'resume',
    },
    {
      arrow: 'resolved, a stop found beginning half an hour after its drop ended → resume (any kind)',
      episode: episode({ status: 'resolved', resolvedAt: T0 + HOUR, cleanChecks: 2 }),
      found: [{ ...drop('16315551001', T0 + 1800, T0 + 2 * HOUR), kind: 'volume_drop' }],
      now: T0 + 2 * HOUR,
      rule: fresh,
      decision: 'resume',
    },
    {
      arrow: 'resolved, a drop beginning freshAfter or more after it ended → open (another incident)',
      episode: episode({ status: 'resolved', resolvedAt: T0 + HOUR, cleanChecks: 2 }),
      found: [drop(null, T0 + HOUR, T0 + 2 * HOUR)],
      now: T0 + 2 * HOUR,
      rule: fresh,
      decision: 'open',
    },
    {
      arrow: 'resolved, a rule without freshAfter (health) → open, never resume',
      episode: episode({ status: 'resolved', resolvedAt: T0 + HOUR, cleanChecks: 2 }),
      found: [drop(null, T0 - 1800, T0 + 2 * HOUR)],
      now: T0 + 2 * HOUR,
      decision: 'open',
    },
    { arrow: 'open, a scope not yet announced → update', episode: episode(), found: [account, second], decision: 'update' },
    { arrow: 'open, still going on → keep', episode: episode(), found: [account], now: T0 + HOUR, decision: 'keep' },
    { arrow: 'open, unanswered for remindEvery → remind', episode: episode(), found: [account], now: T0 + 4 * HOUR, decision: 'remind' },
    {
      arrow: 'open, acknowledged or muted for remindEvery → keep (no reminder)',
      episode: episode(),
      found: [account],
      now: T0 + 5 * HOUR,
      quiet: true,
      decision: 'keep',
    },
    { arrow: 'open, a first clean check → clean', episode: episode(), found: [], decision: 'clean' },
    { arrow: 'open, the second clean check in a row → resolve', episode: episode({ cleanChecks: 1 }), found: [], decision: 'resolve' },
    {
      arrow: 'open, one clean check resolves a rule that asks for one (health) → resolve',
      episode: episode(),
      found: [],
      rule: { remindEvery: HOUR, cleanChecksToResolve: 1 },
      decision: 'resolve',
    },
    {
      arrow: 'open, the last check clean, a drop beginning an hour after its own ended → reopen',
      episode: episode({ cleanChecks: 1 }),
      found: [drop(null, T0 + 2 * HOUR, T0 + 2.5 * HOUR)],
      now: T0 + 2.5 * HOUR,
      rule: fresh,
      decision: 'reopen',
    },
    {
      arrow: 'open, the last check clean, a drop beginning half an hour after (a pause) → keep',
      episode: episode({ cleanChecks: 1 }),
      found: [drop(null, T0 + 1800, T0 + HOUR)],
      now: T0 + HOUR,
      rule: fresh,
      decision: 'keep',
    },
    {
      arrow: 'open, the last check not clean (not back yet) → keep, however late the drop begins',
      episode: episode(),
      found: [drop(null, T0 + 2 * HOUR, T0 + 2.5 * HOUR)],
      now: T0 + 2.5 * HOUR,
      rule: fresh,
      decision: 'keep',
    },
    {
      arrow: 'open, the last check clean, the old drop found again with a new one → update, not reopen',
      episode: episode({ cleanChecks: 1 }),
      found: [account, drop('16315551001', T0 + 2 * HOUR, T0 + 2.5 * HOUR)],
      now: T0 + 2.5 * HOUR,
      rule: fresh,
      decision: 'update',
    },
    {
      arrow:
        'open, the last check clean, a stop beginning an hour after its own ended → keep (sending is judged too loosely to say a stop ended)',
      episode: episode({ cleanChecks: 1, announced: [anomalyKey({ ...drop(null, 0, 0), kind: 'volume_drop' })] }),
      found: [{ ...drop(null, T0 + 2 * HOUR, T0 + 2.5 * HOUR), kind: 'volume_drop' }],
      now: T0 + 2.5 * HOUR,
      rule: fresh,
      decision: 'keep',
    },
    {
      arrow: 'open, a rule without freshAfter (health) → keep',
      episode: episode({ cleanChecks: 1 }),
      found: [drop(null, T0 + 2 * HOUR, T0 + 2.5 * HOUR)],
      now: T0 + 2.5 * HOUR,
      decision: 'keep',
    },
    {
      arrow: 'open, nothing found but the scopes not back yet → keep',
      episode: episode({ cleanChecks: 1 }),
      found: [],
      recovered: false,
      decision: 'keep',
    },
  ];
  for (const c of cases)
    it(c.arrow, () => {
      const decision = decide(c.episode, c.found, c.now ?? T0 + 1800, c.rule ?? rule, c.quiet ?? false, c.recovered ?? true);
      expect(decision.kind).toBe(c.decision);
      if (decision.kind === 'update' && c.found.includes(second)) expect(decision.added.map(anomalyKey)).toEqual([anomalyKey(second)]);
    });
});

describe('the alert lifecycle: advance', () => {
  const ids = { alertKey: 'new-key', shortId: 'A-NEW1' };

  it('opens an episode with what it found', () => {
    const next = advance(undefined, { kind: 'open' }, [account, second], T0, ids);
    expect(next).toMatchObject({ alertKey: 'new-key', shortId: 'A-NEW1', status: 'open', openedAt: T0, lastNotifiedAt: T0 });
    expect(next?.announced).toEqual([anomalyKey(account), anomalyKey(second)]);
    expect([next?.firstBucketStart, next?.lastBadEnd]).toEqual([T0 - HOUR, T0 + 1800]);
  });

  it('announces what an update added, notifies now, and starts counting clean checks again', () => {
    const next = advance(episode({ cleanChecks: 1 }), { kind: 'update', added: [second] }, [account, second], T0 + 600, ids);
    expect(next?.announced).toContain(anomalyKey(second));
    expect([next?.lastNotifiedAt, next?.cleanChecks, next?.reminders]).toEqual([T0 + 600, 0, 0]);
  });

  it('counts a reminder and when it was sent', () => {
    const next = advance(episode(), { kind: 'remind' }, [account], T0 + 4 * HOUR, ids);
    expect([next?.reminders, next?.lastNotifiedAt]).toEqual([1, T0 + 4 * HOUR]);
  });

  it('keeps without notifying, stretching the episode to the newest bad bucket', () => {
    const later = drop(null, T0 + HOUR, T0 + 2 * HOUR);
    const next = advance(episode(), { kind: 'keep' }, [later], T0 + 2 * HOUR, ids);
    expect([next?.lastNotifiedAt, next?.lastBadEnd, next?.firstBucketStart]).toEqual([T0, T0 + 2 * HOUR, T0 - HOUR]);
  });

  it('counts a clean check, then resolves with the time', () => {
    const clean = advance(episode(), { kind: 'clean', cleanChecks: 1 }, [], T0 + HOUR, ids);
    expect(clean?.cleanChecks).toBe(1);
    const resolved = advance(clean, { kind: 'resolve' }, [], T0 + 2 * HOUR, ids);
    expect([resolved?.status, resolved?.resolvedAt, resolved?.cleanChecks]).toEqual(['resolved', T0 + 2 * HOUR, 2]);
  });

  it('reopens as a new episode whose stretch starts where this check found it, never earlier', () => {
    const later = drop(null, T0 + 2 * HOUR, T0 + 2.5 * HOUR);
    const next = advance(episode({ cleanChecks: 1 }), { kind: 'reopen' }, [later], T0 + 2.5 * HOUR, ids);
    expect(next).toMatchObject({
      alertKey: 'new-key',
      status: 'open',
      cleanChecks: 0,
      firstBucketStart: T0 + 2 * HOUR,
      after: T0 + 2 * HOUR,
    });
    // Settled data running the two drops together does not pull it back over the first alert.
    const merged = drop(null, T0 - HOUR, T0 + 3 * HOUR);
    expect(advance(next, { kind: 'keep' }, [merged], T0 + 3 * HOUR, ids)?.firstBucketStart).toBe(T0 + 2 * HOUR);
  });

  it('opens after a resolved alert no earlier than where that one ended', () => {
    const next = advance(episode({ status: 'resolved', lastBadEnd: T0 }), { kind: 'open' }, [account], T0 + 2 * HOUR, ids);
    expect([next?.after, next?.firstBucketStart]).toEqual([T0, T0]);
    expect(advance(next, { kind: 'keep' }, [account], T0 + 2 * HOUR, ids)?.firstBucketStart).toBe(T0);
  });

  it('resumes a resolved episode as the same alert, open again, its stretch and scopes grown', () => {
    const resolved = episode({ status: 'resolved', resolvedAt: T0 + HOUR, cleanChecks: 2, after: T0 - 2 * HOUR });
    const goesOn = drop('16315551001', T0 - 1800, T0 + 2 * HOUR);
    const next = advance(resolved, { kind: 'resume' }, [goesOn], T0 + 2 * HOUR, ids);
    expect(next).toMatchObject({
      alertKey: 'k',
      shortId: 'A-TEST',
      status: 'open',
      resolvedAt: null,
      cleanChecks: 0,
      resumes: 1,
      openedAt: T0,
      lastNotifiedAt: T0 + 2 * HOUR,
      firstBucketStart: T0 - HOUR,
      lastBadEnd: T0 + 2 * HOUR,
    });
    expect(next?.announced).toEqual([anomalyKey(drop(null, 0, 0)), anomalyKey(goesOn)]);
    expect(advance({ ...next!, status: 'resolved' }, { kind: 'resume' }, [goesOn], T0 + 4 * HOUR, ids)?.resumes).toBe(2);
  });

  it('leaves the episode as it was on none', () => {
    const e = episode({ status: 'resolved' });
    expect(advance(e, { kind: 'none' }, [], T0, ids)).toBe(e);
  });
});

describe('what a check acts on: going on, or still settling', () => {
  const SETTLE = 2 * HOUR * 1000;
  const now = (T0 + 4 * HOUR) * 1000;
  const going = drop(null, T0, T0 + 4 * HOUR);
  // Seen up to the last settled bucket: the buckets after it cannot show a drop yet.
  const settling = drop('16315551000', T0, T0 + 2 * HOUR);
  const judgement = { ongoing: [going], settling: [settling] };
  it.each([
    ['no alert before', undefined, [going, settling]],
    ['an alert open', { status: 'open' as const, resolvedAt: null }, [going]],
    ['an alert resolved an hour ago', { status: 'resolved' as const, resolvedAt: now - HOUR * 1000 }, [going]],
    ['an alert resolved the settle time ago', { status: 'resolved' as const, resolvedAt: now - SETTLE }, [going, settling]],
  ])('%s', (_label, last, expected) => {
    expect(anomaliesToAlert(judgement, last, now, SETTLE)).toEqual(expected);
  });
  it('takes only what is going on when nothing is settling', () => {
    expect(anomaliesToAlert({ ongoing: [going] }, undefined, now, SETTLE)).toEqual([going]);
  });
});
