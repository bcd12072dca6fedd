import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAnalytics } from '../src/cache/bucketCache.js';
import { chartRenderer } from '../src/charts/render.js';
import { runCommand } from '../src/chat/commands.js';
import type { CommandContext } from '../src/chat/context.js';
import { reportMessage } from '../src/chat/slack/render.js';
import { runCli } from '../src/cli/main.js';
import { parseCommand } from '../src/command/grammar.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { openStore, type SqlStore } from '../src/store/sql.js';
import { capturedOutput } from './helpers/output.js';

/**
 * Reports on explicit clocks at the moments a calendar turns: a minute before and after an
 * account's midnight (a range ending "today" reaches into the future until then), and New Year.
 * The sandbox refuses MONTH over less than a month and any end in the future, as Graph does.
 */
const LA = 'America/Los_Angeles';
const at = (iso: string, zone = LA) => DateTime.fromISO(iso, { zone }).toMillis();
const MIDNIGHT = at('2026-07-01T00:00');
let clock = MIDNIGHT;
let sandbox: RunningSandbox;
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-clock-'));
const config = join(dir, 'waba-pulse.yaml');
writeFileSync(
  config,
  [
    'accounts:',
    '  - id: "112233445566778"',
    '    name: initech',
    '    displayName: Initech',
    '    tokenEnv: INITECH_TOKEN',
    `    timezone: ${LA}`,
    '  - id: "109876543210987"',
    '    name: globex',
    '    displayName: Globex',
    '    tokenEnv: INITECH_TOKEN',
    '    timezone: Europe/Berlin',
    '',
  ].join('\n'),
);

beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(MIDNIGHT), now: () => clock, callsPerHour: 1_000_000 });
});
afterAll(() => sandbox.close());

async function report(args: string[], nowMs: number) {
  clock = nowMs;
  const { stdout, stderr, out, err } = capturedOutput();
  const code = await runCli(args, {
    stdout,
    stderr,
    env: { WABA_PULSE_CONFIG: config, GRAPH_API_URL: sandbox.url, INITECH_TOKEN: 'sandbox-token' },
    cwd: dir,
    now: () => nowMs,
  });
  return { code, out: out(), err: err() };
}

describe("a monthly report of a range ending at the account's midnight", () => {
  // The last two weeks of June by month: with the two weeks before, to compare, four weeks to fetch.
  const args = [
    'report',
    '--account',
    'initech',
    '--from',
    '2026-06-17',
    '--to',
    '2026-06-30',
    '--granularity',
    'month',
    '--format',
    'json',
  ];

  it('works a minute before midnight, cut at now and saying so', async () => {
    const { code, out, err } = await report(args, MIDNIGHT - 60_000);
    expect(err).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.granularity).toBe('month');
    expect(json.range).toEqual({ start: '2026-06-17T00:00:00-07:00', end: '2026-06-30T23:59:00-07:00', timezone: LA });
    expect(json.notes).toContain(`End moved to now (2026-06-30 23:59 ${LA}): Graph has no data after that yet.`);
    expect(json.totals.sent).toBeGreaterThan(0);
  });

  it('works half a minute after midnight, with nothing to cut', async () => {
    const { code, out, err } = await report(args, MIDNIGHT + 30_000);
    expect(err).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.range.end).toBe('2026-07-01T00:00:00-07:00');
    expect(json.notes.filter((n: string) => n.startsWith('End moved'))).toEqual([]);
  });

  it('says in the text report too that a range ending later today was cut at now', async () => {
    const { code, out } = await report(
      ['report', '--account', 'initech', '--from', '2026-06-24', '--to', '2026-06-30'],
      at('2026-06-30T15:20'),
    );
    expect(code).toBe(0);
    expect(out).toContain(`Note: End moved to now (2026-06-30 15:20 ${LA}): Graph has no data after that yet.`);
  });
});

describe('a backtest ending later today', () => {
  it('is cut at now with the same note', async () => {
    const { code, out } = await report(
      ['backtest', '--account', 'initech', '--from', '2026-06-28', '--to', '2026-06-30', '--format', 'json'],
      at('2026-06-30T15:20'),
    );
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.range.end).toBe('2026-06-30T15:20:00-07:00');
    expect(json.notes).toContain(`End moved to now (2026-06-30 15:20 ${LA}): Graph has no data after that yet.`);
  });
});

describe('a title across New Year', () => {
  it('names both years', async () => {
    const { code, out } = await report(['report', '--account', 'globex', '--last', '24h'], at('2027-01-01T09:00', 'Europe/Berlin'));
    expect(code).toBe(0);
    expect(out).toContain('Globex — WhatsApp delivery, 31 Dec 2026 09:00 – 1 Jan 2027 09:00 (Europe/Berlin)');
  });
});

describe('in chat, through the bucket cache', () => {
  const NOW = at('2026-07-20T10:00');
  let store: SqlStore;
  let ctx: CommandContext;
  beforeAll(async () => {
    store = await openStore('sqlite::memory:');
    const config = buildConfig(
      {
        accounts: [{ id: '112233445566778', name: 'initech', token: '${INITECH_TOKEN}', timezone: LA }],
        access: [{ slack: { channel: 'C0OPS' }, accounts: '*' }],
      },
      { GRAPH_API_URL: sandbox.url },
    );
    const graph = new GraphClient({ ...config.graph, now: () => NOW });
    ctx = {
      config,
      accounts: graphAccountsFrom({ INITECH_TOKEN: 'sandbox-token' }),
      store,
      graph: new CachedAnalytics(graph, store, () => NOW),
      charts: chartRenderer('local'),
      now: () => NOW,
      prefix: '/waba',
    };
    clock = NOW;
  });
  afterAll(() => store.close());
  const ask = async (text: string) => {
    const result = await runCommand(ctx, { platform: 'slack', conversation: 'C0OPS', user: 'U0ALICE' }, parseCommand(text));
    if (result.type !== 'report') throw new Error(`expected a report, got ${JSON.stringify(result)}`);
    return result;
  };

  it('answers a monthly report asked again, when the cache holds the past months and this month is not over', async () => {
    const first = await ask('report initech 2026-03-01..2026-07-19 monthly');
    // Settled months come from the cache; July so far goes to Graph, which takes MONTH only over a month.
    const again = await ask('report initech 2026-03-01..2026-07-19 monthly');
    expect(again.report.series.map((p) => [p.start, p.sent, p.delivered])).toEqual(
      first.report.series.map((p) => [p.start, p.sent, p.delivered]),
    );
    expect(again.report.series).toHaveLength(5);
    expect(again.report.totals.sent).toBeGreaterThan(0);
  });

  it('shows the note of a range cut at now in the Slack message', async () => {
    const { report } = await ask('report initech 2026-07-13..2026-07-20');
    const message = JSON.stringify(reportMessage(report, { fileId: 'F1' }));
    expect(message).toContain(`End moved to now (2026-07-20 10:00 ${LA}): Graph has no data after that yet.`);
  });
});
