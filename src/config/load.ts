import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { suggestion } from '../didYouMean.js';
import { ConfigError, UsageError } from '../errors.js';
import { GRAPH_DEFAULTS, type GraphSettings } from '../graph/defaults.js';
import { registerSecret } from '../secrets.js';
import { quoted, quotedUnlessSecret } from '../text.js';
import type { Granularity } from '../vocabulary/series.js';
import { lookupAccount } from './accounts.js';
import { type EnvSettings, readEnv } from './env.js';
import type { AccessRule, Asker, ChatTarget, PlatformConfig } from './platformConfig.js';
import { type AlertRuleConfig, configSchema, type RawConfig } from './schema.js';

export type { AccessRule, Asker, ChatTarget, Granularity, PlatformConfig };

export interface AccountConfig {
  id: string;
  name: string;
  displayName: string;
  /** Where the account sits in the config, for error messages (`accounts[1]`). */
  configPath: string;
  tokenEnv: string;
  /** Zone reports are shown in. */
  timezone: string;
  /** Zone Graph's own DAY and MONTH buckets follow. */
  wabaTimezone: string;
  phoneNumbers: string[];
  countries: string[];
  productTypes: number[];
  /** How long after a bucket ends before its deliveries count as settled. */
  settleMs: number;
}

export type { GraphSettings };

export interface Config {
  path: string;
  accounts: AccountConfig[];
  digests: RawConfig['digests'];
  alerts: AlertRuleConfig[];
  access: AccessRule[];
  /**
   * Who may change alert rules from chat, by platform key (`slack: [U…, S…]`); a platform not
   * listed (or no `admins:` at all) is not narrowed: anyone who may see an account may.
   */
  admins: Readonly<Record<string, readonly string[] | undefined>>;
  /** The chat platforms this build has, as the config reads them. */
  platforms: readonly PlatformConfig[];
  /** Each chat platform's own block (`slack: { command }`), by its key, defaults applied. */
  platformSettings: Readonly<Record<string, object>>;
  /** The environment variables the chat platforms declared, trimmed (unset or empty: absent). */
  platformEnv: Readonly<Record<string, string | undefined>>;
  graph: GraphSettings;
  env: EnvSettings;
}

/** zod path -> `accounts[1].timezone` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

export function issueLine(issue: z.core.$ZodIssue): { path: string; message: string } {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return {
      path,
      message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => quoted(k)).join(', ')} — check the spelling against the README's configuration section`,
    };
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return { path, message: 'missing' };
  return { path, message: plainMessage(issue) };
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list ([a, b])',
  object: 'a mapping (key: value)',
};

/**
 * zod's own wording ("Too big: expected number to be <=1") names neither the value nor the fix;
 * our messages say what was written and what is allowed. Issues our schema words itself pass as
 * they are.
 */
function plainMessage(issue: z.core.$ZodIssue): string {
  const echo = quotedUnlessSecret(typeof issue.input === 'object' ? JSON.stringify(issue.input) : issue.input);
  const key = issue.path.at(-1);
  switch (issue.code) {
    case 'invalid_type':
      return `${echo} is not ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      if (issue.origin !== 'number' && issue.origin !== 'int') return issue.message;
      const side = issue.code === 'too_big' ? `over the maximum, ${bound}` : `under the minimum, ${bound}`;
      // A rate written as a percentage is the likeliest mistake: say the fraction it meant.
      const asFraction =
        key === 'rateFloor' && typeof issue.input === 'number' && issue.input > 1 && issue.input <= 100
          ? ` — a rate is a fraction: write ${issue.input / 100} for ${issue.input}%`
          : '';
      // A minSent no bucket reaches would leave the rule judging nothing, silently.
      const never =
        key === 'minSent' && issue.code === 'too_big' ? ' — more than any bucket sends, so the rule would never judge; use e.g. 200' : '';
      return `${echo} is ${side}${asFraction}${never}`;
    }
    case 'invalid_value':
      return `${echo} is not one of ${issue.values.map((v) => String(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

/**
 * Validate an already-parsed document (the YAML file, or the demo's embedded config) for the chat
 * platforms this build has (`src/configure.ts` passes them).
 */
export function buildConfigFor(
  platforms: readonly PlatformConfig[],
  document: unknown,
  env: NodeJS.ProcessEnv,
  path = '<embedded>',
): Config {
  const envSettings = readEnv(env);
  const platformEnv: Record<string, string | undefined> = {};
  for (const p of platforms) {
    for (const name of p.secrets) registerSecret(env[name]);
    for (const name of p.variables) platformEnv[name] = env[name]?.trim() || undefined;
  }
  const result = configSchema(platforms).safeParse(document ?? {}, { reportInput: true });
  if (!result.success) {
    const lines = result.error.issues.map(issueLine);
    const first = lines[0]!;
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? 's' : ''}: run waba-pulse check)` : '';
    const problems = lines.map((l) => (l.path ? `${l.path}: ${l.message}` : l.message));
    throw new ConfigError(first.path, `${first.message}${more}`, `fix ${path}`, problems);
  }
  const raw = result.data;
  const accounts = raw.accounts.map<AccountConfig>((a, i) => ({
    id: a.id,
    name: a.name,
    displayName: a.displayName ?? a.name,
    configPath: `accounts[${i}]`,
    tokenEnv: (a.token ?? a.tokenEnv)!,
    timezone: a.timezone ?? raw.defaults.timezone,
    wabaTimezone: a.wabaTimezone,
    phoneNumbers: a.phoneNumbers ?? [],
    countries: a.countries ?? [],
    productTypes: a.productTypes ?? [],
    settleMs: a.settle ?? raw.defaults.settle,
  }));
  const g = raw.graph;
  return {
    path,
    accounts,
    digests: raw.digests,
    alerts: raw.alerts,
    access: raw.access.flat(),
    admins: (raw.admins ?? {}) as Config['admins'],
    platforms,
    platformSettings: Object.fromEntries(platforms.map((p) => [p.key, (raw as Record<string, unknown>)[p.key] as object])),
    platformEnv,
    env: envSettings,
    graph: {
      apiUrl: envSettings.graphApiUrl ?? g.apiUrl?.replace(/\/+$/, '') ?? GRAPH_DEFAULTS.apiUrl,
      version: envSettings.graphApiVersion ?? g.version ?? GRAPH_DEFAULTS.version,
      timeoutMs: g.timeout,
      concurrency: g.concurrency,
      maxAttempts: g.maxAttempts,
      callsPerHour: g.callsPerHour,
      maxWaitMs: g.maxWait,
      halfHourChunkMs: g.halfHourChunk,
      dayChunkMs: g.dayChunk,
      callsPerReport: g.callsPerReport,
    },
  };
}

/** Longest config file read: a config is a few kilobytes; anything near this is a mistake. */
const MAX_CONFIG_BYTES = 1_000_000;

export function loadConfigFor(platforms: readonly PlatformConfig[], env: NodeJS.ProcessEnv, path = readEnv(env).configPath): Config {
  let text: string;
  try {
    // A FIFO, a device or a folder would block the read (and with it every signal) or fail
    // obscurely: only a regular file of sane size is read.
    const stat = statSync(path);
    if (!stat.isFile())
      throw new ConfigError('', `config ${path} is not a regular file`, 'point WABA_PULSE_CONFIG / --config at a YAML file');
    if (stat.size > MAX_CONFIG_BYTES)
      throw new ConfigError(
        '',
        `config file ${path} is ${stat.size} bytes, more than a config can be`,
        'point WABA_PULSE_CONFIG / --config at the YAML config',
      );
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(
        '',
        `config file ${path} not found`,
        'create it (see waba-pulse.example.yaml) or point WABA_PULSE_CONFIG / --config at it',
      );
    }
    throw new ConfigError('', `cannot read config file ${path}: ${code ?? String(err)}`, 'check the path and its permissions');
  }
  let document: unknown;
  try {
    // Aliases are capped: a "billion laughs" document is refused instead of expanded.
    document = parseYaml(text, { prettyErrors: false, maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const offset = err.pos[0];
      const before = text.slice(0, offset).split('\n');
      const where = `${path}:${before.length}:${before[before.length - 1]!.length + 1}`;
      throw new ConfigError(
        '',
        `${where}: malformed YAML (${err.code}): ${err.message.split('\n')[0]}`,
        'fix the YAML syntax at that line',
      );
    }
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new ConfigError(
        '',
        `${path} uses YAML aliases (*name) more than 100 times`,
        'write the values out; a config needs few aliases, if any',
      );
    }
    throw new ConfigError('', `${path} cannot be read as YAML (${(err as Error).message.split('\n')[0]})`, 'fix the YAML syntax');
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError('', `${path} is not a YAML mapping`, 'the file should start with keys such as accounts:');
  }
  return buildConfigFor(platforms, document, env, path);
}

/** An account by numeric id or by name (case-insensitive). */
export function findAccount(config: Config, ref: string): AccountConfig {
  const wanted = ref.trim();
  const found = lookupAccount(config.accounts, wanted);
  if (found) return found;
  const names = config.accounts.map((a) => a.name);
  throw new UsageError(
    `unknown account ${quoted(ref)}${suggestion(wanted, names)}`,
    `configured accounts: ${names.join(', ')}`,
    'E_UNKNOWN_ACCOUNT',
  );
}
