/**
 * The sandbox in its own process, so a benchmark times the client and not the synthetic
 * traffic generator sharing its thread. Parent messages: {type:'stats'} -> {requests};
 * {type:'clock', now} moves the sandbox's clock -> {now}.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sampleAccounts, syntheticAccounts } from '../src/sandbox/accounts.js';
import { startSandbox } from '../src/sandbox/server.js';

export interface SandboxProcess {
  url: string;
  requests(): Promise<number>;
  setClock(now: number): Promise<void>;
  close(): Promise<void>;
}

interface Options {
  extraAccounts: number;
  latencyMs: number;
  now: number;
}

export async function forkSandbox(options: Options): Promise<SandboxProcess> {
  const self = fileURLToPath(import.meta.url);
  // Compiled (bench:rounds runs plain JavaScript, as deployed) or TypeScript through tsx.
  const child: ChildProcess = fork(self, [JSON.stringify(options)], {
    execArgv: self.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`sandbox process exited with ${code}`)));
  });
  return {
    url,
    requests: () =>
      new Promise((resolve) => {
        child.once('message', (m: { requests: number }) => resolve(m.requests));
        child.send({ type: 'stats' });
      }),
    setClock: (now) =>
      new Promise((resolve) => {
        child.once('message', () => resolve());
        child.send({ type: 'clock', now });
      }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const options = JSON.parse(process.argv[2]!) as Options;
  const accounts = [...sampleAccounts(options.now), ...syntheticAccounts(options.extraAccounts)];
  let clock = options.now;
  const sandbox = await startSandbox({ accounts, latencyMs: options.latencyMs, callsPerHour: 1_000_000, now: () => clock });
  process.on('message', (m: { type: 'stats' } | { type: 'clock'; now: number }) => {
    if (m.type === 'clock') {
      clock = m.now;
      process.send!({ now: clock });
    } else process.send!({ requests: sandbox.stats.requests });
  });
  process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
  process.send({ url: sandbox.url });
}
