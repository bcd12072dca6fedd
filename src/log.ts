import { pino, type Logger } from 'pino';
import { redactSecrets } from './secrets.js';

export type { Logger };

/**
 * Structured JSON logs on stderr (stdout belongs to command output). Known secret fields are
 * censored by path, and each serialized line is scrubbed of registered secret values.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
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
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** A logger that drops everything: the default for library code used from tests and the CLI. */
export const silentLogger: Logger = pino({ level: 'silent' });
