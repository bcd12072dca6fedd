import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWebhookBacktest } from '../../src/alerts/backtest/run.js';
import type { DropRule } from '../../src/alerts/checker.js';
import { webhookJudge } from '../../src/alerts/sources.js';
import { summarizeFailures } from '../../src/analytics/failures.js';
import { buildConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/log.js';
import { openStore, type SqlStore } from '../../src/store/sql.js';
import { dedupeKey, type StatusEvent } from '../../src/whatsapp/payload.js';
import { freshPostgresSchema, storeBackends } from '../helpers/stores.js';

/**
 * Status webhooks judged within the account's (or the rule's) scope, as its Graph half is: a
 * hundred failures on a number outside the configured numbers raise no alert and stay out of
 * the backtest, and an alert inside it is labelled "the configured scope", not "all traffic".
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const NOW = Date.UTC(2026, 10, 25, 6, 0, 20);
const ACME = '104729384756102';
const IN_SCOPE = '16315551000';
const OUTSIDE = '16315559999';

describe.skipIf(!hasPostgres)('status webhooks within the configured scope (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof freshPostgresSchema>>;
  let store: SqlStore;
  const config = buildConfig(
    {
      accounts: [{ id: ACME, name: 'acme-retail', token: '${T}', timezone: 'Asia/Kolkata', phoneNumbers: [IN_SCOPE] }],
      alerts: [{ name: 'failures', account: 'acme-retail', source: 'webhooks', targets: [{ slack: { channel: 'C1' } }] }],
    },
    { GRAPH_API_URL: 'http://127.0.0.1:9', WHATSAPP_APP_SECRET: 's'.repeat(32), WHATSAPP_VERIFY_TOKEN: 'v' },
  );
  const account = config.accounts[0]!;
  const rule = config.alerts[0] as DropRule;

  beforeAll(async () => {
    db = await freshPostgresSchema();
    store = await openStore(db.url, { logger: silentLogger });
    const events: StatusEvent[] = [];
    const event = (id: string, phone: string, minute: number, status: 'sent' | 'failed', code = 0): StatusEvent => ({
      accountId: ACME,
      dedupeKey: dedupeKey(id, status),
      minute,
      phone,
      country: 'IN',
      status,
      code,
      category: 'utility',
    });
    const now = Math.floor(NOW / 60_000) * 60;
    // A quiet day in scope before, then the last minutes: 100 sent in scope, 100 failed outside it.
    for (let m = 0; m < 24 * 60; m += 10) events.push(event(`wamid.base.${m}`, IN_SCOPE, now - 25 * 3600 + m * 60, 'sent'));
    for (let i = 0; i < 100; i++) {
      events.push(event(`wamid.in.${i}`, IN_SCOPE, now - 60 * (1 + (i % 4)), 'sent'));
      events.push(event(`wamid.out.${i}`, OUTSIDE, now - 60 * (1 + (i % 4)), 'failed', 131049));
    }
    await store.statuses.recordStatuses(events, NOW, 7 * 86_400_000);
  });
  afterAll(async () => {
    await store?.close();
    await db?.cleanup();
  });

  it('raises no alert on failures of a number outside the account scope', async () => {
    const judgement = await webhookJudge(store)({ ...rule, scope: rule.scope }, account, NOW, true);
    expect(judgement.ongoing).toEqual([]);
    expect(judgement.now.find((s) => s.scope.kind === 'account')?.scope.label).toBe('the configured scope');
    expect(judgement.now.some((s) => s.scope.kind === 'phone' && s.scope.key === OUTSIDE)).toBe(false);
  });

  it('alerts on them when the rule widens its scope to that number, labelled by the number and the configured scope', async () => {
    const wide = { ...rule, scope: { phoneNumbers: [IN_SCOPE, OUTSIDE] } };
    const judgement = await webhookJudge(store)(wide, account, NOW, true);
    expect(judgement.ongoing.length).toBeGreaterThan(0);
    expect(judgement.ongoing.map((a) => a.scope.label)).not.toContain('all traffic');
  });

  it('leaves them out of the backtest of the same rule, and out of the failure reasons of its report', async () => {
    const result = await runWebhookBacktest(store, {
      config,
      account,
      rule,
      range: { start: Math.floor(NOW / 1000) - 1800, end: Math.floor(NOW / 1000) + 60 },
    });
    expect(result.episodes).toEqual([]);
    const { withinScope, statusScopeOf } = await import('../../src/analytics/failures.js');
    const rows = await store.statuses.statusTotals(ACME, Math.floor(NOW / 1000) - 3600, Math.floor(NOW / 1000) + 60);
    expect(summarizeFailures(rows).failed).toBe(100);
    expect(summarizeFailures(withinScope(rows, statusScopeOf(account))).failed).toBe(0);
  });
});
