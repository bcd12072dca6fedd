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
