import { PassThrough } from 'node:stream';

/** Two streams a command writes to in-process, and what has been written to each so far. */
export function capturedOutput() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return {
    stdout,
    stderr,
    out: () => out,
    err: () => err,
  };
}
