import { ConfigError } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { storeLocation } from '../store/location.js';
import { quoted } from '../text.js';

/** Process-level settings from the environment (names fixed by the design). */
export interface EnvSettings {
  configPath: string;
  graphApiUrl: string | undefined;
  graphApiVersion: string | undefined;
  databaseUrl: string | undefined;
  port: number;
  publicBaseUrl: string | undefined;
  chartRenderer: 'local' | 'quickchart';
  quickchartUrl: string | undefined;
  /** WhatsApp status webhooks: the Meta app's secret (signatures) and the verify token (handshake). */
  whatsapp: {
    appSecret: string | undefined;
    verifyToken: string | undefined;
  };
  /** The bearer token `/metrics` asks scrapers for; open without one. */
  metricsToken: string | undefined;
}

/** Every variable of the core (each chat platform declares its own): `.env.example` lists these. */
export const ENV_VARIABLES = [
  'WABA_PULSE_CONFIG',
  'GRAPH_API_URL',
  'GRAPH_API_VERSION',
  'DATABASE_URL',
  'PORT',
  'PUBLIC_BASE_URL',
  'CHART_RENDERER',
  'QUICKCHART_URL',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'METRICS_TOKEN',
  'WABA_PULSE_CLOCK',
] as const;

const SECRET_VARIABLES = ['WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'METRICS_TOKEN'];

/** A bearer token anyone could guess protects nothing. */
const MIN_METRICS_TOKEN = 16;

export function url(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(
      `env.${name}`,
      `${quoted(value)} is not an http(s) URL`,
      `set ${name} to a URL such as https://example.com or unset it`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** DATABASE_URL, refused here as openStore would refuse it: every command, `check` included, reads it alike. */
function databaseUrl(value: string | undefined): string | undefined {
  const text = value?.trim() || undefined;
  storeLocation(text);
  return text;
}

export function readEnv(env: NodeJS.ProcessEnv): EnvSettings {
  for (const name of SECRET_VARIABLES) registerSecret(env[name]);
  try {
    registerSecret(decodeURIComponent(new URL(env.DATABASE_URL ?? '').password));
  } catch {
    // not a URL with a password
  }

  const version = env.GRAPH_API_VERSION?.trim() || undefined;
  if (version && !/^v\d+\.\d+$/.test(version)) {
    throw new ConfigError('env.GRAPH_API_VERSION', `${quoted(version)} is not a Graph API version`, 'write it like v23.0');
  }
  const portText = env.PORT?.trim();
  const port = portText ? Number(portText) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('env.PORT', `${quoted(portText)} is not a port number`, 'set PORT to a number from 1 to 65535');
  }
  const renderer = (env.CHART_RENDERER?.trim() || 'local').toLowerCase();
  if (renderer !== 'local' && renderer !== 'quickchart') {
    throw new ConfigError('env.CHART_RENDERER', `${quoted(env.CHART_RENDERER)} is not a chart renderer`, 'use local or quickchart');
  }
  const metricsToken = env.METRICS_TOKEN?.trim() || undefined;
  if (metricsToken && metricsToken.length < MIN_METRICS_TOKEN) {
    throw new ConfigError(
      'env.METRICS_TOKEN',
      `is ${metricsToken.length} characters long (not shown)`,
      `use at least ${MIN_METRICS_TOKEN} random characters, e.g. openssl rand -hex 24`,
    );
  }
  return {
    configPath: env.WABA_PULSE_CONFIG?.trim() || './waba-pulse.yaml',
    graphApiUrl: url(env, 'GRAPH_API_URL'),
    graphApiVersion: version,
    databaseUrl: databaseUrl(env.DATABASE_URL),
    port,
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL'),
    chartRenderer: renderer,
    quickchartUrl: url(env, 'QUICKCHART_URL'),
    whatsapp: {
      appSecret: env.WHATSAPP_APP_SECRET?.trim() || undefined,
      verifyToken: env.WHATSAPP_VERIFY_TOKEN?.trim() || undefined,
    },
    metricsToken,
  };
}
