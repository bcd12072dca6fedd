import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHAT_PLATFORMS } from '../src/chatPlatforms.js';
import { ENV_VARIABLES } from '../src/config/env.js';

describe('.env.example', () => {
  it('lists every variable of the design', () => {
    const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const listed = new Set(
      text
        .split('\n')
        .map((l) => /^([A-Z_][A-Z0-9_]*)=/.exec(l)?.[1])
        .filter(Boolean),
    );
    // The core's, and each chat platform's own.
    for (const name of [...ENV_VARIABLES, ...CHAT_PLATFORMS.flatMap((p) => p.config.variables)]) expect(listed, name).toContain(name);
  });
});
