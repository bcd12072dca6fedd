import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import type { SandboxAccount } from '../src/sandbox/accountModel.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { openStore } from '../src/store/sql.js';
import { capturedOutput } from './helpers/output.js';

// A ten-number account on UTC; the number Graph lists last delivers 25 points less for five hours
// on the 20th — the number a first-N cut of the breakdown used to leave out.
const NOW = Date.UTC(2026, 10, 25, 10, 15);
const TOKEN = 'EAAG-breakdown-token-1010';
const numbers = Array.from({ length: 10 }, (_, k) => `1555010${String(k).padStart(4, '0')}`);
const last = numbers[9]!;
const tenNumbers: SandboxAccount = {
  id: '150000000000010',
  name: 'ten-numbers',
  displayName: 'Ten Numbers',
  timezone: 'UTC',
  phones: numbers.map((number, k) => ({ number, weight: k < 2 ? 0.2 : 0.075 })),
  countries: [{ code: 'US', weight: 1, tz: 'UTC', rate: 0.98 }],
  volume: 16_000,
  incidents: [
    { kind: 'delivery_drop', phone: last, start: Date.UTC(2026, 10, 20, 11) / 1000, end: Date.UTC(2026, 10, 20, 16) / 1000, factor: 0.75 },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-breakdown-'));
const config = (callsPerReport: number) => `
graph:
  callsPerReport: ${callsPerReport}
accounts:
  - id: "${tenNumbers.id}"
    name: ten-numbers
    token: \${T}
    timezone: UTC
`;

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: [tenNumbers], now: () => NOW, token: TOKEN, callsPerHour: 100_000 });
});
afterAll(() => sandbox.close());

async function report(callsPerReport: number, env: NodeJS.ProcessEnv = {}) {
  const path = join(dir, `budget-${callsPerReport}.yaml`);
  writeFileSync(path, config(callsPerReport));
  const { stdout, stderr, out, err } = capturedOutput();
  const before = sandbox.stats.requests;
  const code = await runCli(
    [
      '--config',
      path,
      'report',
      '--account',
      'ten-numbers',
      '--last',
      '28d',
      '--granularity',
      'half_hour',
      '--by',
      'phone',
      '--format',
      'json',
    ],
    { stdout, stderr, env: { T: TOKEN, GRAPH_API_URL: sandbox.url, ...env }, cwd: dir, now: () => NOW },
  );
  expect(err()).toBe('');
  expect(code).toBe(0);
  return { json: JSON.parse(out()) as Record<string, any>, calls: sandbox.stats.requests - before };
}

const droppedOn = (json: Record<string, any>, phone: string) =>
  json.anomalies.filter((a: any) => a.kind === 'delivery_drop' && a.scope.kind === 'phone' && a.scope.key === phone);

describe('a 28-day half-hourly report by phone of a ten-number account', () => {
  it('judges all ten numbers within the report call budget, the last-listed one and its drop included', async () => {
    const { json, calls } = await report(60);
    expect(calls).toBeLessThanOrEqual(60);
    expect(json.breakdown.items.map((i: any) => i.key).sort()).toEqual([...numbers].sort());
    expect(json.breakdown.unjudged).toEqual([]);
    expect(droppedOn(json, last)).toHaveLength(1);
    expect(droppedOn(json, last)[0].start).toBe('2026-11-20T11:00:00Z');
    // Judging all ten half hour by half hour leaves no calls for their previous period: said so.
    expect(json.notes).toContain(
      'Change against the previous period is left out for the phone numbers: with it, judging all 10 would need more than the 60 Graph calls a report may use (graph.callsPerReport).',
    );
  }, 60_000);

  it("keeps settled history in the store's bucket cache: a repeat costs a call a number", async () => {
    const url = `sqlite:${join(dir, 'cache.db')}`;
    await (await openStore(url)).close();
    const first = await report(60, { DATABASE_URL: url });
    expect(first.json.breakdown.unjudged).toEqual([]);
    // The second also fetches the numbers' days before the range once, now affordable, to compare.
    await report(60, { DATABASE_URL: url });
    const repeat = await report(60, { DATABASE_URL: url });
    expect(repeat.calls).toBeLessThanOrEqual(11);
    expect(repeat.json.breakdown.items).toHaveLength(10);
    expect(repeat.json.breakdown.unjudged).toEqual([]);
    expect(droppedOn(repeat.json, last)).toHaveLength(1);
    expect(repeat.json.breakdown.items.every((i: any) => i.previous.sent > 0)).toBe(true);
  }, 60_000);

  it('on a tighter budget, judges closely the number whose days show the drop, then the busiest, the rest by day, named', async () => {
    const { json, calls } = await report(30);
    expect(calls).toBeLessThanOrEqual(30);
    // Every number has a row; the one whose days show the drop was judged half hour by half hour.
    expect(json.breakdown.items).toHaveLength(10);
    expect(droppedOn(json, last).map((a: any) => a.start)).toContain('2026-11-20T11:00:00Z');
    const byDay = json.breakdown.unjudged;
    expect(byDay.length).toBeGreaterThan(0);
    expect(byDay.map((u: any) => u.key)).not.toContain(last);
    // The other number judged closely is the busiest: one of the two with a fifth of the traffic each.
    const closely = numbers.filter((n) => !byDay.some((u: any) => u.key === n));
    expect(closely).toHaveLength(2);
    expect([numbers[0], numbers[1]]).toContain(closely.find((n) => n !== last));
    for (const u of byDay) {
      expect(u).toMatchObject({ judgedBy: 'day', reason: expect.stringMatching(/^judged by day only: .*30 Graph calls a report may use/) });
      expect(numbers).toContain(u.key);
    }
    const note = json.notes.find((n: string) => n.includes('judged by day, to stay within'));
    expect(note).toMatch(new RegExp(`^${byDay.length} of 10 phone numbers judged by day, to stay within the 30 Graph calls`));
  }, 60_000);

  it('on a budget too tight for any whole number, looks half hour by half hour at the unusual day', async () => {
    const { json, calls } = await report(22);
    expect(calls).toBeLessThanOrEqual(22);
    expect(json.breakdown.items).toHaveLength(10);
    expect(droppedOn(json, last).map((a: any) => a.start)).toContain('2026-11-20T11:00:00Z');
    expect(json.breakdown.unjudged.find((u: any) => u.key === last)).toEqual({
      key: last,
      label: '+1 555 010 0009',
      judgedBy: 'day',
      reason:
        'judged by day, and half hour by half hour on its unusual day (2026-11-20): judging all its half hours would need more than the 22 Graph calls a report may use (graph.callsPerReport)',
    });
    const note = json.notes.find((n: string) => n.includes('judged by day, to stay within'));
    expect(note).toMatch(
      /^10 of 10 phone numbers judged by day, to stay within the 22 Graph calls .*; their days that look unusual were judged half hour by half hour too\.$/,
    );
  }, 60_000);
});
