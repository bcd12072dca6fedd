import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedAnalytics } from '../src/cache/bucketCache.js';
import { chartRenderer } from '../src/charts/render.js';
import { runCommand } from '../src/chat/commands.js';
import type { CommandContext, CommandResult } from '../src/chat/context.js';
import { errorMessage } from '../src/chat/surface.js';
import { parseCommand } from '../src/command/grammar.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import type { Requester } from '../src/config/access.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import type { SqlStore } from '../src/store/sql.js';
import { storeBackends } from './helpers/stores.js';

// Wed 25 Nov 2026, 10:00 in Los Angeles.
const NOW = Date.UTC(2026, 10, 25, 18, 0);
let clock = NOW;
let sandbox: RunningSandbox;
let store: SqlStore;
let graph: GraphClient;
const [acme, globex] = sampleAccounts(NOW);

beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => clock, callsPerHour: 1_000_000 });
  store = await (await storeBackends())[0]!.open();
});
afterAll(async () => {
  await graph?.close();
  await store.close();
  await sandbox.close();
});

function context(
  env: NodeJS.ProcessEnv = { ACME: 'sandbox-token', GLOBEX: 'sandbox-token' },
  options: { cache?: boolean } = {},
): CommandContext {
  const config = buildConfig(
    {
      accounts: [
        // Acme's deliveries take long to arrive: a day before its buckets count as settled.
        { id: acme!.id, name: 'acme-retail', displayName: 'Acme Retail', token: '${ACME}', timezone: 'America/Los_Angeles', settle: '24h' },
        { id: globex!.id, name: 'globex-support', displayName: 'Globex Support', token: '${GLOBEX}', timezone: 'America/Los_Angeles' },
      ],
      access: [{ slack: { channel: 'C0OPS' }, accounts: '*' }],
      digests: [{ account: 'acme-retail', every: 'daily', at: '08:00', by: 'phone', targets: [{ slack: { channel: 'C0OPS' } }] }],
    },
    { GRAPH_API_URL: sandbox.url },
  );
  graph ??= new GraphClient({ ...config.graph, now: () => clock });
  return {
    config,
    accounts: graphAccountsFrom(env),
    store,
    graph: options.cache === false ? graph : new CachedAnalytics(graph, store, () => clock),
    charts: chartRenderer('local'),
    now: () => clock,
    prefix: '/waba',
  };
}

const ops: Requester = { platform: 'slack', conversation: 'C0OPS', user: 'U0ALICE' };
const lines = (result: CommandResult) => (result.type === 'notice' ? result.lines : []);

describe('chat commands', () => {
  it("`accounts` caches each account's buckets by its own settle time", async () => {
    const ctx = context();
    const requests = () => ({ acme: sandbox.stats.byAccount.get(acme!.id) ?? 0, globex: sandbox.stats.byAccount.get(globex!.id) ?? 0 });
    const first = await runCommand(ctx, ops, { kind: 'accounts' });
    expect(lines(first)).toEqual([
      expect.stringMatching(/^\*Acme Retail\* \(`acme-retail`\): \d+\.\d% of [\d,]+ delivered yesterday$/),
      expect.stringMatching(/^\*Globex Support\*/),
    ]);
    const before = requests();
    clock = NOW + 3_600_000;
    await runCommand(ctx, ops, { kind: 'accounts' });
    const after = requests();
    // Globex settles in 2 h: yesterday is kept and not asked again. Acme's yesterday is younger
    // than twice its 24 h settle time, so Graph is asked again for it.
    expect(after.globex - before.globex).toBe(0);
    expect(after.acme - before.acme).toBe(1);
    clock = NOW;
  });

  it("`accounts` says why an account's figures are missing in the one formatter's words, and never the token", async () => {
    const result = await runCommand(context({ ACME: 'sandbox-expired-token', GLOBEX: 'sandbox-token' }, { cache: false }), ops, {
      kind: 'accounts',
    });
    const [acmeLine, globexLine] = lines(result);
    // The line and its hint: what happened and what to do.
    expect(acmeLine).toMatch(/^\*Acme Retail\* \(`acme-retail`\): figures unavailable\. .*Graph refused the access token.* — .+/);
    expect(acmeLine).not.toContain('sandbox-expired-token');
    expect(globexLine).toMatch(/delivered yesterday$/);
  });

  it('`subscribe` refuses a digest the config file already posts here, and `subscriptions` lists it', async () => {
    const ctx = context();
    const refused = await runCommand(ctx, ops, { kind: 'subscribe', account: 'acme-retail', every: 'daily', at: '09:00' });
    expect(refused).toEqual({
      type: 'notice',
      title: 'Already configured',
      lines: [
        'A daily digest for *Acme Retail* is already posted here from the config file (daily at 08:00 America/Los_Angeles); change it there.',
      ],
    });
    expect(await store.preferences.listSubscriptions(ops)).toEqual([]);
    // A weekly one, or another account, is the channel's own choice.
    await runCommand(ctx, ops, { kind: 'subscribe', account: 'acme-retail', every: 'weekly', at: '09:00' });
    const listed = await runCommand(ctx, ops, { kind: 'subscriptions' });
    expect(lines(listed)).toEqual([
      '*Acme Retail*: daily at 08:00 America/Los_Angeles, by phone (from the config file)',
      '*Acme Retail*: weekly at 09:00 America/Los_Angeles',
    ]);
  });

  it('refuses a range wholly past the one-year lookback with the same line as the CLI, fetching nothing', async () => {
    const before = sandbox.stats.requests;
    const thrown = await runCommand(context(), ops, parseCommand('report acme-retail 2022-01-01..2022-04-27')).catch((err: unknown) => err);
    expect(errorMessage(thrown)).toBe(
      "the range ends 2022-04-27, before Graph's one-year lookback: the oldest day Graph still serves is 2025-11-25 — pick a range after 2025-11-25",
    );
    expect(sandbox.stats.requests).toBe(before);
  });

  it("says mute times in the account's zone, ends a mute with `unmute`, and `alerts on` says when a mute still holds", async () => {
    const ctx = context();
    const run = async (text: string) => lines(await runCommand(ctx, ops, parseCommand(text)));
    // 18:00 UTC is 10:00 in Los Angeles (PST); two hours on, the same day.
    expect(await run('mute globex-support 2h')).toEqual([
      'Alerts for *Globex Support* are muted here for 2h, until 12:00\u00a0PST. `/waba unmute globex-support` ends it early.',
    ]);
    expect(await run('alerts globex-support on')).toEqual([
      'Delivery alerts for *Globex Support* are on in this conversation.',
      'They stay muted until 12:00\u00a0PST: `/waba unmute globex-support` ends that now.',
    ]);
    expect(await run('unmute globex-support')).toEqual(['Alerts for *Globex Support* are heard here again.']);
    expect((await store.preferences.alertSettings(ops)).find((s) => s.accountId === globex!.id)!.mutedUntil).toBe(clock);
    expect(await run('alerts globex-support on')).toEqual(['Delivery alerts for *Globex Support* are on in this conversation.']);
    expect(await run('unmute globex-support')).toEqual(['Alerts for *Globex Support* were not muted in this conversation.']);
  });

  it('`unsubscribe` names a digest the config file posts here instead of saying there is none', async () => {
    const ctx = context();
    await store.preferences.removeSubscriptions(ops, acme!.id);
    expect(lines(await runCommand(ctx, ops, parseCommand('unsubscribe acme-retail')))).toEqual([
      'The digest for *Acme Retail* here (daily at 08:00 America/Los_Angeles) comes from the config file (digests[0]): remove it there.',
    ]);
  });

  it("names both bad dates of a range in the words it was typed in, not the CLI's flags", async () => {
    const ask = (text: string) => runCommand(context(), ops, parseCommand(text)).catch((e: unknown) => errorMessage(e));
    expect(await ask('report acme-retail 2026-13-01..2026-13-05')).toBe(
      'the start "2026-13-01" and the end "2026-13-05" are not dates — use YYYY-MM-DD, an ISO time such as 2026-11-20T09:00, or UNIX seconds',
    );
    expect(await ask('report acme-retail 2026-11-01..2026-11-45')).toBe(
      'the end "2026-11-45" is not a date — use YYYY-MM-DD, an ISO time such as 2026-11-20T09:00, or UNIX seconds',
    );
    expect(await ask('report acme-retail 2026-11-20..2026-11-10')).toBe(
      'the start 2026-11-20 is not before the end 2026-11-10 — swap them, or give the end after the start',
    );
    expect(await ask('report acme-retail 0d')).toBe('"0d" is not a period — write a number and a unit: 24h, 7d, 4w or 3m');
  });

  it('`subscribe` suggests the zone meant by a misspelled one, as the config file does', async () => {
    const thrown = await runCommand(context(), ops, parseCommand('subscribe acme-retail daily at 09:00 Europe/Berln')).catch(
      (e: unknown) => e,
    );
    expect(errorMessage(thrown)).toBe('Unknown time zone "Europe/Berln" — did you mean "Europe/Berlin"?');
  });

  it("logs a person's mistake as one info line without a stack; a failure of ours at error with one", async () => {
    const { PassThrough } = await import('node:stream');
    const { createLogger } = await import('../src/log.js');
    const { logCommandFailure } = await import('../src/chat/surface.js');
    const sink = new PassThrough();
    let written = '';
    sink.on('data', (c) => (written += c));
    const log = createLogger({ level: 'info', destination: sink });
    const typo = await runCommand(context(), ops, parseCommand('report acme-retial')).catch((e: unknown) => e);
    logCommandFailure(log, typo, { platform: 'slack', command: 'report' });
    logCommandFailure(log, new TypeError('x is undefined'), { platform: 'slack', command: 'report' });
    await new Promise((r) => setImmediate(r));
    const [refused, failed] = written
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(refused).toMatchObject({
      level: 30,
      msg: 'chat command refused',
      code: 'E_COMMAND',
      reason: expect.stringContaining('acme-retial'),
    });
    expect(JSON.stringify(refused)).not.toContain('stack');
    expect(failed).toMatchObject({ level: 50, msg: 'chat command failed', err: { message: 'x is undefined', stack: expect.any(String) } });
  });

  it('`help` where no account is visible says how to get one, and its examples name none', async () => {
    const stranger: Requester = { platform: 'slack', conversation: 'C0NEW', user: 'U0NEW' };
    const help = lines(await runCommand(context(), stranger, { kind: 'help' }));
    expect(help[0]).toBe(
      'No accounts are available in this conversation yet: ask whoever runs waba-pulse to add an access rule for Slack channel C0NEW.',
    );
    expect(help.join('\n')).not.toContain('acme-retail');
    expect(help).toContain('*Delivery for a period, with a chart*: `/waba report <account> yesterday by country`');
  });
});
