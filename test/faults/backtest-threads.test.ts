import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JudgeJob } from '../../src/alerts/backtest/judge.js';
import { Judge, judgeInParallel } from '../../src/alerts/backtest/threads.js';
import type { DropRule } from '../../src/alerts/checker.js';
import { DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import type { AccountConfig } from '../../src/config/load.js';

/**
 * A backtest starts its judging threads before Graph answers and hands them their checks after:
 * a thread that failed in between, or fails once handed its share, must not be waited for — the
 * share is judged in this thread instead. Real threads running small scripts that answer, fail to
 * load, or exit on being handed a share.
 */
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-threads-'));
const script = (name: string, body: string) => {
  const path = join(dir, name);
  writeFileSync(path, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
  return path;
};
const answers = script(
  'answers.mjs',
  "parentPort.once('message', (job) => parentPort.postMessage([[job.checkTimes[0], 'judged in a thread']]));",
);
const failsToLoad = script('fails.mjs', "throw new Error('this judging thread could not load');");
const exitsOnJob = script('exits.mjs', "parentPort.once('message', () => process.exit(3));");

// No checks: what this thread judges in their place is known (nothing), and needs no Graph data.
const job: JudgeJob = {
  data: [],
  curve: DEFAULT_SETTLE_CURVE,
  account: { settleMs: 3 * 3600_000 } as AccountConfig,
  rule: {} as DropRule,
  token: 'EAAG-threads-token-0001',
  drillDown: false,
  checkTimes: [],
  arrivalSpread: false,
};

describe('backtest judging threads', () => {
  it("uses a thread's answer when it gives one", async () => {
    const judge = new Judge(answers, []);
    try {
      expect(await judgeInParallel(job, [judge])).toEqual([[undefined, 'judged in a thread']]);
    } finally {
      judge.stop();
    }
  });

  it('judges here when a thread failed before it was handed its share', async () => {
    const judge = new Judge(failsToLoad, []);
    // Give it time to fail while "Graph answers".
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      expect(await judgeInParallel(job, [judge])).toEqual([]);
    } finally {
      judge.stop();
    }
  });

  it('judges here when a thread exits once handed its share, even beside one that answers', async () => {
    const judges = [new Judge(answers, []), new Judge(exitsOnJob, [])];
    try {
      expect(await judgeInParallel(job, judges)).toEqual([]);
    } finally {
      for (const judge of judges) judge.stop();
    }
  });
});
