import { format } from 'node:util';
import type { Config } from '../config/load.js';
import { loadConfig } from '../configure.js';
import { InterruptedError } from '../errors.js';
import type { Logger } from '../log.js';
import { type RunningService, startService } from '../serve/service.js';
import { WEBHOOK_PATH } from '../whatsapp/settings.js';
import { type CliIo, untilAborted } from './io.js';

/**
 * What libraries print to the console (botbuilder prints its authentication errors there) goes
 * through the logger instead, as `serve`'s other lines do: one JSON line, clipped, secrets
 * scrubbed. Returns how to put the console back.
 */
function consoleThroughLogger(logger: Logger): () => void {
  const saved = { error: console.error, warn: console.warn };
  const route =
    (level: 'error' | 'warn') =>
    (...args: unknown[]) =>
      logger[level]({ printed: format(...args).slice(0, 1_000) }, 'a library printed to the console');
  console.error = route('error');
  console.warn = route('warn');
  return () => Object.assign(console, saved);
}

export async function runServe(io: CliIo, configPath: string | undefined, logger: Logger): Promise<number> {
  const config = loadConfig(io.env, configPath);
  const restoreConsole = consoleThroughLogger(logger);
  try {
    return await serve(io, config, logger);
  } finally {
    restoreConsole();
  }
}

async function serve(io: CliIo, config: Config, logger: Logger): Promise<number> {
  let service: RunningService;
  try {
    service = await startService({ config, env: io.env, logger, now: io.now, signal: io.signal });
  } catch (err) {
    // Stopped while starting: what had started is stopped, as a stop after start-up would.
    if (err instanceof InterruptedError && io.signal?.aborted) return 0;
    throw err;
  }
  const where = service.host === '0.0.0.0' ? `port ${service.port}` : `port ${service.port} of ${service.host} only`;
  io.stdout.write(
    `waba-pulse serving on ${where} (${config.platforms.map((p) => `${p.label}: ${service.surfaces[p.key]?.mode ?? 'off'}`).join(', ')}, WhatsApp status webhooks: ${service.ingest ? `on at ${WEBHOOK_PATH}` : 'off'}); health at /healthz\n`,
  );
  await untilAborted(io.signal);
  await service.close();
  return 0;
}
