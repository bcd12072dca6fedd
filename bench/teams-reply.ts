/**
 * Teams: reply latency (p50/p99 over 200 activities posted to /api/messages, from the POST to
 * the card arriving at the connector) and proactive fan-out time to 500 conversations against
 * a fake Bot Connector that answers in 50 ms.
 * Run: npm run bench:teams
 */

import { PROACTIVE_CONCURRENCY } from '../src/chat/teams/outbound.js';
import { buildConfig } from '../src/configure.js';
import { silentLogger } from '../src/log.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { startService } from '../src/serve/service.js';
import { startFakeConnector } from '../test/fakes/connector.js';
import { forkSandbox } from './sandboxProcess.js';
import { percentile } from './stats.js';

const ACTIVITIES = 200;
const CONVERSATIONS = 500;
const CONNECTOR_LATENCY_MS = 50;

async function main(): Promise<void> {
  const now = Date.now();
  const sandbox = await forkSandbox({ extraAccounts: 0, latencyMs: 100, now });
  const connector = await startFakeConnector({ latencyMs: CONNECTOR_LATENCY_MS });
  const accounts = sampleAccounts(now);
  const config = buildConfig(
    {
      accounts: accounts.map((a) => ({ id: a.id, name: a.name, displayName: a.displayName, token: '${T}', timezone: a.timezone })),
      access: [{ teams: {}, accounts: '*' }],
      teams: { allowUnauthenticated: true, serviceUrls: [connector.url] },
    },
    { DATABASE_URL: 'sqlite::memory:', GRAPH_API_URL: sandbox.url },
  );
  const service = await startService({
    config,
    env: { T: 'sandbox-token' },
    logger: silentLogger,
    port: 0,
    host: '127.0.0.1',
    now: Date.now,
  });
  let n = 0;
  const activity = (conversation: string, text: string) => ({
    type: 'message',
    id: `a${++n}`,
    timestamp: new Date().toISOString(),
    serviceUrl: connector.url,
    channelId: 'msteams',
    from: { id: '29:bench', name: 'Bench', aadObjectId: 'aad-bench' },
    conversation: { id: conversation, conversationType: 'personal', tenantId: 't' },
    recipient: { id: '28:bot', name: 'waba-pulse' },
    text,
    channelData: { tenant: { id: 't' } },
  });
  const post = (body: unknown) =>
    fetch(`${service.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.text());
  const cardFor = (conversation: string, after: number) =>
    connector.waitFor(() => connector.calls.slice(after).find((c) => c.conversation === conversation && c.activity.attachments), 60_000);

  for (let i = 0; i < 10; i++) await post(activity('a:warmup', 'help'));
  const replies: number[] = [];
  for (let i = 0; i < ACTIVITIES; i++) {
    const before = connector.calls.length;
    const started = performance.now();
    await post(activity('a:bench', 'help'));
    await cardFor('a:bench', before);
    replies.push(performance.now() - started);
  }
  const reports: number[] = [];
  for (let i = 0; i < 10; i++) {
    const before = connector.calls.length;
    const started = performance.now();
    await post(activity('a:bench', `report ${accounts[i % accounts.length]!.name} yesterday by phone`));
    await cardFor('a:bench', before);
    reports.push(performance.now() - started);
  }

  // Fan-out: 500 stored conversations, one proactive card each.
  for (let i = 0; i < CONVERSATIONS; i++) {
    await service.store.conversations.saveConversation({
      conversation: `19:c${i}@thread.tacv2`,
      reference: {
        serviceUrl: connector.url,
        channelId: 'msteams',
        conversation: { id: `19:c${i}@thread.tacv2` },
        bot: { id: '28:bot', name: 'waba-pulse' },
      },
      tenant: 't',
      updatedAt: now,
    });
  }
  const alert = {
    key: 'benchmark-key-001',
    shortId: 'A-BNCH',
    accountId: accounts[0]!.id,
    accountName: accounts[0]!.displayName,
    timezone: 'UTC',
    anomalies: [{ severity: 'warning' as const, explanation: 'Benchmark alert.' }],
  };
  const started = performance.now();
  const ids = await Promise.all(
    Array.from({ length: CONVERSATIONS }, (_, i) => service.surfaces.teams!.postAlert(`19:c${i}@thread.tacv2`, alert)),
  );
  const fanout = performance.now() - started;

  console.log(
    `waba-pulse Teams bench (node ${process.version}; fake Bot Connector answering in ${CONNECTOR_LATENCY_MS} ms, sandbox Graph 100 ms)`,
  );
  console.log(
    `reply to "help", ${ACTIVITIES} activities:              p50 ${percentile(replies, 50).toFixed(0)} ms, p99 ${percentile(replies, 99).toFixed(0)} ms (two connector calls: typing, card)`,
  );
  console.log(
    `reply to "report … by phone", 10 activities:     p50 ${percentile(reports, 50).toFixed(0)} ms, p99 ${percentile(reports, 99).toFixed(0)} ms`,
  );
  const ideal = (CONVERSATIONS / PROACTIVE_CONCURRENCY) * CONNECTOR_LATENCY_MS;
  console.log(
    `proactive fan-out to ${CONVERSATIONS} conversations: ${fanout.toFixed(0)} ms (${ids.filter((o) => o.delivered).length} delivered; ${PROACTIVE_CONCURRENCY} at a time, ideal ${ideal.toFixed(0)} ms, ratio ${(fanout / ideal).toFixed(2)})`,
  );
  await service.close();
  await connector.close();
  await sandbox.close();
}

await main();
