import { describe, expect, it } from 'vitest';
import { replayChecks } from '../src/alerts/backtest/run.js';
import type { DropRule } from '../src/alerts/checker.js';
import type { Anomaly, AnomalyScope } from '../src/analytics/anomalies.js';
import { buildConfig } from '../src/configure.js';
import { dropTo70, scriptedJudgement } from './helpers/alerts.js';

/**
 * A backtest counts an alert that resolved too soon and resumed as one episode, as the live
 * lifecycle posts it as one alert: the detector's view scripted check by check.
 */
const at = (hhmm: string) => Date.parse(`2026-11-24T${hhmm}:00Z`);
const PHONE: AnomalyScope = { kind: 'phone', key: '15550001000', label: '+1 555 000 1000', phone: '15550001000' };

const dropping = (from: string, to: string) => dropTo70(PHONE, at(from) / 1000, at(to) / 1000);

describe('a backtest of an alert that resolved too soon', () => {
  const config = buildConfig(
    {
      accounts: [{ id: '100000000000001', name: 'resume', token: '${T}', timezone: 'UTC' }],
      alerts: [{ name: 'r', account: 'resume', checkEvery: '30m', drillDown: ['phone'], targets: [{ slack: { channel: 'C0R' } }] }],
    },
    { T: 'EAAG-resume-token' },
  );
  // Down 10:00–11:00, clean at 11:30 and 12:00 (resolved), seen at 12:30 to have gone on all along;
  // then, long after, a drop of its own.
  const script: Record<string, Anomaly[]> = {
    '10:30': [dropping('10:00', '10:30')],
    '11:00': [dropping('10:00', '11:00')],
    '12:30': [dropping('10:30', '12:30')],
    '13:00': [dropping('10:30', '13:00')],
    '16:00': [dropping('15:30', '16:00')],
  };
  const judge = (now: number) => scriptedJudgement(script, PHONE, now);
  const checkTimes = Array.from({ length: 15 }, (_, i) => at('10:00') + i * 30 * 60_000);

  it('is one episode, resumed once and resolved at the end; a later drop is its own', async () => {
    const { episodes } = await replayChecks({
      config,
      rule: config.alerts[0] as DropRule,
      checkTimes,
      judge,
      bucketSeconds: 1800,
      tz: 'UTC',
    });
    expect(episodes.map((e) => [e.shortId === episodes[0]!.shortId, e.resumes, e.openedAt, e.resolvedAt])).toEqual([
      [true, 1, at('10:30'), at('14:00')],
      [false, 0, at('16:00'), at('17:00')],
    ]);
    expect(episodes[0]!.firstBucketStart).toBe(at('10:00') / 1000);
  });
});
