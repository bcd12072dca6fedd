import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { signBody, statusNotification } from '../../src/sandbox/statusWebhooks.js';
import { openStore, type SqlStore } from '../../src/store/sql.js';
import { startFakeSlack } from '../fakes/slack.js';
import { type CliProcess, spawnCli } from '../helpers/cliProcess.js';
import { freshPostgresSchema, storeBackends } from '../helpers/stores.js';
import { freePort, startWebhookStream } from '../helpers/webhookStream.js';

/**
 * `serve` as a process on a real PostgreSQL, started while senders are already knocking: a
 * restart (SIGTERM, then start again on the same port) under a steady stream of signed status
 * notifications, from a sender that takes any 4xx as final — as the README's forwarder, which
 * passes on only 503, makes Meta do. While the new process starts, every route answers 503 with
 * Retry-After, never Express's 404, and no status is lost. With Slack's API not answering at
 * start, status webhooks are counted all the same and /healthz says Slack is what is not up.
 */
const hasPostgres = (await storeBackends()).some((b) => b.name === 'PostgreSQL');
const APP_SECRET = 'restart-fault-secret-61c9-4b7d2e0a1c';
const NOW = Date.UTC(2026, 10, 25, 6, 0);
const ACME = '104729384756102';
const minute = Math.floor(NOW / 60_000) * 60 - 300;

let slack: Awaited<ReturnType<typeof startFakeSlack>>;
let db: Awaited<ReturnType<typeof freshPostgresSchema>>;
let store: SqlStore;
beforeAll(async () => {
  if (!hasPostgres) return;
  slack = await startFakeSlack();
  db = await freshPostgresSchema();
  store = await openStore(db.url, { logger: silentLogger });
});
afterAll(async () => {
  await store?.close();
  await db?.cleanup();
  await slack?.close();
});

function serveEnv(port: number): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-restart-'));
  const config = join(dir, 'waba-pulse.yaml');
  writeFileSync(config, `accounts:\n  - id: "${ACME}"\n    name: acme-retail\n    token: \${GRAPH_TOKEN}\n`);
  return {
    WABA_PULSE_CONFIG: config,
    WABA_PULSE_CLOCK: new Date(NOW).toISOString(),
    DATABASE_URL: db.url,
    PORT: String(port),
    GRAPH_API_URL: 'http://127.0.0.1:9',
    GRAPH_TOKEN: 'x',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'v',
    SLACK_BOT_TOKEN: 'xoxb-restart-bot-token',
    SLACK_SIGNING_SECRET: 'restart-signing-secret',
    SLACK_API_URL: slack.apiUrl,
    LOG_LEVEL: 'warn',
  };
}

const counted = async () =>
  (await store.statuses.statusCounts(ACME, minute - 60, minute + 120)).filter((r) => r.status === 'sent').reduce((n, r) => n + r.count, 0);

/** Poll `probe` until it finds something (a server that answers asynchronously, a process starting). */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(serve: CliProcess): Promise<number | null> {
  if (serve.alive()) serve.child.kill('SIGTERM');
  return (await serve.exited).code;
}

describe.skipIf(!hasPostgres)('serve restarted under a steady stream of status webhooks (PostgreSQL)', () => {
  it('answers 503 with Retry-After while starting, never 404, and loses no status', async () => {
    const port = await freePort();
    const env = serveEnv(port);
    let serve = spawnCli(['serve'], env);
    await serve.waitForOut(/serving on port \d+/);
    const before = await counted();
    const N = 1_200;
    const stream = startWebhookStream({
      url: () => `http://127.0.0.1:${port}/whatsapp/webhook`,
      accountId: ACME,
      appSecret: APP_SECRET,
      notifications: N,
      timestamp: minute + 10,
      tag: 'restart',
    });
    try {
      await stream.reached(N / 3);
      expect(await stop(serve)).toBe(0);
      // Started again at once on the same port, as an orchestrator does; the senders never paused.
      serve = spawnCli(['serve'], env);
      const tally = await stream.done;
      await serve.waitForOut(/serving on port \d+/);
      console.log(
        `restart under a steady stream: ${N} notifications, answers ${JSON.stringify(tally.answers)} (${tally.withRetryAfter} 503s with Retry-After), ${tally.noConnection} attempts found no server, ${tally.lost} statuses lost`,
      );
      expect(tally.answers[404] ?? 0).toBe(0);
      expect(tally.lost).toBe(0);
      expect(tally.delivered).toBe(N);
      expect(tally.withRetryAfter).toBe(tally.answers[503] ?? 0);
      expect((await counted()) - before).toBe(N);
    } finally {
      await stop(serve);
    }
  }, 120_000);

  it("takes status webhooks while Slack's API does not answer at start, and /healthz says what is not up", async () => {
    slack.hold('auth.test');
    const port = await freePort();
    const env = serveEnv(port);
    const serve = spawnCli(['serve'], env);
    const base = `http://127.0.0.1:${port}`;
    try {
      await slack.waitFor(() => slack.calls.find((c) => c.method === 'auth.test'));
      const health = async () => {
        const res = await fetch(`${base}/healthz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      // The store opens while Slack still says nothing.
      const starting = await until(async () => {
        const h = await health();
        return h.body.whatsapp === 'on' ? h : undefined;
      }, 'status webhooks on while Slack starts');
      expect(starting).toEqual({
        status: 503,
        body: { status: 'starting', store: 'ok', scheduler: 'off', slack: 'starting', teams: 'off', whatsapp: 'on' },
      });
      const body = JSON.stringify(
        statusNotification(ACME, '16315551000', [
          { id: 'wamid.slackdown.1', status: 'sent', timestamp: minute + 20, recipient: '919812345678', category: 'utility' },
          { id: 'wamid.slackdown.2', status: 'sent', timestamp: minute + 20, recipient: '919812345678', category: 'utility' },
        ]),
      );
      const before = await counted();
      const webhook = await fetch(`${base}/whatsapp/webhook`, {
        method: 'POST',
        headers: { 'x-hub-signature-256': signBody(body, APP_SECRET) },
        body,
      });
      expect(webhook.status).toBe(200);
      expect((await counted()) - before).toBe(2);
      const events = await fetch(`${base}/slack/events`, { method: 'POST', body: 'token=x' });
      expect(events.status).toBe(503);
      expect(events.headers.get('retry-after')).toBe('5');
      expect(await events.json()).toEqual({ error: 'starting' });

      // Slack answers at last: ready.
      slack.release('auth.test');
      await serve.waitForOut(/serving on port \d+/);
      const ready = await health();
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', slack: 'http', whatsapp: 'on' });
    } finally {
      slack.release('auth.test');
      expect(await stop(serve)).toBe(0);
    }
  }, 60_000);

  it('stops at once when asked to while Slack has not answered yet', async () => {
    slack.hold('auth.test');
    const before = slack.calls.filter((c) => c.method === 'auth.test').length;
    const serve = spawnCli(['serve'], serveEnv(await freePort()));
    try {
      await slack.waitFor(() => (slack.calls.filter((c) => c.method === 'auth.test').length > before ? true : undefined));
      const asked = Date.now();
      serve.child.kill('SIGTERM');
      const exit = await serve.exited;
      expect(exit.code).toBe(0);
      // Not the 30 s grace: what had started is stopped, the Slack client's pending call left behind.
      expect(exit.at - asked).toBeLessThan(15_000);
    } finally {
      slack.release('auth.test');
      await stop(serve);
    }
  }, 30_000);
});
