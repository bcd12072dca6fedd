import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';

/** Where Meta's webhook calls land, on the serve port; the route itself is in webhook.ts (with Express). */
export const WEBHOOK_PATH = '/whatsapp/webhook';
export const MAX_BODY_BYTES = 1024 * 1024;
const MIN_APP_SECRET_LENGTH = 32;

export interface WebhookSettings {
  appSecret: string;
  verifyToken: string;
}

/** Rules that read what the webhook route keeps: status counts (`source: webhooks`) or health events (`kind: health`). */
export function judgesWebhooks(rule: Config['alerts'][number]): boolean {
  return rule.kind === 'health' || rule.source === 'webhooks';
}

/**
 * On when both variables are set; one without the other, an app secret shorter than Meta's, or
 * alert rules that judge webhooks with neither, is a mistake worth stopping for (`serve` refuses
 * to start, `check` says so).
 */
export function webhookSettings(config: Config): WebhookSettings | undefined {
  const { appSecret, verifyToken } = config.env.whatsapp;
  const rules = config.alerts.filter(judgesWebhooks).length;
  if (!appSecret && !verifyToken) {
    if (rules)
      throw new ConfigError(
        'alerts',
        `${rules} rule(s) judge webhooks (source: webhooks or kind: health), but WHATSAPP_APP_SECRET is not set`,
        'set WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN, or give those rules source: graph (a health rule has no other source)',
      );
    return undefined;
  }
  if (!appSecret)
    throw new ConfigError(
      'env.WHATSAPP_APP_SECRET',
      'is not set, but WHATSAPP_VERIFY_TOKEN is',
      "set it to the Meta app's secret (App settings → Basic)",
    );
  // Meta's app secrets are 32 hexadecimal characters. Anything shorter is a typo, a truncated
  // paste, the app id or a placeholder — and a short key lets anyone forge signed statuses. The
  // characters are not checked, so a secret of another form still starts.
  if (appSecret.length < MIN_APP_SECRET_LENGTH)
    throw new ConfigError(
      'env.WHATSAPP_APP_SECRET',
      `is ${appSecret.length} character${appSecret.length === 1 ? '' : 's'} long, shorter than a Meta app secret (${MIN_APP_SECRET_LENGTH} hexadecimal characters)`,
      "set it to the Meta app's secret (App settings → Basic → App secret)",
    );
  if (!verifyToken)
    throw new ConfigError(
      'env.WHATSAPP_VERIFY_TOKEN',
      'is not set, but WHATSAPP_APP_SECRET is',
      'set it to the verify token typed into the webhook settings',
    );
  return { appSecret, verifyToken };
}
