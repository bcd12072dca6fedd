import { SeriesError } from '../errors.js';
import type { DataPoint } from '../vocabulary/series.js';

export interface NormalizedSeries {
  points: DataPoint[];
  /** What was repaired, one sentence each, for the report's notes. */
  notes: string[];
}

function at(ts: number): string {
  return Number.isFinite(ts) ? new Date(ts * 1000).toISOString().replace('.000Z', 'Z') : String(ts);
}

function checkCount(value: unknown, field: string, p: DataPoint): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new SeriesError(
      `bucket ${at(p.start)}: ${field} ${JSON.stringify(value)} is not a number`,
      'the source returned a malformed data point',
    );
  if (value < 0)
    throw new SeriesError(`bucket ${at(p.start)}: ${field} ${value} is negative`, 'the source returned a malformed data point');
  if (!Number.isInteger(value))
    throw new SeriesError(`bucket ${at(p.start)}: ${field} ${value} is not a whole number`, 'the source returned a malformed data point');
}

/**
 * Make a series safe to analyse: sorted by start, exact duplicates dropped, `delivered` capped at
 * `sent` (deliveries of earlier messages can land in a later bucket; a rate above 100% would be
 * nonsense). Rejects what cannot be repaired without guessing: bad or negative or fractional
 * counts, empty or reversed buckets, two different answers for one bucket, overlapping buckets.
 * Gaps are left to `fillGaps`.
 */
export function normalizeSeries(input: readonly DataPoint[]): NormalizedSeries {
  const notes: string[] = [];
  for (const p of input) {
    if (!Number.isFinite(p.start) || !Number.isFinite(p.end) || p.end <= p.start) {
      throw new SeriesError(`bucket ${at(p.start)}: end ${at(p.end)} is not after its start`, 'the source returned a malformed data point');
    }
    checkCount(p.sent, 'sent', p);
    checkCount(p.delivered, 'delivered', p);
  }
  const sorted = [...input].sort((a, b) => a.start - b.start || a.end - b.end);
  if (input.some((p, i) => i > 0 && p.start < input[i - 1]!.start)) notes.push('Buckets arrived out of order and were sorted.');
  const out: DataPoint[] = [];
  let duplicates = 0;
  let capped = 0;
  for (const p of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.start === p.start && prev.end === p.end) {
      if (prev.sent === p.sent && prev.delivered === p.delivered) {
        duplicates++;
        continue;
      }
      throw new SeriesError(
        `bucket ${at(p.start)} appears twice with different counts (${prev.sent}/${prev.delivered} and ${p.sent}/${p.delivered})`,
        'the source answered the same bucket twice; fetch the range again',
      );
    }
    if (prev && p.start < prev.end) {
      throw new SeriesError(
        `bucket ${at(p.start)}–${at(p.end)} overlaps bucket ${at(prev.start)}–${at(prev.end)}`,
        'the source mixed granularities; fetch the range again',
      );
    }
    if (p.delivered > p.sent) {
      capped++;
      out.push({ start: p.start, end: p.end, sent: p.sent, delivered: p.sent });
    } else out.push({ start: p.start, end: p.end, sent: p.sent, delivered: p.delivered });
  }
  if (duplicates) notes.push(`${duplicates} duplicated bucket${duplicates > 1 ? 's were' : ' was'} counted once.`);
  if (capped) notes.push(`${capped} bucket${capped > 1 ? 's' : ''} reported more delivered than sent; delivered was capped at sent.`);
  return { points: out, notes };
}
