import { mkdtempSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/configure.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { startService } from '../../src/serve/service.js';
import { startFakeConnector } from '../fakes/connector.js';
import { type CliProcess, spawnCli } from '../helpers/cliProcess.js';

/**
 * The Teams endpoint of a real `serve` process, fed what Bot Framework would never send and
 * failing where Bot Framework can fail: conversation ids with control characters or of any size
 * are refused before the SDK or the store sees them; a connector that refuses a reply with a 100 KB
 * body costs a log line, not a raw dump on stderr past the logger's secret scrubbing, and no
 * request is answered with the SDK's raw error message. And `teams.allowUnauthenticated`, which
 * lets anyone who reaches the port act as any conversation, is served on loopback only.
 */
const NOW = Date.UTC(2026, 10, 25, 10, 15);
// Registered as a secret at start-up (as every WHATSAPP_APP_SECRET is): it must never reach stderr as is.
const APP_SECRET = 'teams-fault-app-secret-8d41c2-0f93ae';

let connector: Awaited<ReturnType<typeof startFakeConnector>>;
let serve: CliProcess;
let base: string;

beforeAll(async () => {
  connector = await startFakeConnector();
  const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-teams-input-'));
  writeFileSync(
    join(dir, 'waba-pulse.yaml'),
    `accounts:\n  - id: "104729384756102"\n    name: acme-retail\n    token: \${GRAPH_TOKEN}\naccess:\n  - teams: {}\n    accounts: "*"\nteams:\n  allowUnauthenticated: true\n  serviceUrls: ["${connector.url}"]\n`,
  );
  serve = spawnCli(['serve'], {
    WABA_PULSE_CONFIG: join(dir, 'waba-pulse.yaml'),
    WABA_PULSE_CLOCK: new Date(NOW).toISOString(),
    DATABASE_URL: `sqlite:${join(dir, 'store.db')}`,
    PORT: '0',
    GRAPH_API_URL: 'http://127.0.0.1:9',
    GRAPH_TOKEN: 'x',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'v',
    LOG_LEVEL: 'info',
  });
  base = `http://127.0.0.1:${(await serve.waitForOut(/serving on port (\d+)/))[1]}`;
}, 30_000);
afterAll(async () => {
  if (serve?.alive()) serve.child.kill('SIGTERM');
  await serve?.exited;
  await connector?.close();
});

let n = 0;
function activity(conversation: string, text: string) {
  return {
    type: 'message',
    id: `in-${++n}`,
    timestamp: new Date(NOW).toISOString(),
    serviceUrl: connector.url,
    channelId: 'msteams',
    from: { id: '29:mallory', name: 'Mallory' },
    conversation: { id: conversation, conversationType: 'personal', tenantId: 'tenant-1' },
    recipient: { id: '28:waba-pulse', name: 'waba-pulse' },
    text,
  };
}
async function send(body: unknown) {
  const res = await fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe('the Teams endpoint of a serve process', () => {
  it('refuses conversation ids with control characters or over 512 characters, before the SDK or the store', async () => {
    const before = connector.calls.length;
    for (const id of ['a:alice\r\nx-injected: yes', 'a:tab\there', `a:${'x'.repeat(5_000)}`]) {
      expect(await send(activity(id, 'help'))).toEqual({ status: 400, text: '{"error":"conversation id not acceptable"}' });
    }
    // A sane one still works: the bot answers.
    expect((await send(activity('a:alice', 'help'))).status).toBe(200);
    await connector.waitFor(() => connector.calls.slice(before).find((c) => c.conversation === 'a:alice'));
    expect(connector.calls.slice(before).every((c) => c.conversation === 'a:alice')).toBe(true);
    expect(serve.err()).toMatch(/teams request refused: conversation id with control characters/);
    expect(serve.err()).toMatch(/teams request refused: conversation id with over 512 characters/);
  });

  it("logs a connector's refusal (a 100 KB body) in one scrubbed line, never a raw dump, and answers in a word", async () => {
    const dump = `{"error":{"code":"ServiceError","message":"upstream said ${APP_SECRET}"},"trace":"${'z'.repeat(100_000)}"}`;
    connector.failWith('a:broken', 400, dump);
    const before = connector.calls.length;
    const answer = await send(activity('a:broken', 'help'));
    // The bot's reply failed, not the request: it is acknowledged, and the failure logged.
    expect(answer).toEqual({ status: 200, text: '' });
    await connector.waitFor(() =>
      connector.calls.slice(before).filter((c) => c.conversation === 'a:broken').length >= 2 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 300));
    const lines = serve.err().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line), line.slice(0, 200)).not.toThrow();
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(4_000);
    expect(serve.err()).not.toContain(APP_SECRET);
    expect(serve.err()).toMatch(/teams turn failed/);
    expect(serve.err()).toMatch(/teams error reply not sent/);
  });

  it('listens on loopback only with teams.allowUnauthenticated', async () => {
    expect(serve.out()).toMatch(/serving on port \d+ of 127\.0\.0\.1 only/);
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (outside) {
      const port = new URL(base).port;
      await expect(fetch(`http://${outside}:${port}/healthz`)).rejects.toThrow();
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('teams.allowUnauthenticated', () => {
  it('is refused on an address other machines reach, naming the key and what to do', async () => {
    const config = buildConfig(
      { accounts: [{ id: '104729384756102', name: 'acme-retail', token: '${T}' }], teams: { allowUnauthenticated: true } },
      { DATABASE_URL: 'sqlite::memory:' },
    );
    const err = await startService({ config, env: { T: 'x' }, logger: silentLogger, now: () => NOW, port: 0, host: '0.0.0.0' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      'teams.allowUnauthenticated: accepts requests nobody authenticated, but serve would listen on 0.0.0.0',
    );
    expect((err as ConfigError).hint).toBe(
      'set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD, or listen on a loopback address (127.0.0.1) only',
    );
  });
});
