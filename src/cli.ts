#!/usr/bin/env node
import { setMaxListeners } from 'node:events';
import module from 'node:module';

// Node 22.1+ keeps compiled code between runs (a no-op on Node 20): most of a one-off command's
// start-up is compiling its libraries. Enabled before anything else is imported.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { InterruptedError } = await import('./errors.js');
const { runCli } = await import('./cli/main.js');
const { processClock } = await import('./clock.js');
const { describeError } = await import('./cli/errorLine.js');

/**
 * Signals: the first SIGINT/SIGTERM aborts the running command (in-flight Graph calls, waits and
 * retries stop at once; `serve` drains). A second one, or a command that has not finished when
 * its grace runs out, ends the process there and then.
 */
const controller = new AbortController();
// Every Graph call in flight listens on it (with its own timeout): more than Node's default ten.
setMaxListeners(0, controller.signal);
const args = process.argv.slice(2);
const draining = args.includes('serve') || args.includes('sandbox');
const GRACE_MS = draining ? 30_000 : 5_000;
const CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) {
      process.stderr.write(`waba-pulse: stopped (${signal}).\n`);
      process.exit(CODES[signal]);
    }
    controller.abort(new InterruptedError(signal));
    setTimeout(() => {
      process.stderr.write(`waba-pulse: did not stop within ${GRACE_MS / 1000} s; stopped.\n`);
      process.exit(CODES[signal]);
    }, GRACE_MS).unref();
  });
}

// A reader that stops early (`| head`) closes the pipe: that ends the command quietly, as other
// Unix tools do, not with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

// The one place the wall clock is read: every command and component below takes this clock.
let now: () => number;
try {
  now = processClock(process.env);
} catch (err) {
  const { text, exitCode } = describeError(err, args.includes('--debug'));
  process.stderr.write(text);
  process.exit(exitCode);
}
const code = await runCli(args, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  now,
});
// exitCode, not exit(): piped stdout is flushed before the process ends.
process.exitCode = code;
// A service stopped while starting may leave an SDK's retries behind (Slack's client retrying
// auth.test): they must not keep a stopped process alive. Unref'd, so it fires only if they do.
if (draining) setTimeout(() => process.exit(code), 1_000).unref();
