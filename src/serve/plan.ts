import type { AnyChatPlatform } from '../chat/platform.js';
import { CHAT_PLATFORMS } from '../chatPlatforms.js';
import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Platform } from '../store/types.js';
import { type WebhookSettings, webhookSettings } from '../whatsapp/settings.js';

/** What `serve` would run with this config and environment, and every reason it would refuse to. */
export interface ServePlan {
  platforms: Array<{ platform: AnyChatPlatform; settings: object }>;
  webhooks: WebhookSettings | undefined;
  /** Each a reason serve refuses to start: a platform set up half way, webhooks half way, nothing to serve. */
  problems: ConfigError[];
  /** Digests and alert rules posting to a platform that is not set up here: they start, and post nothing there. */
  unposted: Array<{ origin: string; platform: Platform; conversation: string }>;
}

/**
 * One reading of what is served, for `serve` (which refuses on the first problem) and `check`
 * (which lists them all), so check passes exactly what serve starts with.
 */
export function servePlan(config: Config): ServePlan {
  const problems: ConfigError[] = [];
  const platforms: ServePlan['platforms'] = [];
  for (const platform of CHAT_PLATFORMS) {
    try {
      const settings = platform.settings(config);
      if (settings) platforms.push({ platform, settings });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err);
    }
  }
  let webhooks: WebhookSettings | undefined;
  try {
    webhooks = webhookSettings(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err);
  }
  if (problems.length === 0 && platforms.length === 0 && !webhooks) {
    problems.push(
      new ConfigError(
        'env',
        'nothing to serve: no chat platform is configured',
        `set ${[...CHAT_PLATFORMS.map((p) => p.enableHint), 'WHATSAPP_APP_SECRET with WHATSAPP_VERIFY_TOKEN for status webhooks'].join(', and/or ')}; see .env.example`,
      ),
    );
  }
  const on = new Set(platforms.map((p) => p.platform.config.key));
  const unposted = [
    ...config.digests.flatMap((d, i) => d.targets.map((t) => ({ origin: `digests[${i}]`, ...t }))),
    ...config.alerts.flatMap((r, i) => r.targets.map((t) => ({ origin: `alerts[${i}]`, ...t }))),
  ].filter((t) => !on.has(t.platform));
  return { platforms, webhooks, problems, unposted };
}
