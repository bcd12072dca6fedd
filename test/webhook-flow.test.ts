import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { spawnCli } from './helpers/cliProcess.js';
import { capturedOutput } from './helpers/output.js';

/**
 * The README's "Try it with the sandbox", as a user runs it: `serve` with status webhooks on (its
 * SQLite store under ./data), `sandbox --webhook-url` sending a backfill of signed statuses to it,
 * then `report` in the same folder saying why messages failed — three real processes' worth.
 */
const SECRET = 'flow-app-secret-3e9-0b7c4d1e5f2a6';

describe('status webhooks from the sandbox to serve to a report', () => {
  it('counts what the sandbox sends and the report shows why messages failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-flow-'));
    writeFileSync(
      join(dir, 'waba-pulse.yaml'),
      `accounts:
  - id: "104729384756102"
    name: acme-retail
    displayName: Acme Retail
    token: \${ACME_TOKEN}
    timezone: Asia/Kolkata
`,
    );
    const env = {
      ACME_TOKEN: 'sandbox-token',
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: 'flow-verify',
      PORT: '0',
      LOG_LEVEL: 'warn',
    };
    const serve = spawnCli(['serve'], env, dir);
    const sandbox = spawnCli(['sandbox', '--port', '0'], {}, dir);
    try {
      const [, port, webhooks] = await serve.waitForOut(
        /serving on port (\d+) \(.*WhatsApp status webhooks: (on at \/whatsapp\/webhook)\)/,
      );
      expect(webhooks).toBe('on at /whatsapp/webhook');
      const graph = (await sandbox.waitForOut(/Graph-compatible API at (http:\/\/\S+)/))[1]!;
      // The sender: a second sandbox process, as the README runs it, the secret from the environment.
      const sender = spawnCli(
        ['sandbox', '--port', '0', '--webhook-url', `http://127.0.0.1:${port}/whatsapp/webhook`, '--webhook-backfill', '3h'],
        { WHATSAPP_APP_SECRET: SECRET },
        dir,
      );
      try {
        const sent = await sender.waitForOut(/sent the last 3h: ([\d,]+) statuses \(([\d,]+) failed\)/, 60_000);
        expect(Number(sent[1]!.replace(/,/g, ''))).toBeGreaterThan(0);
      } finally {
        sender.child.kill('SIGTERM');
        await sender.exited;
      }
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/waba_pulse_webhook_requests_total\{outcome="accepted"\} [1-9]/);

      const { stdout, stderr, out, err } = capturedOutput();
      const code = await runCli(['report', '--account', 'acme-retail', '--last', '24h'], {
        stdout,
        stderr,
        env: { ACME_TOKEN: 'sandbox-token', GRAPH_API_URL: graph, WABA_PULSE_CONFIG: join(dir, 'waba-pulse.yaml') },
        cwd: dir,
        now: Date.now,
      });
      expect(err()).toBe('');
      expect(code).toBe(0);
      expect(out()).toMatch(/Why messages failed \(status webhooks(, only since [^)]+)?\): [\d,]+ failed/);
      for (const p of [serve, sender, sandbox]) expect(p.out() + p.err()).not.toContain(SECRET);
    } finally {
      for (const p of [serve, sandbox]) p.child.kill('SIGTERM');
      await Promise.all([serve.exited, sandbox.exited]);
    }
  }, 120_000);
});
