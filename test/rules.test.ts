import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateChatRule } from '../src/config/chatRules.js';
import { buildConfig } from '../src/configure.js';
import { RuleNotFoundError, StaleRuleError } from '../src/errors.js';
import type { SqlStore } from '../src/store/sql.js';
import { storeBackends } from './helpers/stores.js';

const backends = await storeBackends();
const ops = { platform: 'slack' as const, conversation: 'C0OPS' };
const other = { platform: 'slack' as const, conversation: 'C0OTHER' };
const T0 = Date.parse('2026-11-24T09:00:00Z');
const definition = (extra: Record<string, unknown> = {}) => ({
  account: 'acme',
  source: 'graph',
  minSent: 200,
  targets: [{ slack: { channel: 'C0OPS' } }],
  ...extra,
});

describe.each(backends)('chat-made alert rules on $name', (backend) => {
  let store: SqlStore;
  let second: SqlStore;
  beforeAll(async () => {
    store = await backend.open();
    // PostgreSQL: another pool on the same database, another replica. SQLite is one process (its
    // driver waits synchronously, so a second handle in this process would wait on itself): the
    // same store, whose requests interleave as two people's do.
    second = backend.name === 'PostgreSQL' ? await backend.open() : store;
  });
  afterAll(async () => {
    if (second !== store) await second.close();
    await store.close();
    await backend.cleanup();
  });

  it('keeps a rule with its conversation and version, and logs who changed what, when, before and after', async () => {
    const made = await store.rules.createRule({ owner: ops, definition: definition(), by: 'U1' }, T0);
    expect(made).toMatchObject({ owner: ops, version: 1, createdBy: 'U1', createdAt: T0, updatedBy: 'U1', updatedAt: T0 });
    expect(made.id).toMatch(/^r-[0-9a-f]{10}$/);
    const edited = await store.rules.updateRule(made.id, 1, definition({ minSent: 50 }), 'U2', T0 + 60_000);
    expect(edited).toMatchObject({ version: 2, createdBy: 'U1', updatedBy: 'U2', updatedAt: T0 + 60_000 });
    expect(await store.rules.rule(made.id)).toEqual(edited);
    await store.rules.createRule({ owner: other, definition: definition(), by: 'U3' }, T0 + 1);
    expect((await store.rules.listRules(ops)).map((r) => r.id)).toEqual([made.id]);
    expect(await store.rules.listRules()).toHaveLength(2);
    await store.rules.deleteRule(made.id, 2, 'U1', T0 + 120_000);
    expect(await store.rules.rule(made.id)).toBeUndefined();
    expect(await store.rules.ruleChanges(made.id)).toEqual([
      { ruleId: made.id, version: 1, action: 'create', by: 'U1', at: T0, before: null, after: definition() },
      {
        ruleId: made.id,
        version: 2,
        action: 'update',
        by: 'U2',
        at: T0 + 60_000,
        before: definition(),
        after: definition({ minSent: 50 }),
      },
      { ruleId: made.id, version: 3, action: 'delete', by: 'U1', at: T0 + 120_000, before: definition({ minSent: 50 }), after: null },
    ]);
  });

  it('refuses an edit of a version someone else already changed, naming them, and loses nothing', async () => {
    const made = await store.rules.createRule({ owner: ops, definition: definition(), by: 'U1' }, T0);
    await store.rules.updateRule(made.id, 1, definition({ rateFloor: 0.9 }), 'U2', T0 + 1_000);
    const late = store.rules.updateRule(made.id, 1, definition({ minSent: 10 }), 'U3', T0 + 2_000);
    await expect(late).rejects.toBeInstanceOf(StaleRuleError);
    await expect(late).rejects.toMatchObject({ code: 'E_RULE_STALE', currentVersion: 2, changedBy: 'U2' });
    await expect(store.rules.deleteRule(made.id, 1, 'U3', T0 + 3_000)).rejects.toMatchObject({ code: 'E_RULE_STALE' });
    expect((await store.rules.rule(made.id))?.definition).toEqual(definition({ rateFloor: 0.9 }));
    expect((await store.rules.ruleChanges(made.id)).map((c) => c.version)).toEqual([1, 2]);
    await expect(store.rules.updateRule('r-0000000000', 1, definition(), 'U1', T0)).rejects.toBeInstanceOf(RuleNotFoundError);
  });

  it('lets exactly one of two simultaneous edits of the same version win, from two pools', async () => {
    for (let round = 0; round < 5; round++) {
      const made = await store.rules.createRule({ owner: ops, definition: definition(), by: 'U1' }, T0);
      const outcomes = await Promise.allSettled([
        store.rules.updateRule(made.id, 1, definition({ minSent: 1 }), 'UA', T0 + 1_000),
        second.rules.updateRule(made.id, 1, definition({ minSent: 2 }), 'UB', T0 + 1_000),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(StaleRuleError);
      const kept = await store.rules.rule(made.id);
      const winner = won[0]!.value;
      expect(kept).toMatchObject({ version: 2, updatedBy: winner.updatedBy, definition: winner.definition });
      expect((await store.rules.ruleChanges(made.id)).map((c) => [c.version, c.by])).toEqual([
        [1, 'U1'],
        [2, winner.updatedBy],
      ]);
    }
  });
});

describe('a chat-made rule is checked by the config schema', () => {
  const config = buildConfig(
    { accounts: [{ id: '104729384756102', name: 'acme', token: '${ACME_TOKEN}' }], alerts: [] },
    { ACME_TOKEN: 'x' },
  );

  it('reads like the same lines under alerts:, defaults and durations applied', () => {
    const checked = validateChatRule(config, ops, definition({ rateFloor: 0.9, sensitivity: 'high', scope: { countries: ['in'] } }));
    expect(checked).toMatchObject({
      ok: true,
      rule: {
        kind: 'drop',
        account: 'acme',
        checkEvery: 30 * 60_000,
        remindEvery: 4 * 3_600_000,
        rateFloor: 0.9,
        sensitivity: 'high',
        scope: { countries: ['IN'] },
        targets: [ops],
      },
    });
  });

  it('names each bad field and what to write instead', () => {
    const checked = validateChatRule(config, ops, definition({ minSent: -5, rateFloor: 1.5, sensitivity: 'loud' }));
    expect(checked.ok).toBe(false);
    const problems = checked.ok ? [] : checked.problems;
    expect(problems.map((p) => p.path).sort()).toEqual(['minSent', 'rateFloor', 'sensitivity']);
    expect(problems.find((p) => p.path === 'sensitivity')?.message).toBe('"loud" is not one of low, normal, high');
  });

  it('refuses an unknown account and a target outside its own conversation', () => {
    const checked = validateChatRule(config, ops, definition({ account: 'acmee', targets: [{ slack: { channel: 'C0OTHER' } }] }));
    expect(checked).toEqual({
      ok: false,
      problems: [
        { path: 'account', message: 'unknown account "acmee" — did you mean "acme"?' },
        { path: 'targets[0]', message: '"C0OTHER" is not this rule\'s conversation — a rule made in chat posts only where it was made' },
      ],
    });
  });
});
