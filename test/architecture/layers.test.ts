import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { circles, fileGraph, folderGraph, readSources } from './imports.js';

/**
 * The layers, held by a test over the TypeScript import graph (types included): data flows
 * config → graph → analytics → report → charts/chat, and what is pure stays pure. The figures are
 * printed for the README's Architecture section.
 */
const srcDir = fileURLToPath(new URL('../../src', import.meta.url));
const files = readSources(srcDir);

/** Pure logic: no I/O, tested with plain values. */
const PURE = [
  /^analytics\//,
  /^report\//,
  /^query\//,
  /^command\//,
  /^vocabulary\//,
  /^alerts\/judge\//,
  /^alerts\/(lifecycle|keys|model|content|presentation)\.ts$/,
];
/** Adapters and orchestration: whatever talks to a network, a disk, a database or a clock of its own. */
const ADAPTERS = [
  /^graph\//,
  /^store\//,
  /^chat\//,
  /^whatsapp\//,
  /^jobs\//,
  /^serve\//,
  /^cli\//,
  /^sandbox\//,
  /^output\//,
  /^compose\//,
  /^config\//,
  /^charts\/render/,
];
const IO_PACKAGES = new Set([
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'undici',
  'pg',
  'better-sqlite3',
  'kysely',
  'express',
]);
/** Each chat SDK belongs to its platform's folder. */
const SDKS: Array<[RegExp, string]> = [
  [/^@slack\//, 'chat/slack/'],
  [/^botbuilder/, 'chat/teams/'],
];
/** Declarative tables written as functions: the sandbox's sample accounts, the migrations. */
const TABLES = new Set(['sandbox/accounts.ts:sampleAccounts', 'store/migrations.ts:migrationsFor']);
/** The scorer's hot loop is kept in one file on purpose (one pass, no indirection). */
const LONG_FILES = new Set(['analytics/scoring.ts']);
const MAX_FUNCTION_LINES = 100;
const MAX_FILE_LINES = 500;

const matches = (path: string, patterns: readonly RegExp[]) => patterns.some((p) => p.test(path));

describe('the layers', () => {
  it('has no import circle between files', () => {
    expect(circles(fileGraph(files))).toEqual([]);
  });

  it('has no import circle between folders', () => {
    expect(circles(folderGraph(files))).toEqual([]);
  });

  it('keeps the pure layers free of adapters and I/O', () => {
    const leaks = files
      .filter((f) => matches(f.path, PURE))
      .flatMap((f) => [
        ...f.imports.filter((i) => matches(i, ADAPTERS)).map((i) => `${f.path} → ${i}`),
        ...f.packages.filter((p) => IO_PACKAGES.has(p)).map((p) => `${f.path} → ${p}`),
      ]);
    expect(leaks).toEqual([]);
  });

  it("imports each chat SDK only in its platform's folder", () => {
    const strays = files.flatMap((f) =>
      f.packages.filter((p) => SDKS.some(([sdk, home]) => sdk.test(p) && !f.path.startsWith(home))).map((p) => `${f.path} → ${p}`),
    );
    expect(strays).toEqual([]);
  });

  it('never names a chat platform in code outside its folder and the one registry line', () => {
    // Comments may name them; code goes through the platform contract. The sandbox's sample config is data.
    const home = (path: string) => /^chat\/(slack|teams)\//.test(path) || path === 'chatPlatforms.ts' || path === 'sandbox/config.ts';
    const naming = files
      .filter((f) => !home(f.path))
      .flatMap((f) =>
        readFileSync(join(srcDir, f.path), 'utf8')
          .split('\n')
          .map((line, i) => ({ line: line.trim(), at: `${f.path}:${i + 1}` }))
          .filter(({ line }) => !/^(\/\/|\*|\/\*)/.test(line) && /\b(slack|teams)\b/i.test(line.replace(/\/\/.*$/, '')))
          .map(({ at }) => at),
      );
    expect(naming).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines outside declarative tables`, () => {
    const long = files.flatMap((f) =>
      f.functions
        .filter((fn) => fn.lines > MAX_FUNCTION_LINES && !TABLES.has(`${f.path}:${fn.name}`))
        .map((fn) => `${f.path}:${fn.line} ${fn.name} (${fn.lines} lines)`),
    );
    expect(long).toEqual([]);
  });

  it(`has no source file over ${MAX_FILE_LINES} lines but the scorer`, () => {
    const long = files.filter((f) => f.lines > MAX_FILE_LINES && !LONG_FILES.has(f.path)).map((f) => `${f.path} (${f.lines} lines)`);
    expect(long).toEqual([]);
  });

  it('prints its figures', () => {
    const folders = new Set(files.map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '.')));
    const functions = files.flatMap((f) => f.functions.filter((fn) => !TABLES.has(`${f.path}:${fn.name}`)));
    const longest = functions.reduce((max, fn) => Math.max(max, fn.lines), 0);
    const biggest = files.filter((f) => !LONG_FILES.has(f.path)).reduce((max, f) => Math.max(max, f.lines), 0);
    const pure = files.filter((f) => matches(f.path, PURE));
    const leaks = pure.flatMap((f) => f.imports.filter((i) => matches(i, ADAPTERS)));
    console.log(
      `architecture: ${files.length} files in ${folders.size} folders, ${files.reduce((n, f) => n + f.lines, 0)} lines; ` +
        `circles ${circles(fileGraph(files)).length} between files, ${circles(folderGraph(files)).length} between folders; ` +
        `${pure.length} pure files, ${leaks.length} imports from them into adapters; ` +
        `longest function ${longest} lines, largest file ${biggest} lines (scorer ${files.find((f) => LONG_FILES.has(f.path))?.lines})`,
    );
    expect(files.length).toBeGreaterThan(100);
  });
});
