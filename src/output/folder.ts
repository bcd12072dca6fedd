import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { OutputWriteError, UsageError } from '../errors.js';

/** One file of a set a command writes: `name` is relative to the folder (`acme-retail/daily/chart.png`). */
export interface OutputFile {
  name: string;
  data: string | Buffer;
}

/** What a file-system error code means to someone choosing where to write. */
function reason(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk is full (${code})`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    case 'ENOTDIR':
    case 'EEXIST':
      return `a part of it is a file (${code})`;
    case 'EDANGLING':
      return 'a part of it is a link to a folder that does not exist';
    case 'ENOENT':
      return 'the file system there does not take new folders (ENOENT)';
    default:
      return code ?? 'unknown error';
  }
}

function hintFor(code: string | undefined, flag: string): string {
  return code === 'ENOSPC' || code === 'EDQUOT'
    ? `free some space, or give ${flag} another folder`
    : `give ${flag} a folder you can write to`;
}

const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException).code;

const failure = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), { code });

/**
 * `mkdir -p`, one level at a time, returning the first folder it created (as `mkdirSync`'s
 * recursive form does). Node's recursive form loops forever where a file system refuses a new
 * folder with ENOENT under a parent that exists (`/proc`); here that is an error like any other,
 * and a link to nothing on the way is named as such.
 */
function makeFolders(path: string): string | undefined {
  const missing: string[] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    const found = statSync(dir, { throwIfNoEntry: false });
    if (found?.isDirectory()) break;
    if (found) throw failure('ENOTDIR', dir);
    if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) throw failure('EDANGLING', dir);
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  let first: string | undefined;
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
      first ??= dir;
    } catch (err) {
      // Another writer made it first (two reports into one folder): as good.
      if (errnoOf(err) !== 'EEXIST' || !statSync(dir).isDirectory()) throw err;
    }
  }
  return first;
}

/** A hidden name beside `path` that no other writer (another process, a second set) picks. */
function temporaryName(path: string): string {
  return join(dirname(path), `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeWhole(path: string, data: string | Buffer): void {
  const fd = openSync(path, 'wx');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    // On disk before the rename, so a crash never leaves an empty file under the final name.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(path: string, remove: (path: string) => void = unlinkSync): void {
  try {
    remove(path);
  } catch {
    // Already gone, or the folder went away: nothing left to clean.
  }
}

/**
 * The one writer behind every `--out`: the folder is checked (created if missing, and a byte
 * written and removed) before the command does any work, so a folder that cannot be used costs
 * no Graph call; a set of files is written whole or not at all — every file to a temporary name
 * first, renamed into place only once all are written, the temporary files removed on any failure.
 */
export class OutputFolder {
  private constructor(
    readonly path: string,
    private readonly flag: string,
  ) {}

  /** The folder `flag` names, usable now, or a UsageError (exit 2) saying why not in one line. */
  static open(path: string, flag: string): OutputFolder {
    try {
      if (!statSync(path).isDirectory())
        throw new UsageError(`${flag} ${path} is a file, not a folder`, 'give a folder to write into', 'E_OUT_FOLDER');
    } catch (err) {
      if (err instanceof UsageError) throw err;
      try {
        makeFolders(path);
      } catch (mkdirErr) {
        const code = errnoOf(mkdirErr);
        throw new UsageError(`${flag} ${path} cannot be created: ${reason(code)}`, hintFor(code, flag), 'E_OUT_FOLDER');
      }
    }
    const probe = temporaryName(join(path, 'probe'));
    try {
      writeWhole(probe, '.');
    } catch (err) {
      removeQuietly(probe);
      const code = errnoOf(err);
      throw new UsageError(`${flag} ${path} cannot be written: ${reason(code)}`, hintFor(code, flag), 'E_OUT_FOLDER');
    }
    removeQuietly(probe);
    return new OutputFolder(path, flag);
  }

  /** Where `name` goes in this folder. */
  pathOf(name: string): string {
    return join(this.path, name);
  }

  /**
   * Write every file, or none: the set appears only once each file is on disk. Fails with an
   * OutputWriteError (exit 1) naming the file and why — the disk filling up on the way, say.
   */
  write(files: readonly OutputFile[]): string[] {
    const staged: Array<{ tmp: string; path: string }> = [];
    /** Folders this set created: removed again, deepest first, if the set fails. */
    const created: string[] = [];
    let renamed = 0;
    let current = '';
    try {
      for (const file of files) {
        current = this.pathOf(file.name);
        const first = makeFolders(dirname(current));
        if (first) for (let dir = dirname(current); dir.startsWith(first); dir = dirname(dir)) created.push(dir);
        const tmp = temporaryName(current);
        staged.push({ tmp, path: current });
        writeWhole(tmp, file.data);
      }
      for (const { tmp, path } of staged) {
        current = path;
        renameSync(tmp, path);
        renamed++;
      }
    } catch (err) {
      for (const { tmp } of staged.slice(renamed)) removeQuietly(tmp);
      for (const dir of created.sort((a, b) => b.length - a.length)) removeQuietly(dir, rmdirSync);
      const code = errnoOf(err);
      throw new OutputWriteError(
        `could not write ${relative(this.path, current) || current} in ${this.path}: ${reason(code)}; ${
          renamed ? `${renamed} of the ${files.length} files were already replaced` : `none of the ${files.length} files was written`
        }`,
        hintFor(code, this.flag),
        { cause: err },
      );
    }
    return staged.map((s) => s.path);
  }
}
