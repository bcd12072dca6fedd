import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  SANDBOX_EXPIRED_TOKEN,
  SANDBOX_NO_PERMISSION_TOKEN,
  SANDBOX_TOKEN,
  sampleAccounts,
  syntheticAccounts,
} from '../sandbox/accounts.js';
import { SANDBOX_TOKEN_ENV } from '../sandbox/config.js';
import { type RunningSandbox, startSandbox } from '../sandbox/server.js';
import { quoted } from '../text.js';
import { type CliIo, untilAborted } from './io.js';

function integer(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} ${quoted(value)} is not a whole number from ${min} to ${max}`, `e.g. ${flag} ${fallback || min}`);
  return n;
}

export async function runSandbox(
  opts: { port?: string; host?: string; latency?: string; extraAccounts?: string },
  io: CliIo,
  logger: Logger,
): Promise<number> {
  const port = integer(opts.port, '--port', 0, 65535, 8787);
  const latencyMs = integer(opts.latency, '--latency', 0, 60_000, 0);
  const extra = integer(opts.extraAccounts, '--extra-accounts', 0, 10_000, 0);
  const now = io.now ?? Date.now;
  const accounts = [...sampleAccounts(now()), ...syntheticAccounts(extra)];
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox({ accounts, port, host: opts.host ?? '127.0.0.1', latencyMs, now, logger });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${port} is already in use`, 'pick another port, or --port 0 for any free one');
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
  await untilAborted(io.signal);
  await sandbox.close();
  return 0;
}
