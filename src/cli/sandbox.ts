import { DAY, MINUTE, parseDuration } from '../duration.js';
import { PortInUseError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatCount } from '../report/format.js';
import {
  SANDBOX_EXPIRED_TOKEN,
  SANDBOX_NO_PERMISSION_TOKEN,
  SANDBOX_TOKEN,
  sampleAccounts,
  syntheticAccounts,
} from '../sandbox/accounts.js';
import { SANDBOX_TOKEN_ENV } from '../sandbox/config.js';
import { type RunningSandbox, startSandbox } from '../sandbox/server.js';
import { type EmitSummary, StatusWebhookEmitter } from '../sandbox/statusWebhooks.js';
import { quoted } from '../text.js';
import { type CliIo, untilAborted } from './io.js';

function integer(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} ${quoted(value)} is not a whole number from ${min} to ${max}`, `e.g. ${flag} ${fallback || min}`);
  return n;
}

export interface SandboxOptions {
  port?: string;
  host?: string;
  latency?: string;
  extraAccounts?: string;
  webhookUrl?: string;
  webhookBackfill?: string;
  failureBurst?: string;
}

/** `--failure-burst 15m`: a quarter of Acme Retail's marketing held back (131049) from this minute on. */
function failureBurst(opts: SandboxOptions): number | undefined {
  if (opts.failureBurst === undefined) return undefined;
  const parsed = parseDuration(opts.failureBurst, { min: MINUTE, max: 6 * 3_600_000 });
  if (!parsed.ok) throw new UsageError(`--failure-burst ${parsed.message}`, 'e.g. --failure-burst 15m');
  return parsed.ms;
}

/** Where the signed status webhooks go, with the app secret from the environment (never argv: `ps` shows argv). */
function webhookTarget(opts: SandboxOptions, env: NodeJS.ProcessEnv): { url: string; secret: string; backfillMs: number } | undefined {
  if (opts.webhookUrl === undefined) {
    if (opts.webhookBackfill !== undefined)
      throw new UsageError(
        '--webhook-backfill needs --webhook-url',
        'e.g. --webhook-url http://127.0.0.1:3000/whatsapp/webhook --webhook-backfill 2d',
      );
    return undefined;
  }
  const url = URL.canParse(opts.webhookUrl) ? new URL(opts.webhookUrl) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new UsageError(
      `--webhook-url ${quoted(opts.webhookUrl)} is not an http(s) URL`,
      'e.g. --webhook-url http://127.0.0.1:3000/whatsapp/webhook',
    );
  const secret = env.WHATSAPP_APP_SECRET?.trim();
  if (!secret)
    throw new UsageError(
      '--webhook-url needs WHATSAPP_APP_SECRET set',
      'set it to the app secret the receiving waba-pulse serve verifies signatures with',
    );
  let backfillMs = 0;
  if (opts.webhookBackfill !== undefined) {
    const parsed = parseDuration(opts.webhookBackfill, { min: MINUTE, max: 7 * DAY });
    if (!parsed.ok) throw new UsageError(`--webhook-backfill ${parsed.message}`, 'e.g. --webhook-backfill 2d');
    backfillMs = parsed.ms;
  }
  return { url: url.toString(), secret, backfillMs };
}

/** Statuses per notification in a backfill (live minutes send Meta's one or few), and how often it says how far it is. */
const BACKFILL_BATCH = 100;
const PROGRESS_EVERY_MS = 5_000;

function describeEmitted(summary: EmitSummary): string {
  const failed = summary.byStatus.failed ?? 0;
  return `${formatCount(summary.statuses)} statuses (${formatCount(failed)} failed) in ${formatCount(summary.notifications)} notifications${summary.retries ? `, ${formatCount(summary.retries)} retries` : ''}`;
}

export async function runSandbox(opts: SandboxOptions, io: CliIo, logger: Logger): Promise<number> {
  const port = integer(opts.port, '--port', 0, 65535, 8787);
  const latencyMs = integer(opts.latency, '--latency', 0, 60_000, 0);
  const extra = integer(opts.extraAccounts, '--extra-accounts', 0, 10_000, 0);
  const webhooks = webhookTarget(opts, io.env);
  const burstMs = failureBurst(opts);
  const now = io.now;
  const accounts = [...sampleAccounts(now()), ...syntheticAccounts(extra)];
  if (burstMs) {
    const start = Math.floor(now() / MINUTE) * 60;
    accounts[0]!.incidents.push({
      kind: 'failure_burst',
      code: 131049,
      category: 'marketing',
      start,
      end: start + burstMs / 1000,
      factor: 0.25,
    });
  }
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox({ accounts, port, host: opts.host ?? '127.0.0.1', latencyMs, now, logger });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The same answer as serve's (exit 1): the flag was fine, the machine's port was not.
    if (code === 'EADDRINUSE') throw new PortInUseError(port, '--port');
    throw err;
  }
  io.stdout.write(
    [
      `waba-pulse sandbox: Graph-compatible API at ${sandbox.url}`,
      `accounts: ${accounts
        .slice(0, 3)
        .map((a) => `${a.name} (${a.id})`)
        .join(', ')}${extra ? ` and ${extra} more` : ''}`,
      `token: "${SANDBOX_TOKEN}" (synthetic data only); "${SANDBOX_EXPIRED_TOKEN}" and "${SANDBOX_NO_PERMISSION_TOKEN}" answer with Graph's errors`,
      '',
      'Try it:',
      `  export GRAPH_API_URL=${sandbox.url} ${SANDBOX_TOKEN_ENV}=${SANDBOX_TOKEN}`,
      '  waba-pulse report --config waba-pulse.example.yaml --account acme-retail --last 7d --by country',
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  let emitter: StatusWebhookEmitter | undefined;
  if (webhooks) {
    emitter = new StatusWebhookEmitter({ accounts, url: webhooks.url, appSecret: webhooks.secret, log: logger });
    const running = emitter;
    // Ctrl-C during a backfill to a receiver that is not up stops the retries at once.
    io.signal?.addEventListener('abort', () => void running.stop(), { once: true });
    io.stdout.write(`status webhooks: signed, to ${webhooks.url}, every minute for the minute before\n`);
    if (burstMs)
      io.stdout.write(
        `failure burst: a quarter of ${accounts[0]!.displayName}'s marketing messages held back (131049) for the next ${opts.failureBurst!.trim()}\n`,
      );
    if (webhooks.backfillMs) {
      const end = Math.floor(now() / MINUTE) * 60;
      const span = opts.webhookBackfill!.trim();
      io.stdout.write(`status webhooks: sending the last ${span} first, ${BACKFILL_BATCH} statuses a notification\n`);
      // Progress every few seconds: two days are a few hundred thousand statuses.
      let saidAt = performance.now();
      const summary = await emitter.emit(end - webhooks.backfillMs / 1000, end, {
        batch: BACKFILL_BATCH,
        onProgress: (sent, total) => {
          if (performance.now() - saidAt < PROGRESS_EVERY_MS) return;
          saidAt = performance.now();
          io.stdout.write(`status webhooks: ${formatCount(sent)} of ${formatCount(total)} statuses of the last ${span} sent\n`);
        },
      });
      io.stdout.write(`status webhooks: sent the last ${span}: ${describeEmitted(summary)}\n`);
    }
    emitter.start(now, (summary, minuteEnd) => {
      const at = new Date(minuteEnd * 1000).toISOString().slice(11, 16);
      io.stdout.write(`status webhooks: ${at} UTC: ${describeEmitted(summary)}\n`);
    });
  }
  await untilAborted(io.signal);
  await emitter?.stop();
  await sandbox.close();
  return 0;
}
