import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGraph } from '../fakes/graph.js';
import { startFakeSlack } from '../fakes/slack.js';
import { spawnCli } from '../helpers/cliProcess.js';

/**
 * Real processes and real signals: a command stops promptly when asked (a second signal at
 * once), `serve` that cannot take its port exits instead of lingering, and `serve` drains on
 * SIGTERM. Nothing may leave a process that only SIGKILL ends.
 */
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-signals-'));
const config = join(dir, 'waba-pulse.yaml');
writeFileSync(config, 'accounts:\n  - id: "104729384756102"\n    name: acme-retail\n    token: ${ACME_TOKEN}\n');
const TOKEN = 'EAAG-signal-token-3377';

let slack: Awaited<ReturnType<typeof startFakeSlack>>;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(() => slack.close());

const serveEnv = (extra: NodeJS.ProcessEnv = {}) => ({
  WABA_PULSE_CONFIG: config,
  ACME_TOKEN: TOKEN,
  DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'waba-pulse-db-')), 'store.db')}`,
  SLACK_BOT_TOKEN: 'xoxb-signal-bot-token',
  SLACK_SIGNING_SECRET: 'signal-signing-secret',
  SLACK_API_URL: slack.apiUrl,
  LOG_LEVEL: 'silent',
  ...extra,
});

describe('serve', () => {
  let blocker: Server;
  let busyPort: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    busyPort = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('exits 1 by itself when its port is in use, having started nothing', async () => {
    const serve = spawnCli(['serve'], serveEnv({ PORT: String(busyPort) }));
    const exit = await serve.exited;
    expect(exit.code).toBe(1);
    expect(serve.err()).toBe(`waba-pulse: port ${busyPort} is in use. Set PORT to a free port, or stop what is listening on it.\n`);
    // It ended by itself, without a signal (how fast is for bench/cli-startup.ts, not a test).
    expect(exit.signal).toBeNull();
    // Nothing else was started: no Slack auth, no store, no scheduler.
    expect(slack.calls.filter((c) => c.method === 'auth.test')).toHaveLength(0);
  }, 20_000);

  it('drains on SIGTERM and exits 0; a second signal stops it at once', async () => {
    const serve = spawnCli(['serve'], serveEnv({ PORT: '0' }));
    await serve.waitForOut(/serving on port \d+/);
    serve.child.kill('SIGTERM');
    const exit = await serve.exited;
    expect(exit.code).toBe(0);

    const again = spawnCli(['serve'], serveEnv({ PORT: '0' }));
    await again.waitForOut(/serving on port \d+/);
    again.child.kill('SIGINT');
    again.child.kill('SIGINT');
    const second = await again.exited;
    expect([0, 130]).toContain(second.code);
  }, 30_000);
});

describe('report', () => {
  it('stops at Ctrl-C while Graph never answers, instead of waiting out timeouts and retries', async () => {
    const graph = await startFakeGraph(() => new Promise(() => {})); // never answers
    try {
      const report = spawnCli(['report', '--account', 'acme-retail', '--last', '7d'], {
        WABA_PULSE_CONFIG: config,
        ACME_TOKEN: TOKEN,
        GRAPH_API_URL: graph.url,
      });
      await new Promise((r) => setTimeout(r, 200));
      while (graph.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
      const sent = Date.now();
      report.child.kill('SIGINT');
      const exit = await report.exited;
      // Far sooner than Graph's 20 s timeout and its retries would end it (not a speed figure).
      expect(exit.at - sent).toBeLessThan(10_000);
      expect(exit.code).toBe(130);
      expect(report.err()).toBe('waba-pulse: interrupted (SIGINT).\n');
    } finally {
      await graph.close();
    }
  }, 20_000);

  it('refuses a config path that is a FIFO instead of blocking on it', async () => {
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const check = spawnCli(['check', '--config', fifo], { ACME_TOKEN: TOKEN });
    const exit = await check.exited;
    expect(exit.code).toBe(2);
    expect(check.err()).toBe(`waba-pulse: config ${fifo} is not a regular file. Point WABA_PULSE_CONFIG / --config at a YAML file.\n`);
  }, 20_000);
});
