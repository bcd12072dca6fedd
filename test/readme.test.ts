import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the README', () => {
  it('lists every error code the product raises, with its exit code', () => {
    const codes = new Set(
      sources(join(root, 'src')).flatMap((path) => [...readFileSync(path, 'utf8').matchAll(/'(E_[A-Z_]+)'/g)].map((m) => m[1]!)),
    );
    expect(codes.size).toBeGreaterThan(15);
    const table = readme.slice(readme.indexOf('| code | exit | raised when |'));
    const missing = [...codes].filter((code) => !new RegExp(`^\\| \`${code}\` \\| (\\d+|—) \\|`, 'm').test(table));
    expect(missing).toEqual([]);
  });

  it('names only files and folders the project has (a move leaves no stale path behind)', () => {
    const named = new Set([...readme.matchAll(/`((?:src|bench|test)\/[^`\s:(]+)`/g)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(20);
    // `src/store/*Repository.ts`: a family of files, found when one of them is.
    const exists = (path: string) => {
      if (!path.includes('*')) return existsSync(join(root, path));
      const slash = path.lastIndexOf('/');
      const pattern = new RegExp(
        `^${path
          .slice(slash + 1)
          .replaceAll('.', '\\.')
          .replaceAll('*', '.*')}$`,
      );
      return readdirSync(join(root, path.slice(0, slash))).some((name) => pattern.test(name));
    };
    expect([...named].filter((path) => !exists(path))).toEqual([]);
  });
});

/** The README's `sh` blocks, each with the reason it is not run when a `doc-test: skip` comment stands before it. */
function shellBlocks(text: string): Array<{ line: number; code: string; skip?: string }> {
  const blocks: Array<{ line: number; code: string; skip?: string }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    const skip = /^<!-- doc-test: skip — (.+) -->$/.exec(lines[i - 1] ?? '')?.[1];
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), ...(skip ? { skip } : {}) });
    i = end;
  }
  return blocks;
}

/**
 * Run a block as a person would paste it, in a scratch folder with the example config: `npx
 * waba-pulse` is this checkout's binary, what a block starts in the background is stopped after,
 * and it passes when every command exits 0 and none prints an error line.
 */
async function runBlock(code: string): Promise<{ status: number | null; out: string; err: string }> {
  const { mkdtempSync, copyFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { spawn } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-readme-'));
  copyFileSync(join(root, 'waba-pulse.example.yaml'), join(dir, 'waba-pulse.example.yaml'));
  const script = [
    'set -euo pipefail',
    // What `npx waba-pulse` is in the checkout the README belongs to.
    `npx() { if [ "$1" = waba-pulse ]; then shift; node ${JSON.stringify(join(root, 'dist', 'cli.js'))} "$@"; else command npx "$@"; fi; }`,
    code,
  ].join('\n');
  const child = spawn('bash', ['-c', script], { cwd: dir, detached: true, env: { ...process.env, WABA_PULSE_CONFIG: undefined } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const status = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  // What the block left running in the background (a sandbox, serve) goes with it.
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // nothing left
  }
  // …and is gone before the next block starts (which may want the same port): on a loaded
  // machine a sandbox can take a moment to close.
  for (let waited = 0; waited < 10_000; waited += 50) {
    try {
      process.kill(-child.pid!, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { status, out, err };
}

describe("the README's commands", () => {
  const blocks = shellBlocks(readme);

  it('has blocks to run, and says why it skips the ones it does', () => {
    expect(blocks.filter((b) => !b.skip).length).toBeGreaterThanOrEqual(3);
    for (const b of blocks.filter((b) => b.skip)) expect(b.skip!.length).toBeGreaterThan(10);
  });

  for (const block of blocks.filter((b) => !b.skip)) {
    it(`runs as written: the block at README.md:${block.line}`, { timeout: 120_000 }, async () => {
      const { status, out, err } = await runBlock(block.code);
      const errors = `${out}\n${err}`.split('\n').filter((l) => /^waba-pulse: (?!waiting )/.test(l));
      expect({ status, errors }).toEqual({ status: 0, errors: [] });
    });
  }
});
