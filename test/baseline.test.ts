import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectAnomalies } from '../src/analytics/anomalies.js';
import { markSettlement } from '../src/analytics/buckets.js';
import { runCli } from '../src/cli/main.js';
import { baselineCoverage, MIN_HISTORY_DAYS, shortBaselineNote } from '../src/report/baseline.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import type { DataPoint } from '../src/vocabulary/series.js';
import { capturedOutput } from './helpers/output.js';

/**
 * Issue 19, "no judgement without a baseline": buckets Graph cannot serve are unknown, not zeros;
 * a range with too little known history before it says so once instead of judging.
 */
const DAY = 86_400;
const T0 = Date.UTC(2025, 10, 10) / 1000;
const scope = { kind: 'account' as const, key: null, label: 'all traffic' };

/** Daily buckets from T0: `sent(i)` messages each, 96% delivered. */
function days(from: number, count: number, sent: (i: number) => number): DataPoint[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const s = sent(i);
    return { start: T0 + i * DAY, end: T0 + (i + 1) * DAY, sent: s, delivered: Math.round(s * 0.96) };
  });
}

describe('the detector with a baseline Graph could not serve', () => {
  // Fourteen days of history: Graph served only the last three (the first of them a cut one),
  // and one straggler bucket far back; the range is ordinary weekday traffic.
  const history = days(0, 14, (i) => (i === 1 ? 40 : i < 11 ? 0 : i === 11 ? 9_000 : 30_000));
  const series = markSettlement(
    days(14, 7, () => 31_000),
    (T0 + 40 * DAY) * 1000,
    0,
  );
  const input = { history, series, granularity: 'day' as const, tz: 'UTC', scope };

  it('takes the unserved buckets as zeros without coverage: a false spike (the reported symptom)', () => {
    const spikes = detectAnomalies(input).filter((a) => a.kind === 'volume_spike');
    expect(spikes.length).toBeGreaterThan(0);
  });

  it('raises nothing once they are unknown, and judges only with a week of known history', () => {
    const knownFrom = T0 + 12 * DAY; // the first whole bucket Graph served
    const found = detectAnomalies({ ...input, coverage: { knownFrom, minHistorySeconds: MIN_HISTORY_DAYS * DAY } });
    expect(found).toEqual([]);
  });

  it('still finds a real collapse once a week of history is known', () => {
    const long = days(0, 14, (i) => (i < 3 ? 0 : 30_000));
    const collapsing = markSettlement(
      days(14, 3, (i) => (i === 16 ? 500 : 30_000)),
      (T0 + 40 * DAY) * 1000,
      0,
    );
    const found = detectAnomalies({
      history: long,
      series: collapsing,
      granularity: 'day',
      tz: 'UTC',
      scope,
      coverage: { knownFrom: T0 + 3 * DAY, minHistorySeconds: MIN_HISTORY_DAYS * DAY },
    });
    expect(found.map((a) => [a.kind, a.start])).toEqual([['volume_drop', T0 + 16 * DAY]]);
  });
});

describe('baselineCoverage and its note', () => {
  const points = days(0, 21, (i) => (i < 5 ? 0 : 1_000));
  it('starts at the later of what Graph serves and the first day with data', () => {
    const c = baselineCoverage({ servedFrom: T0 + 2.4 * DAY, windowStart: T0, points, granularity: 'day', tz: 'UTC' });
    expect(c).toEqual({ knownFrom: T0 + 5 * DAY, minHistorySeconds: MIN_HISTORY_DAYS * DAY });
  });
  it('is unbounded for an ordinary range (served and sending before its window)', () => {
    const busy = days(0, 21, () => 1_000);
    expect(baselineCoverage({ servedFrom: T0 - DAY, windowStart: T0, points: busy, granularity: 'day', tz: 'UTC' })).toEqual({});
  });
  it('does not take a quiet weekend at the start of the window for the account starting', () => {
    const weekdays = days(0, 21, (i) => (i < 2 ? 0 : 1_000));
    expect(baselineCoverage({ servedFrom: T0 - DAY, windowStart: T0, points: weekdays, granularity: 'day', tz: 'UTC' })).toEqual({});
  });
  it('says in one note how much history there was and what judging needs', () => {
    const coverage = { knownFrom: T0 + 0.5 * DAY, minHistorySeconds: 7 * DAY };
    expect(shortBaselineNote(coverage, T0 + 3 * DAY, T0 + 8 * DAY, T0 + 20 * DAY, 'UTC')).toBe(
      'Anomalies not judged before Tue 18 Nov: only 2 days of history before this range — anomalies need at least 7.',
    );
    expect(shortBaselineNote(coverage, T0 + 3 * DAY, T0 + 6 * DAY, T0 + 6 * DAY, 'UTC')).toBe(
      'Anomalies not judged: only 2 days of history before this range — anomalies need at least 7.',
    );
    expect(shortBaselineNote(coverage, T0 + 3 * DAY, undefined, T0 + 6 * DAY, 'UTC')).toBeUndefined();
  });
});

describe('waba-pulse report against the sandbox a year on (explicit clock)', () => {
  const NOW = Date.parse('2026-11-25T10:15:00Z');
  const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-baseline-'));
  const config = join(dir, 'waba-pulse.yaml');
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    writeFileSync(
      config,
      [
        'accounts:',
        '  - id: "104729384756102"',
        '    name: acme-retail',
        '    token: ${T}',
        '    timezone: Asia/Kolkata',
        '    wabaTimezone: America/Los_Angeles',
        '',
      ].join('\n'),
    );
    sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => NOW, token: 'tok', callsPerHour: 1_000_000 });
  });
  afterAll(() => sandbox.close());

  async function report(args: string[]) {
    const { stdout, stderr, out, err } = capturedOutput();
    const code = await runCli(['--config', config, 'report', '--account', 'acme-retail', '--format', 'json', ...args], {
      stdout,
      stderr,
      env: { T: 'tok', GRAPH_API_URL: sandbox.url, DATABASE_URL: 'sqlite::memory:' },
      cwd: dir,
      now: () => NOW,
    });
    expect(err()).toBe('');
    expect(code).toBe(0);
    return JSON.parse(out());
  }

  it('a range starting at the edge of the year says it was not judged until a week was known', async () => {
    const json = await report(['--from', '2025-11-26', '--to', '2025-12-12']);
    const notes = json.notes.filter((n: string) => n.startsWith('Anomalies not judged'));
    expect(notes).toEqual(['Anomalies not judged before Wed 3 Dec: only 0 days of history before this range — anomalies need at least 7.']);
    const judgedFrom = Date.parse('2025-12-03T00:00:00+05:30');
    for (const a of json.anomalies) expect(Date.parse(a.start)).toBeGreaterThanOrEqual(judgedFrom);
  });

  it('a range with a week of served history before it is judged whole, without the note', async () => {
    const json = await report(['--from', '2025-12-06', '--to', '2025-12-12']);
    expect(json.notes.filter((n: string) => n.startsWith('Anomalies not judged'))).toEqual([]);
    for (const a of json.anomalies) expect(a.explanation).not.toMatch(/usually about 0\b/);
  });

  it('a long range moved into the year starts no anomaly before its own first day', async () => {
    const json = await report(['--from', '2025-11-01', '--to', '2025-12-31']);
    const first = Date.parse(json.range.start);
    for (const a of json.anomalies) expect(Date.parse(a.start)).toBeGreaterThanOrEqual(first);
    expect(json.notes.filter((n: string) => n.startsWith('Anomalies not judged'))).toHaveLength(1);
  });
});
