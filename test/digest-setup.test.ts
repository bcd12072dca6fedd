import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartRenderer } from '../src/charts/render.js';
import type { CommandContext } from '../src/chat/context.js';
import { setupChanges } from '../src/chat/setup/changes.js';
import { checkDigestForm, deleteDigestForm, digestDefinition, digestsOf, saveDigestForm } from '../src/chat/setup/digests.js';
import type { RuleEditor } from '../src/chat/setup/rules.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { DigestTakenError } from '../src/errors.js';
import { GraphClient } from '../src/graph/client.js';
import { allDigests } from '../src/jobs/digests.js';
import type { SqlStore } from '../src/store/sql.js';
import { storeBackends } from './helpers/stores.js';

const backends = await storeBackends();
const T0 = Date.parse('2026-11-24T09:00:00Z');
const ACME = '104729384756102';
const GLOBEX = '204729384756102';

const config = buildConfig(
  {
    accounts: [
      { id: ACME, name: 'acme-retail', displayName: 'Acme Retail', token: '${T}', timezone: 'Asia/Kolkata' },
      { id: GLOBEX, name: 'globex', displayName: 'Globex', token: '${T}', timezone: 'Europe/Berlin' },
    ],
    access: [
      { slack: { channel: 'C0OPS' }, accounts: '*' },
      { slack: { channel: 'C0SALES' }, accounts: ['globex'] },
      { slack: { channel: 'C0PRIVATE' }, accounts: '*' },
    ],
    digests: [{ account: 'globex', every: 'daily', at: '08:00', targets: [{ slack: { channel: 'C0SALES' } }] }],
  },
  { T: 'x', GRAPH_API_URL: 'http://127.0.0.1:9' },
);

/** A person in #ops, #sales and #private; the bot may post in all but #private. */
function editor(user = 'U0ALICE', channels = ['C0OPS', 'C0SALES', 'C0PRIVATE']): RuleEditor {
  return {
    platform: 'slack',
    user,
    isMember: async (c) => channels.includes(c),
    canPost: async (c) => c !== 'C0PRIVATE',
  };
}

const digest = (extra: Record<string, unknown> = {}) => ({
  account: 'acme-retail',
  every: 'weekly',
  at: '07:30',
  day: 'fri',
  timezone: 'America/Sao_Paulo',
  by: 'country',
  targets: [{ slack: { channel: 'C0OPS' } }],
  ...extra,
});

describe.each(backends)('digests set up in a form on $name', (backend) => {
  let store: SqlStore;
  let second: SqlStore;
  let clock = T0;
  let ctx: CommandContext;
  beforeAll(async () => {
    store = await backend.open();
    // PostgreSQL: another pool, another replica (SQLite: the same store; see rules.test.ts).
    second = backend.name === 'PostgreSQL' ? await backend.open() : store;
    ctx = {
      config,
      accounts: graphAccountsFrom({ T: 'x' }),
      store,
      // Never called: a digest form reads the config and the store only.
      graph: new GraphClient({ ...config.graph, now: () => clock }),
      charts: chartRenderer('local'),
      now: () => clock,
      prefix: '/waba',
    };
  });
  afterAll(async () => {
    if (second !== store) await second.close();
    await store.close();
    await backend.cleanup();
  });

  it('stores a weekly digest by country, which the one digest scheduler then runs, and logs who made it', async () => {
    const saved = await saveDigestForm(ctx, editor(), digest());
    expect(saved.ok).toBe(true);
    if (!saved.ok) return;
    expect(saved.digest).toMatchObject({
      platform: 'slack',
      conversation: 'C0OPS',
      accountId: ACME,
      every: 'weekly',
      at: '07:30',
      weekday: 5,
      timezone: 'America/Sao_Paulo',
      by: 'country',
      version: 1,
      createdBy: 'U0ALICE',
      createdAt: T0,
    });
    const job = allDigests(config, await store.preferences.listSubscriptions()).find((d) => d.origin === saved.digest.id);
    expect(job).toMatchObject({ job: `digest:${saved.digest.id}`, source: 'chat', weekday: 5, by: 'country', since: T0 });
    expect(await digestsOf(ctx, { platform: 'slack', conversation: 'C0OPS' })).toEqual([
      {
        id: saved.digest.id,
        origin: 'chat',
        summary: 'Acme Retail · weekly on Friday at 07:30 America/Sao_Paulo · by country',
        version: 1,
        updatedBy: 'U0ALICE',
      },
    ]);
    expect(digestDefinition(config, saved.digest, { slack: { channel: 'C0OPS' } })).toEqual(digest());
    expect(await store.preferences.digestChanges(saved.digest.id)).toEqual([
      {
        digestId: saved.digest.id,
        version: 1,
        action: 'create',
        by: 'U0ALICE',
        at: T0,
        before: null,
        after: {
          platform: 'slack',
          conversation: 'C0OPS',
          accountId: ACME,
          every: 'weekly',
          at: '07:30',
          timezone: 'America/Sao_Paulo',
          weekday: 5,
          by: 'country',
        },
      },
    ]);
    expect(await deleteDigestForm(ctx, editor(), { digestId: saved.digest.id, version: 1 })).toBe(
      'Digest deleted: it is not posted again.',
    );
  });

  it("names each bad field — a zone that does not exist, a time that is not one — in the schema's words, and stores nothing", async () => {
    const before = await store.preferences.listSubscriptions();
    const checked = await checkDigestForm(ctx, editor(), digest({ timezone: 'Europe/Berln', at: '9am', every: 'hourly', by: 'template' }));
    expect(checked.ok).toBe(false);
    const problems = checked.ok ? [] : checked.problems;
    expect(Object.fromEntries(problems.map((p) => [p.path, p.message]))).toEqual({
      timezone: 'unknown time zone "Europe/Berln" — did you mean "Europe/Berlin"?',
      at: '"9am" is not a time of day — write HH:MM, e.g. 09:00',
      every: '"hourly" is not one of daily, weekly',
      by: '"template" is not one of phone, country',
    });
    expect(await saveDigestForm(ctx, editor(), digest({ account: 'acme-retial' }))).toEqual({
      ok: false,
      problems: [{ path: 'account', message: 'unknown account "acme-retial" — did you mean "acme-retail"?' }],
    });
    expect(await saveDigestForm(ctx, editor(), digest({ targets: [] }))).toMatchObject({ ok: false, problems: [{ path: 'targets' }] });
    expect(await store.preferences.listSubscriptions()).toEqual(before);
  });

  it('checks on the server: the person in the channel, the bot able to post there, the account visible there, no second digest', async () => {
    const before = await store.preferences.listSubscriptions();
    const line = async (definition: Record<string, unknown>, who = editor()) => {
      const out = await saveDigestForm(ctx, who, definition);
      return out.ok ? 'saved' : out.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    };
    expect(await line(digest(), editor('U0BOB', ['C0SALES']))).toBe('targets: you are not in that channel: choose one of yours');
    expect(await line(digest({ targets: [{ slack: { channel: 'C0PRIVATE' } }] }))).toBe(
      'targets: waba-pulse cannot post in that channel: invite it there first, or choose another',
    );
    expect(await line(digest({ targets: [{ slack: { channel: 'C0SALES' } }] }))).toBe(
      'account: acme-retail may not be seen in that channel: choose another account or channel',
    );
    expect(await line(digest({ account: 'globex', every: 'daily', targets: [{ slack: { channel: 'C0SALES' } }] }))).toBe(
      'every: that channel already gets a daily digest of Globex from the config file (digests[0]): change it there',
    );
    expect(await store.preferences.listSubscriptions()).toEqual(before);
    expect(await line(digest({ every: 'daily' }))).toBe('saved');
    expect(await line(digest({ every: 'daily', at: '10:00' }), editor('U0BOB'))).toBe(
      'every: that channel already has a daily digest of Acme Retail (set by U0ALICE): edit that one',
    );
  });

  it('edits at the version the form was opened on: a stale edit is told who, a config digest is read-only, a digest stays in its channel', async () => {
    const made = await saveDigestForm(ctx, editor(), digest({ account: 'globex' }));
    if (!made.ok) throw new Error(JSON.stringify(made.problems));
    const id = made.digest.id;
    clock = T0 + 60_000;
    const bob = await saveDigestForm(ctx, editor('U0BOB'), digest({ account: 'globex', at: '06:00' }), { digestId: id, version: 1 });
    expect(bob).toMatchObject({ ok: true, digest: { version: 2, at: '06:00', updatedBy: 'U0BOB', createdAt: T0 } });
    const late = await saveDigestForm(ctx, editor(), digest({ account: 'globex', at: '11:00' }), { digestId: id, version: 1 });
    expect(late).toEqual({
      ok: false,
      problems: [
        {
          path: 'targets',
          message: 'changed by U0BOB since you opened it (now version 2): close this form and open the digest again, then make your change',
        },
      ],
    });
    expect(
      await saveDigestForm(ctx, editor(), digest({ account: 'globex', targets: [{ slack: { channel: 'C0SALES' } }] }), {
        digestId: id,
        version: 2,
      }),
    ).toMatchObject({
      ok: false,
      problems: [{ path: 'targets', message: 'a digest stays in its channel: make a new digest for another channel' }],
    });
    expect(await saveDigestForm(ctx, editor(), digest(), { digestId: 'digests[0]', version: 1 })).toMatchObject({
      ok: false,
      problems: [{ message: 'digests[0] is defined in waba-pulse.yaml: change it there' }],
    });
    expect(await deleteDigestForm(ctx, editor(), { digestId: id, version: 1 })).toBe(
      'Not deleted: changed by U0BOB since you opened it (now version 2). Open it again to see their change.',
    );
    expect(await deleteDigestForm(ctx, editor('U0CAROL', ['C0SALES']), { digestId: id, version: 2 })).toBe(
      'Only someone in its channel may delete this digest.',
    );
    expect((await store.preferences.subscription(id))?.at).toBe('06:00');
    expect(await deleteDigestForm(ctx, editor(), { digestId: id, version: 2 })).toBe('Digest deleted: it is not posted again.');
    expect((await store.preferences.digestChanges(id)).map((c) => [c.version, c.action, c.by, c.before?.at, c.after?.at])).toEqual([
      [1, 'create', 'U0ALICE', undefined, '07:30'],
      [2, 'update', 'U0BOB', '07:30', '06:00'],
      [3, 'delete', 'U0ALICE', '06:00', undefined],
    ]);
    // The history as App Home and `runs --changes` show it: who, when, before → after.
    const logs = { rules: await store.rules.recentRuleChanges(50), digests: await store.preferences.recentDigestChanges(50) };
    const ops = [{ platform: 'slack' as const, conversation: 'C0OPS' }];
    expect(
      setupChanges(config.accounts, logs, 50, ops).find((c) => c.subject === `digest ${id.slice(0, 8)}` && c.action === 'update'),
    ).toEqual({
      at: T0 + 60_000,
      by: 'U0BOB',
      action: 'update',
      subject: `digest ${id.slice(0, 8)}`,
      target: ops[0],
      summary:
        'globex weekly on Friday at 07:30 America/Sao_Paulo by country → globex weekly on Friday at 06:00 America/Sao_Paulo by country',
    });
    expect(setupChanges(config.accounts, logs, 50, [{ platform: 'slack', conversation: 'C0SALES' }])).toEqual([]);
  });

  it('counts `subscribe` again as a change: a form opened before it is stale', async () => {
    const target = { platform: 'slack' as const, conversation: 'C0OPS' };
    const first = await store.preferences.addSubscription(
      { ...target, accountId: GLOBEX, every: 'weekly', at: '09:00', timezone: 'UTC', createdBy: 'U0ALICE' },
      T0,
    );
    const again = await store.preferences.addSubscription(
      { ...target, accountId: GLOBEX, every: 'weekly', at: '10:00', timezone: 'UTC', createdBy: 'U0BOB' },
      T0 + 1,
    );
    expect(again).toMatchObject({ id: first.id, version: 2, at: '10:00', updatedBy: 'U0BOB' });
    const late = await saveDigestForm(ctx, editor(), digest({ account: 'globex', at: '12:00' }), { digestId: first.id, version: 1 });
    expect(late).toMatchObject({ ok: false, problems: [{ message: expect.stringContaining('changed by U0BOB') }] });
    expect(await store.preferences.removeSubscriptions(target, GLOBEX, { by: 'U0BOB', now: T0 + 2 })).toBe(1);
    expect((await store.preferences.digestChanges(first.id)).map((c) => c.action)).toEqual(['create', 'update', 'delete']);
  });

  it('makes exactly one of two simultaneous identical digests, from two pools', async () => {
    const target = { platform: 'slack' as const, conversation: 'C0RACE' };
    for (let round = 0; round < 5; round++) {
      const make = (s: SqlStore, by: string) =>
        s.preferences.createDigest({ ...target, accountId: ACME, every: 'daily', at: '09:00', timezone: 'UTC', createdBy: by }, T0);
      const outcomes = await Promise.allSettled([make(store, 'UA'), make(second, 'UB')]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(DigestTakenError);
      expect(await store.preferences.listSubscriptions(target)).toHaveLength(1);
      expect(await store.preferences.removeSubscriptions(target, ACME)).toBe(1);
    }
  });
});
