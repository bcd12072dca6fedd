import { createRequire } from 'node:module';
import { redactSecrets } from './secrets.js';

type LogFn = {
  (obj: object, msg?: string): void;
  (msg: string): void;
};

/** What the product logs through: pino's shape, so a pino logger is one. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const require = createRequire(import.meta.url);

/**
 * Structured JSON logs on stderr (stdout belongs to command output). Known secret fields are
 * censored by path, and each serialized line is scrubbed of registered secret values. pino is
 * loaded on the first call: a CLI command that logs nothing never pays for it.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  if (level === 'silent') return silentLogger;
  const { pino } = require('pino') as typeof import('pino');
  return pino(
    {
      name: 'waba-pulse',
      level,
      redact: {
        paths: [
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'headers.authorization',
          '*.headers.authorization',
          'password',
          '*.password',
          'secret',
          '*.secret',
        ],
        censor: '[redacted]',
      },
      hooks: { streamWrite: (line) => redactSecrets(line) },
    },
    (options.destination ?? process.stderr) as import('pino').DestinationStream,
  );
}

const drop: LogFn = () => {};

/** A logger that drops everything: the default for library code used from tests and the CLI. */
export const silentLogger: Logger = { debug: drop, info: drop, warn: drop, error: drop, child: () => silentLogger };

/** Once per key per window (on the clock given): a flood of bad requests writes one line, then the count it held back. */
export class LogLimiter {
  private readonly last = new Map<string, { at: number; held: number }>();
  constructor(
    private readonly now: () => number,
    private readonly windowMs = 10 * 60_000,
  ) {}
  /** Undefined when the line is held back; else how many were held back before it. */
  allow(key: string): number | undefined {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.windowMs) {
      seen.held++;
      return undefined;
    }
    if (this.last.size >= 1_000) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, { at: t, held: 0 });
    return seen?.held ?? 0;
  }
}
