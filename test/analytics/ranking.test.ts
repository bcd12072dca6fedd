import { describe, expect, it } from 'vitest';
import { compareAnomalies, type Rankable, rankAnomalies, shortfall } from '../../src/analytics/ranking.js';

const drop = (over: Partial<Rankable> & { name: string }): Rankable & { name: string } => ({
  severity: 'critical',
  kind: 'delivery_drop',
  scope: { kind: 'account' },
  observed: 0.85,
  expected: 0.95,
  start: 1000,
  ...over,
});

describe('the headline rule', () => {
  it.each([
    [
      'critical before warning, whatever the scope',
      drop({ name: 'a', severity: 'warning', scope: { kind: 'phone' } }),
      drop({ name: 'b' }),
      'b',
    ],
    ['a number before the account', drop({ name: 'a' }), drop({ name: 'b', scope: { kind: 'phone' } }), 'b'],
    ['a country before the account', drop({ name: 'a' }), drop({ name: 'b', scope: { kind: 'country' } }), 'b'],
    [
      'a number in a country before the number',
      drop({ name: 'a', scope: { kind: 'phone' } }),
      drop({ name: 'b', scope: { kind: 'phone_country' } }),
      'b',
    ],
    ['the larger drop on the same kind of scope', drop({ name: 'a', observed: 0.9 }), drop({ name: 'b', observed: 0.7 }), 'b'],
    ['the earlier of two equal ones', drop({ name: 'a', start: 2000 }), drop({ name: 'b', start: 1000 }), 'b'],
  ])('%s', (_why, a, b, first) => {
    expect(rankAnomalies([a, b])[0]!.name).toBe(first);
    expect(rankAnomalies([b, a])[0]!.name).toBe(first);
    expect(Math.sign(compareAnomalies(a, b))).toBe(first === 'a' ? -1 : 1);
  });

  it('measures every kind on one scale of how far from usual', () => {
    expect(shortfall({ severity: 'critical', kind: 'delivery_drop', observed: 0.8, expected: 0.95 })).toBeCloseTo(0.15);
    expect(shortfall({ severity: 'critical', kind: 'volume_drop', observed: 0, expected: 200 })).toBe(1);
    expect(shortfall({ severity: 'critical', kind: 'volume_spike', observed: 800, expected: 200 })).toBe(3);
    expect(shortfall({ severity: 'critical', kind: 'failure_burst', observed: 0.3, expected: 0.05 })).toBeCloseTo(0.25);
    expect(shortfall({ severity: 'critical' })).toBe(0);
  });
});
