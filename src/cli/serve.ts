import { loadConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { startService } from '../serve/service.js';
import { WEBHOOK_PATH } from '../whatsapp/settings.js';
import { type CliIo, untilAborted } from './io.js';

export async function runServe(io: CliIo, configPath: string | undefined, logger: Logger): Promise<number> {
  const config = loadConfig(io.env, configPath);
  const service = await startService({ config, env: io.env, logger, now: io.now });
  io.stdout.write(
    `waba-pulse serving on port ${service.port} (Slack: ${service.slack?.mode ?? 'off'}, Teams: ${service.teams?.mode ?? 'off'}, WhatsApp status webhooks: ${service.ingest ? `on at ${WEBHOOK_PATH}` : 'off'}); health at /healthz\n`,
  );
  await untilAborted(io.signal);
  await service.close();
  return 0;
}
