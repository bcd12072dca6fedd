import { readdirSync, readFileSync, statSync } from 'node:fs';
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
});
