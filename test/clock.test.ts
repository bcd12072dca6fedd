import { describe, expect, it } from 'vitest';
import { processClock } from '../src/clock.js';
import { UsageError } from '../src/errors.js';

describe('processClock', () => {
  const wall = (() => {
    let t = 1_000_000;
    const clock = () => t;
    clock.advance = (ms: number) => (t += ms);
    return clock;
  })();

  it('is the wall clock when WABA_PULSE_CLOCK is unset or blank', () => {
    expect(processClock({}, wall)()).toBe(wall());
    expect(processClock({ WABA_PULSE_CLOCK: '  ' }, wall)()).toBe(wall());
  });

  it('starts at the given ISO time or UNIX seconds and runs on with the wall clock', () => {
    const iso = processClock({ WABA_PULSE_CLOCK: '2026-11-25T10:15:00Z' }, wall);
    const unix = processClock({ WABA_PULSE_CLOCK: String(Date.UTC(2026, 10, 25, 10, 15) / 1000) }, wall);
    expect(iso()).toBe(Date.UTC(2026, 10, 25, 10, 15));
    expect(unix()).toBe(iso());
    wall.advance(90_000);
    expect(iso()).toBe(Date.UTC(2026, 10, 25, 10, 16, 30));
  });

  it('refuses what is not a time, naming the value and the variable', () => {
    expect(() => processClock({ WABA_PULSE_CLOCK: 'soon' }, wall)).toThrow(UsageError);
    expect(() => processClock({ WABA_PULSE_CLOCK: 'soon' }, wall)).toThrow('WABA_PULSE_CLOCK="soon" is not a time');
  });
});

describe('the clock rule', () => {
  it('no component reads the wall clock itself: it takes the clock it is given', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join, relative } = await import('node:path');
    const root = new URL('../src', import.meta.url).pathname;
    // Slack signs requests with the real time and Bolt checks it against the real time: the
    // replay guard must use the same clock, whatever the process is told.
    const allowed = new Set(['clock.ts', 'chat/slack/requestGuard.ts']);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !allowed.has(relative(root, path))) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/Date\.now\b|new Date\(\)/.test(line)) offenders.push(`${relative(root, path)}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
