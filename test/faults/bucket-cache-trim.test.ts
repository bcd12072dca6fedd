import { describe, expect, it } from 'vitest';
import { storeBackends, storeForSuite } from '../helpers/stores.js';

/**
 * A cached read racing a writer that trims the key's history: a 30-day report extending a day
 * key moves its span's start to 45 days back while a monthly report of four months reads it.
 * The reader gets the span and every bucket it promises, or nothing — never the span with the
 * rows already gone (a monthly report that showed 40 days of sending and no previous period).
 */
const DAY = 86_400;
const KEY = 'acme|DAY';
const LISTED = { phoneNumbers: ['16315551000'], countryCodes: ['IN'] };
const days = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ start: (from + i) * DAY, end: (from + i + 1) * DAY, sent: 1000, delivered: 970 }));

describe.each(await storeBackends())('the bucket cache on $name, read while trimmed', (backend) => {
  const opened = storeForSuite(backend);

  it('reads a span and all of its buckets together, or nothing, whatever a writer does meanwhile', async () => {
    const store = opened();
    const torn: string[] = [];
    let trimmed = 0;
    for (let round = 0; round < 40; round++) {
      // The monthly report's 120 days, then a 30-day report's extension that keeps 45 days.
      await store.buckets.writeBuckets(KEY, { start: 0, end: 120 * DAY }, days(0, 120), LISTED);
      const reads = Array.from({ length: 6 }, async () => {
        const kept = await store.buckets.readCovered(KEY, 0, 120 * DAY);
        if (kept) {
          const promised = (Math.min(kept.coverage.end, 120 * DAY) - Math.max(kept.coverage.start, 0)) / DAY;
          if (kept.points.length !== promised) torn.push(`round ${round}: ${kept.points.length} of ${promised} days`);
        }
      });
      const trim = store.buckets
        .writeBuckets(KEY, { start: 120 * DAY, end: 121 * DAY }, days(120, 121), LISTED, 121 * DAY - 45 * DAY)
        .then(() => trimmed++);
      await Promise.all([...reads, trim]);
    }
    expect(trimmed).toBe(40);
    expect(torn).toEqual([]);
    // Trimmed for good: a read from the first day is a miss, from day 76 a hit with every day.
    expect(await store.buckets.readCovered(KEY, 0, 121 * DAY)).toBeUndefined();
    expect((await store.buckets.readCovered(KEY, 76 * DAY, 121 * DAY))?.points).toHaveLength(45);
  });
});
