import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

/** What a command may touch: injected so tests run the CLI in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => number;
  /** Aborted when the user asks the command to stop (SIGINT/SIGTERM); its reason is an InterruptedError. */
  signal?: AbortSignal;
}

/** Resolves when `signal` aborts (never, without one): long-running commands wait on it. */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** An output folder that exists (created if needed); refuses a path that is a file. */
export function ensureDir(path: string, flag: string): string {
  try {
    if (!statSync(path).isDirectory()) throw new UsageError(`${flag} ${path} is a file, not a folder`, 'give a folder to write into');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    try {
      mkdirSync(path, { recursive: true });
    } catch (mkdirErr) {
      throw new UsageError(
        `${flag} ${path} cannot be created (${(mkdirErr as NodeJS.ErrnoException).code})`,
        'give a folder you can write to',
      );
    }
  }
  return path;
}

/** Write through a temporary file and rename, so a failure never leaves half a file behind. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${randomUUID()}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
