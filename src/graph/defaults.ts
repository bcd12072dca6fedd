/**
 * Graph client settings and their defaults, in one place: the config schema, the environment
 * reader, the client and the report planner all read them from here.
 */
export { GRAPH_LOOKBACK_SECONDS } from '../vocabulary/series.js';

export interface GraphSettings {
  apiUrl: string;
  version: string;
  timeoutMs: number;
  concurrency: number;
  maxAttempts: number;
  /** A WABA's Graph call budget per hour (about 200 for the analytics edge). */
  callsPerHour: number;
  maxWaitMs: number;
  halfHourChunkMs: number;
  dayChunkMs: number;
  /** Most Graph calls one report (a command, a digest) may cost, before caching. */
  callsPerReport: number;
}

export const GRAPH_DEFAULTS: GraphSettings = {
  apiUrl: 'https://graph.facebook.com',
  version: 'v23.0',
  timeoutMs: 20_000,
  concurrency: 4,
  maxAttempts: 4,
  callsPerHour: 200,
  maxWaitMs: 60_000,
  halfHourChunkMs: 7 * 86_400_000,
  dayChunkMs: 90 * 86_400_000,
  callsPerReport: 60,
};
