#!/usr/bin/env node
import { runCli } from './cli/main.js';

const stop = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  stopSignal: stop,
});
// exitCode, not exit(): piped stdout is flushed before the process ends.
process.exitCode = code;
