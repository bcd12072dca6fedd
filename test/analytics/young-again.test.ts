import { describe, expect, it } from 'vitest';
import { analyzeSeries, analyzeYoungAgain, type DetectionInput, type SeriesAnalysis } from '../../src/analytics/anomalies.js';
import { markSettlement, type SeriesPoint } from '../../src/analytics/buckets.js';
import { DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import type { DataPoint } from '../../src/vocabulary/series.js';
import { seenAt } from '../helpers/alerts.js';
import { seededRandom } from '../helpers/random.js';

/**
 * A check judges a number's young half hours a second time once its siblings have said how much
 * of them has arrived; it picks up where the first reading reached them instead of judging the
 * week again. Whatever the traffic, that must be exactly the judgement a fresh analysis makes.
 */
const HALF = 1800;
const NOW = Date.UTC(2026, 10, 24, 18, 0) / 1000;
const SETTLE_MS = 2 * 3600 * 1000;

/** Eight days of a noisy scope, maybe with a drop, a stop or a campaign; the newest hours as Graph shows them. */
function scope(seed: number): { history: DataPoint[]; series: SeriesPoint[] } {
  const r = seededRandom(seed);
  const volume = 50 + r.uniform() * 3000;
  const rate = 0.85 + r.uniform() * 0.14;
  const tau = r.uniform() * 0.03;
  const dropFrom = NOW - Math.floor(r.uniform() * 20) * HALF;
  const dropTo = dropFrom + Math.floor(r.uniform() * 10) * HALF;
  const drop = r.uniform() < 0.7 ? r.uniform() * 0.25 : 0;
  const stop = r.uniform() < 0.15;
  const campaignAt = NOW - Math.floor(r.uniform() * 48) * HALF;
  const points: DataPoint[] = [];
  for (let start = NOW - 8 * 86_400; start < NOW; start += HALF) {
    const hour = ((start % 86_400) / 3600) | 0;
    const inDrop = start >= dropFrom && start < dropTo;
    let sent = Math.round(volume * (0.4 + 0.6 * Math.sin((Math.PI * hour) / 24)) * (start === campaignAt ? 5 : 1));
    if (stop && inDrop) sent = 0;
    const p = Math.min(0.9999, Math.max(0.3, rate + tau * r.normal() - (inDrop ? drop : 0)));
    points.push({ start, end: start + HALF, sent, delivered: Math.round(sent * p) });
  }
  const seen = seenAt(points, NOW, SETTLE_MS);
  const at = seen.length - 48;
  return {
    history: seen.slice(0, at),
    series: markSettlement(seen.slice(at), NOW * 1000, SETTLE_MS, DEFAULT_SETTLE_CURVE),
  };
}

const input = (history: DataPoint[], series: SeriesPoint[]): DetectionInput => ({
  history,
  series,
  granularity: 'half_hour',
  tz: 'UTC',
  scope: { kind: 'phone', key: '+1 555 0100', label: '+1 555 0100' },
});

/** The judgement without the kept work. */
const judgement = ({ young: _, ...rest }: SeriesAnalysis) => rest;

describe('judging young half hours again', () => {
  it('is exactly a fresh analysis, whichever way their arrivals are read again', () => {
    let resumed = 0;
    let withAnomalies = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const { history, series } = scope(seed);
      const first = analyzeSeries(input(history, series), { resumable: true });
      expect(first.young?.at).toBe(history.length + series.findIndex((p) => !p.settled));
      // Another scope judged in between, as a check does: the kept work must not depend on it.
      const other = scope(1000 + seed);
      analyzeSeries(input(other.history, other.series));
      const r = seededRandom(seed * 7);
      const again = series.map((p) =>
        p.arrived === undefined || p.arrivedSd === undefined
          ? p
          : { ...p, arrived: Math.min(1, p.arrived + (r.uniform() - 0.3) * 0.2), arrivedSd: p.arrivedSd * r.uniform() },
      );
      const fresh = analyzeSeries(input(history, again));
      const picked = analyzeYoungAgain(input(history, again), first);
      expect(judgement(picked)).toEqual(judgement(fresh));
      resumed++;
      if (fresh.anomalies.length) withAnomalies++;
    }
    expect(resumed).toBe(60);
    // The traffic above must exercise the judge, not only quiet weeks.
    expect(withAnomalies).toBeGreaterThan(20);
  });

  it('judges afresh when the first reading kept nothing to pick up from', () => {
    const { history, series } = scope(3);
    const first = analyzeSeries(input(history, series));
    expect(first.young).toBeUndefined();
    expect(judgement(analyzeYoungAgain(input(history, series), first))).toEqual(judgement(analyzeSeries(input(history, series))));
  });
});
