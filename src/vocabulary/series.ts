/**
 * The product's shared vocabulary of time series: what Graph returns, what analytics computes
 * on, what reports and charts show. Types only (and the granularity names), in a module of its
 * own so that no layer imports another's internals to speak of a bucket.
 */

/** A half-open interval [start, end) in UNIX seconds. */
export interface TimeRange {
  start: number;
  end: number;
}

/** One bucket as Graph reports it (UNIX seconds). */
export interface DataPoint {
  start: number;
  end: number;
  sent: number;
  delivered: number;
}

export const GRANULARITIES = ['half_hour', 'day', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** How far back Graph serves messaging analytics: a year. */
export const GRAPH_LOOKBACK_SECONDS = 365 * 86_400;
