import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { type SeenRequest, startFakeGraph } from '../fakes/graph.js';
import { cliCommand, cliEnv } from '../helpers/cliProcess.js';
import { capturedOutput } from '../helpers/output.js';

/**
 * `--out` on folders a user really meets: one they may not write to, a read-only file system, a
 * disk full before the command starts and one that fills up while the files are written. The
 * folder is checked before any Graph call (exit 2); a set of files appears whole or not at all,
 * with no temporary file left behind (exit 1). Real conditions, made real for root too (CI runs
 * as root, where chmod stops nothing): the command runs as an unprivileged user for "permission
 * denied", and in a private mount namespace on a small tmpfs for the rest.
 */
const NOW = Date.UTC(2026, 10, 25, 10, 15);
const TOKEN = 'EAAG-out-folder-token-5521';
const PAGE = 4096;
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-out-'));
// The unprivileged user the command runs as below reads the config and lists its folder here.
chmodSync(dir, 0o777);
const config = join(dir, 'waba-pulse.yaml');
writeFileSync(
  config,
  'accounts:\n  - id: "104729384756102"\n    name: acme-retail\n    tokenEnv: ACME_TOKEN\n    timezone: UTC\n    wabaTimezone: UTC\n',
);
chmodSync(config, 0o644);

/** `unshare` flags that give this process a private mount namespace where it may mount a tmpfs, or why there are none. */
function mountNamespace(): { flags: string[] } | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'tmpfs mounts in a private namespace need Linux' };
  const probe = mkdtempSync(join(tmpdir(), 'waba-pulse-mount-'));
  const tried: string[] = [];
  for (const flags of [['--user', '--map-root-user', '--mount'], ['--mount']]) {
    const run = spawnSync('unshare', [...flags, 'sh', '-c', 'mount -t tmpfs -o size=4096 waba-pulse-probe "$1"', 'sh', probe], {
      encoding: 'utf8',
    });
    if (run.status === 0) return { flags };
    tried.push(`unshare ${flags.join(' ')}: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim()}`);
  }
  return { skip: `cannot mount a tmpfs in a private namespace here (${tried.join('; ')})` };
}

/** Who the command runs as so that a folder without write permission refuses it. */
function unprivileged(): { uid?: number; gid?: number } | { skip: string } {
  if (process.getuid?.() !== 0) return {};
  // The CLI itself, as that user: a checkout under a folder only root may enter (mktemp -d's 0700)
  // cannot be run by it at all, which says nothing of --out.
  const [node, ...args] = cliCommand(['--version']);
  const run = spawnSync(node!, args, { uid: 65534, gid: 65534 });
  return run.status === 0
    ? { uid: 65534, gid: 65534 }
    : {
        skip: `cannot run the CLI as uid 65534 (${
          run.error?.message ??
          run.stderr
            .toString()
            .split('\n')
            .find((l) => l.startsWith('Error')) ??
          `exit ${run.status}`
        })`,
      };
}

const namespace = mountNamespace();
const user = unprivileged();

/** Analytics for whatever range and granularity is asked: a steady 100 sent, 97 delivered per bucket. */
function analytics(req: SeenRequest) {
  const fields = req.fields ?? '';
  const at = (name: string) => Number(new RegExp(`${name}\\((\\d+)\\)`).exec(fields)?.[1] ?? 0);
  const granularity = /granularity\((\w+)\)/.exec(fields)?.[1] ?? 'DAY';
  const step = granularity === 'HALF_HOUR' ? 1800 : 86_400;
  const points = [];
  for (let t = Math.ceil(at('start') / step) * step; t + step <= at('end'); t += step)
    points.push({ start: t, end: t + step, sent: 100, delivered: 97 });
  return { body: { analytics: { phone_numbers: ['16315551000'], granularity, data_points: points }, id: '104729384756102' } };
}

let graph: Awaited<ReturnType<typeof startFakeGraph>>;
beforeAll(async () => {
  graph = await startFakeGraph(analytics);
});
afterAll(() => graph.close());

const env = () => ({
  WABA_PULSE_CONFIG: config,
  GRAPH_API_URL: graph.url,
  ACME_TOKEN: TOKEN,
  WABA_PULSE_CLOCK: new Date(NOW).toISOString(),
});
const REPORT = ['report', '--account', 'acme-retail', '--last', '2d'];

interface Run {
  code: number;
  out: string;
  err: string;
  /** What the output folder held once the command had ended. */
  left: string[];
  graphCalls: number;
}

/** The CLI as a process, optionally inside a mount namespace whose tmpfs (`mount` options, `fill` bytes taken) is the output folder. */
function run(args: string[], options: { out: string; tmpfs?: { mount: string; fill?: number }; as?: { uid?: number; gid?: number } }) {
  const before = graph.requests.length;
  const listing = `${options.out}.listing`;
  // List the folder from inside the namespace, before its tmpfs goes away with the process.
  const script =
    'out=$1; listing=$2; mount=$3; fill=$4; shift 4; ' +
    'if [ -n "$mount" ]; then mount -t tmpfs -o "$mount" waba-pulse-out "$out" || exit 97; fi; ' +
    'if [ "$fill" -gt 0 ]; then head -c "$fill" /dev/zero > "$out/filler"; fi; ' +
    '"$@"; code=$?; ls -A "$out" > "$listing"; exit $code';
  const inner = [
    'sh',
    '-c',
    script,
    'sh',
    options.out,
    listing,
    options.tmpfs?.mount ?? '',
    String(options.tmpfs?.fill ?? 0),
    ...cliCommand(args),
  ];
  const command = options.tmpfs && 'flags' in namespace ? ['unshare', ...namespace.flags, ...inner] : inner;
  return new Promise<Run>((resolve) => {
    execFile(command[0]!, command.slice(1), { env: cliEnv(env()), cwd: dir, ...options.as }, (error, out, err) => {
      const code = error ? Number((error as { code?: number }).code) : 0;
      const left = readFileSync(listing, 'utf8').split('\n').filter(Boolean);
      resolve({ code, out, err, left, graphCalls: graph.requests.length - before });
    });
  });
}

const folder = (name: string) => {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
};

describe('a folder the user may not write to', () => {
  const skip = 'skip' in user ? user.skip : undefined;
  const as = 'skip' in user ? {} : user;
  for (const [command, args] of [
    ['report', REPORT],
    ['backtest', ['backtest', '--account', 'acme-retail', '--last', '3d']],
    ['demo', ['demo']],
  ] as const) {
    it.skipIf(skip)(`${command} --out refuses it before any work, exit 2 in one line${skip ? ` (skipped: ${skip})` : ''}`, async () => {
      const out = folder(`denied-${command}`);
      chmodSync(out, 0o555);
      const result = await run([...args, '--out', out], { out, as });
      expect(result.err).toBe(
        `waba-pulse: --out ${out} cannot be written: permission denied (EACCES). Give --out a folder you can write to.\n`,
      );
      expect(result.code).toBe(2);
      expect(result.graphCalls).toBe(0);
      if (command === 'demo') expect(result.out).not.toContain('sandbox Graph at');
      expect(result.left).toEqual([]);
    });
  }
});

describe('a file system that refuses the files', () => {
  const skip = 'skip' in namespace ? namespace.skip : undefined;

  it.skipIf(skip)(`read-only: refused before any Graph call, exit 2${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const out = folder('read-only');
    const result = await run([...REPORT, '--out', out], { out, tmpfs: { mount: 'ro,size=65536' } });
    expect(result.err).toBe(
      `waba-pulse: --out ${out} cannot be written: the file system is read-only (EROFS). Give --out a folder you can write to.\n`,
    );
    expect(result.code).toBe(2);
    expect(result.graphCalls).toBe(0);
  });

  it.skipIf(skip)(`full before the command starts: refused before any Graph call, exit 2${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const out = folder('full');
    const result = await run([...REPORT, '--out', out], { out, tmpfs: { mount: `size=${PAGE}`, fill: PAGE } });
    expect(result.err).toBe(
      `waba-pulse: --out ${out} cannot be written: the disk is full (ENOSPC). Free some space, or give --out another folder.\n`,
    );
    expect(result.code).toBe(2);
    expect(result.graphCalls).toBe(0);
    expect(result.left).toEqual(['filler']);
  });

  it.skipIf(skip)(
    `filling up while the files are written: none of them appears, no temporary file is left, exit 1 in one line${skip ? ` (skipped: ${skip})` : ''}`,
    async () => {
      // The same report written to an ordinary folder: room for its chart and summary (and a
      // page spare), not for its JSON, is what the tmpfs gets.
      const reference = folder('reference');
      const { stdout, stderr, err } = capturedOutput();
      expect(await runCli([...REPORT, '--out', reference], { stdout, stderr, env: env(), cwd: dir, now: () => NOW })).toBe(0);
      const pages = (name: string) => Math.ceil(statSync(join(reference, name)).size / PAGE);
      expect(err()).toContain('report.json');
      expect(pages('report.json')).toBeGreaterThan(1);
      const room = (pages('chart.png') + pages('summary.txt') + 1) * PAGE;

      const out = folder('filling');
      const result = await run([...REPORT, '--out', out], { out, tmpfs: { mount: `size=${room}` } });
      expect(result.err).toBe(
        `waba-pulse: could not write report.json in ${out}: the disk is full (ENOSPC); none of the 3 files was written. Free some space, or give --out another folder.\n`,
      );
      expect(result.code).toBe(1);
      expect(result.graphCalls).toBeGreaterThan(0);
      // The report itself was printed; the folder holds no chart alone, no .tmp file, nothing.
      expect(result.out).toContain('WhatsApp delivery');
      expect(result.left).toEqual([]);
      expect(readdirSync(reference).sort()).toEqual(['chart.png', 'report.json', 'summary.txt']);
    },
  );
});

describe('a path that cannot become a folder', () => {
  /** The CLI as a process, stopped after 30 s: a command that never ends fails here instead of hanging the suite. */
  const refused = async (out: string) => {
    const before = graph.requests.length;
    const { code, err } = await new Promise<{ code: number; err: string }>((resolve) => {
      const [node, ...args] = cliCommand([...REPORT, '--out', out]);
      execFile(node!, args, { env: cliEnv(env()), cwd: dir, timeout: 30_000, killSignal: 'SIGKILL' }, (error, _out, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, err: stderr }),
      );
    });
    return { code, err, graphCalls: graph.requests.length - before };
  };

  // Node's recursive mkdir spins forever here (ENOENT under a parent that exists).
  it.skipIf(!existsSync('/proc/self'))('under /proc: refused in one line, exit 2, no Graph call', async () => {
    const result = await refused('/proc/waba-pulse-out/daily');
    expect(result.err).toBe(
      'waba-pulse: --out /proc/waba-pulse-out/daily cannot be created: the file system there does not take new folders (ENOENT). Give --out a folder you can write to.\n',
    );
    expect(result.code).toBe(2);
    expect(result.graphCalls).toBe(0);
  });

  it('through a link to a folder that does not exist: named as such, exit 2', async () => {
    const link = join(dir, 'dangling');
    symlinkSync(join(dir, 'gone'), link);
    const result = await refused(join(link, 'out'));
    expect(result.err).toBe(
      `waba-pulse: --out ${join(link, 'out')} cannot be created: a part of it is a link to a folder that does not exist. Give --out a folder you can write to.\n`,
    );
    expect(result.code).toBe(2);
    expect(result.graphCalls).toBe(0);
    expect(existsSync(join(dir, 'gone'))).toBe(false);
  });

  it('under a file: named as such, exit 2, the file untouched', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'kept\n');
    const out = join(file, 'daily', 'today');
    const result = await refused(out);
    expect(result.err).toBe(
      `waba-pulse: --out ${out} cannot be created: a part of it is a file (ENOTDIR). Give --out a folder you can write to.\n`,
    );
    expect(result.code).toBe(2);
    expect(result.graphCalls).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('kept\n');
  });
});
