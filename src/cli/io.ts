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
