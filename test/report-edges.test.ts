import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { capturedOutput } from './helpers/output.js';

// Wed 25 Nov 2026, 15:45 in Kolkata.
const NOW = Date.UTC(2026, 10, 25, 10, 15);
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-edges-'));
let sandbox: RunningSandbox;

const CONFIG = `
accounts:
  - { id: "104729384756102", name: acme-retail, displayName: Acme Retail, token: "\${T}", timezone: Asia/Kolkata }
  - { id: "109876543210987", name: globex-support, token: "\${T}", timezone: America/Los_Angeles }
`;

beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => NOW, callsPerHour: 1_000_000 });
  writeFileSync(join(dir, 'waba-pulse.yaml'), CONFIG);
});
afterAll(() => sandbox.close());

interface SeriesJson {
  start: string;
  end: string;
  sent: number;
  delivered: number;
  partial: boolean;
}

async function report(args: string[]) {
  const { stdout, stderr, out, err } = capturedOutput();
  const code = await runCli(['report', ...args, '--format', 'json'], {
    stdout,
    stderr,
    env: { WABA_PULSE_CONFIG: join(dir, 'waba-pulse.yaml'), GRAPH_API_URL: sandbox.url, T: 'sandbox-token' },
    cwd: dir,
    now: () => NOW,
  });
  expect(err()).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out()) as {
    range: { start: string; end: string };
    bucketTimezone: string;
    totals: { sent: number; delivered: number };
    series: SeriesJson[];
    notes: string[];
  };
}

const sum = (series: SeriesJson[]) => series.reduce((n, p) => n + p.sent, 0);

describe('every total is of the period in the title', () => {
  it.each([
    ['24 hours by month', ['--last', '24h', '--granularity', 'month'], ['--last', '24h', '--granularity', 'half_hour']],
    ['7 days by month', ['--last', '7d', '--granularity', 'month'], ['--last', '7d', '--granularity', 'day']],
    ['24 hours by day', ['--last', '24h', '--granularity', 'day'], ['--last', '24h', '--granularity', 'half_hour']],
  ])(
    '%s: the same totals as finer buckets of the same range, the months and days the range cuts marked part',
    async (_what, coarse, fine) => {
      for (const account of ['acme-retail', 'globex-support']) {
        const a = await report(['--account', account, ...coarse]);
        const b = await report(['--account', account, ...fine]);
        expect(a.range).toEqual(b.range);
        expect(a.totals).toEqual(b.totals);
        expect(sum(a.series)).toBe(a.totals.sent);
        expect(a.series[0]!.start).toBe(a.range.start);
        expect(a.series.at(-1)!.end).toBe(a.range.end);
        expect(a.series.every((p) => p.partial)).toBe(true);
      }
    },
  );

  it("a long daily report in a zone other than the WABA's is counted in the WABA's days, and its range is those days", async () => {
    // Three months of Kolkata days would need half hours (dozens of calls); Graph's own days are
    // Los Angeles days: the range becomes 1 Aug – 31 Oct in Los Angeles days, not the 93 that overlap Kolkata's.
    const r = await report(['--account', 'acme-retail', '--last', '3m']);
    expect(r.bucketTimezone).toBe('America/Los_Angeles');
    const inLa = (iso: string) => DateTime.fromISO(iso, { setZone: true }).setZone('America/Los_Angeles');
    expect(inLa(r.range.start).toISO()).toBe('2026-08-01T00:00:00.000-07:00');
    expect(inLa(r.range.end).toISO()).toBe('2026-11-01T00:00:00.000-07:00');
    expect(r.series).toHaveLength(92);
    expect(r.series[0]!.start).toBe(r.range.start);
    expect(r.series.at(-1)!.end).toBe(r.range.end);
    expect(r.series.some((p) => p.partial)).toBe(false);
    expect(sum(r.series)).toBe(r.totals.sent);
    expect(r.notes[0]).toMatch(/^Days run midnight to midnight America\/Los_Angeles, Graph's own days for this WABA/);
  });

  it('says so in the text: the title in the zone whose days are counted, each cut bucket as the part it is', async () => {
    const { stdout, out } = capturedOutput();
    const env = { WABA_PULSE_CONFIG: join(dir, 'waba-pulse.yaml'), GRAPH_API_URL: sandbox.url, T: 'sandbox-token' };
    await runCli(['report', '--account', 'acme-retail', '--last', '3m'], { stdout, stderr: stdout, env, cwd: dir, now: () => NOW });
    expect(out()).toMatch(/^Acme Retail — WhatsApp delivery, 1 Aug – 31 Oct 2026 \(America\/Los_Angeles\)$/m);
    const { stdout: s2, out: o2 } = capturedOutput();
    await runCli(['report', '--account', 'acme-retail', '--last', '7d', '--granularity', 'month'], {
      stdout: s2,
      stderr: s2,
      env,
      cwd: dir,
      now: () => NOW,
    });
    expect(o2()).toMatch(/^ {2}18–24 Nov 2026 \(part of Nov 2026\) +[\d,]+ +[\d,]+ +[\d.]+%$/m);
  });
});
