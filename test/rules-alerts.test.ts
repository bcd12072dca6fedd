import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveredAlert, RecordingDelivery } from '../src/alerts/backtest/recordingDelivery.js';
import { AlertChecker, type AlertContext } from '../src/alerts/checker.js';
import { graphAccountsFrom } from '../src/compose/graphAccount.js';
import { buildConfig } from '../src/configure.js';
import { GraphClient } from '../src/graph/client.js';
import { createLogger } from '../src/log.js';
import type { SandboxAccount } from '../src/sandbox/accountModel.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { alertRuleSource } from '../src/serve/alertRules.js';
import type { SqlStore } from '../src/store/sql.js';
import { storeBackends } from './helpers/stores.js';

const GRAPH_TOKEN = 'EAAG-chat-rules-token-7';
const D = (hhmm: string) => Date.parse(`2026-11-24T${hhmm}:00Z`);

// Both accounts' delivery drops 10:00–14:00: one is watched by a YAML rule, the other by a rule made in chat.
const account = (id: string, name: string): SandboxAccount => ({
  id,
  name,
  displayName: `${name} Co`,
  timezone: 'UTC',
  phones: [{ number: `1555000${id.slice(-4)}`, weight: 1 }],
  countries: [{ code: 'US', weight: 1, tz: 'UTC', rate: 0.98 }],
  volume: 4000,
  incidents: [{ kind: 'delivery_drop', start: D('10:00') / 1000, end: D('14:00') / 1000, factor: 0.7 }],
});
const yamlWatched = account('150000000000001', 'yamlco');
const chatWatched = account('150000000000002', 'chatco');

let sandbox: RunningSandbox;
let clock = D('09:00');
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: [yamlWatched, chatWatched], now: () => clock, token: GRAPH_TOKEN, callsPerHour: 1_000_000 });
});
afterAll(() => sandbox.close());

const backends = await storeBackends();

describe.each(backends)('rules made in chat are checked by serve on $name', (backend) => {
  const stores: SqlStore[] = [];
  const graphs: GraphClient[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const g of graphs) await g.close();
    await backend.cleanup();
  });

  const configured = () =>
    buildConfig(
      {
        accounts: [yamlWatched, chatWatched].map((a) => ({ id: a.id, name: a.name, token: '${GRAPH_TOKEN}', timezone: 'UTC' })),
        alerts: [{ name: 'yaml', account: 'yamlco', drillDown: [], targets: [{ slack: { channel: 'C0YAML' } }] }],
      },
      { GRAPH_API_URL: sandbox.url },
    );

  function replica(store: SqlStore, owner: string, delivery: RecordingDelivery, log: PassThrough) {
    const config = configured();
    const graph = new GraphClient({ ...config.graph, now: () => clock });
    graphs.push(graph);
    const ctx: AlertContext = { config, accounts: graphAccountsFrom({ GRAPH_TOKEN }), graph, now: () => clock };
    const logger = createLogger({ level: 'info', destination: log });
    return new AlertChecker({ store, ctx, owner, logger, delivery, rules: alertRuleSource(config, store, logger) });
  }

  it('posts a chat rule and a YAML rule once each from two replicas, and skips a rule that no longer validates, saying so once', async () => {
    const first = await backend.open();
    stores.push(first);
    // PostgreSQL: a second replica on its own pool; SQLite is one replica's file, shared.
    const second = backend.name === 'PostgreSQL' ? await backend.open() : first;
    if (second !== first) stores.push(second);
    const chat = { platform: 'slack' as const, conversation: 'C0CHAT' };
    const made = await first.rules.createRule(
      { owner: chat, definition: { account: 'chatco', drillDown: [], targets: [{ slack: { channel: 'C0CHAT' } }] }, by: 'U1' },
      D('09:00'),
    );
    // An account the config no longer has: skipped, not guessed at.
    await first.rules.createRule(
      { owner: chat, definition: { account: 'goneco', targets: [{ slack: { channel: 'C0CHAT' } }] }, by: 'U1' },
      D('09:00'),
    );
    const delivery = new RecordingDelivery();
    let logged = '';
    const log = new PassThrough();
    log.on('data', (c) => (logged += c));
    const a = replica(first, 'replica-a', delivery, log);
    const b = replica(second, 'replica-b', delivery, log);
    for (const hhmm of ['12:00', '12:30', '13:00']) {
      clock = D(hhmm);
      await Promise.all([a.tick(clock), b.tick(clock)]);
    }
    const posts = delivery.events.filter((e: DeliveredAlert) => e.action === 'post');
    expect(posts.map((e) => [e.target.conversation, e.alert.accountName]).sort()).toEqual([
      ['C0CHAT', 'chatco'],
      ['C0YAML', 'yamlco'],
    ]);
    const checks = await first.runs.listRuns({ job: `alert-check:chat:${made.id}` });
    expect(checks.map((r) => r.status)).toEqual(['posted', 'posted', 'posted']);
    // Deleted in chat: the next tick (re-reading the store) no longer checks it; the YAML rule goes on.
    await first.rules.deleteRule(made.id, 1, 'U1', D('13:10'));
    clock = D('13:30');
    await Promise.all([a.tick(clock), b.tick(clock)]);
    expect(await first.runs.listRuns({ job: `alert-check:chat:${made.id}` })).toHaveLength(3);
    expect(await first.runs.listRuns({ job: 'alert-check:yamlco:yaml' })).toHaveLength(4);
    const skipped = logged.split('\n').filter((l) => l.includes('chat-made alert rule skipped'));
    // Said once per replica (each keeps its own memory of what it said), not once a tick.
    expect(skipped).toHaveLength(2);
    expect(skipped[0]).toContain('unknown account \\"goneco\\"');
  }, 60_000);
});
