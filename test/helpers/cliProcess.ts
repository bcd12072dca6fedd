import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './waitFor.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
// The TypeScript loader by its full URL: a process started in another folder finds it too.
const TSX = import.meta.resolve('tsx');

export interface CliProcess {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Exit code (or 128 + signal number when killed) and when it came. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  waitForOut(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  alive(): boolean;
}

/**
 * libfaketime's settings, when the suite runs with the clock moved ahead (`npm run test:ahead`):
 * a process this test starts lives in the same shifted time as the test, not in today's.
 */
function shiftedClock(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'LD_PRELOAD' || k.startsWith('FAKETIME')));
}

/** The command line that runs `waba-pulse <args>` from source (through tsx), for a test that wraps it in another command. */
export function cliCommand(args: string[]): string[] {
  return [process.execPath, '--import', TSX, CLI, ...args];
}

/** A CLI process's environment: `env` over PATH, HOME and the suite's shifted clock, and nothing else of the test's. */
export function cliEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...shiftedClock(), ...env };
}

/** `waba-pulse <args>` as a real process (through tsx), as a user or an orchestrator runs it. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, cwd?: string): CliProcess {
  const [node, ...argv] = cliCommand(args);
  const child = spawn(node!, argv, {
    env: cliEnv(env),
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    alive: () => !done,
    waitForOut: (pattern, timeoutMs = 20_000) =>
      waitFor(() => pattern.exec(out) ?? undefined, `output matching ${pattern} (stderr: ${err.slice(-500)})`, timeoutMs),
  };
}
