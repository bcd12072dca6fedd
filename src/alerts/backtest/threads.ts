import { availableParallelism } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Judgement } from '../judge/graph.js';
import { type JudgeJob, judgeChecks } from './judge.js';

/**
 * A thread to judge a backtest's share of checks on, started before Graph is asked (it loads its
 * modules meanwhile). Its end, whenever it comes, is kept, so a thread that failed while Graph
 * was still answering is not waited for.
 */
export class Judge {
  private readonly worker: Worker;
  private readonly ended: Promise<never>;

  constructor(script: string, execArgv: string[]) {
    this.worker = new Worker(script, { execArgv });
    this.ended = new Promise<never>((_, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`backtest worker exited ${code}`)));
    });
    // Kept until judged; a failure before then surfaces there.
    this.ended.catch(() => undefined);
  }

  judge(job: JudgeJob): Promise<Array<[number, Judgement]>> {
    const result = new Promise<Array<[number, Judgement]>>((resolve) => this.worker.once('message', resolve));
    this.worker.postMessage(job);
    return Promise.race([result, this.ended]);
  }

  stop(): void {
    void this.worker.terminate();
  }
}

/** Threads to judge a backtest's checks on, one per core (none for a short backtest or a single core). */
export function startJudges(checks: number): Judge[] {
  const cores = Math.min(availableParallelism(), 4);
  if (cores < 2 || checks < 48) return [];
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const script = join(dirname(here), `worker${ext}`);
  // Under tsx (tests, development) the worker needs the TypeScript loader too.
  const execArgv =
    ext === '.ts' && !process.execArgv.join(' ').includes('tsx') ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
  const judges: Judge[] = [];
  try {
    for (let k = 0; k < cores; k++) judges.push(new Judge(script, execArgv));
    return judges;
  } catch {
    // Judged in this thread, then: the threads already started are not left running.
    for (const judge of judges) judge.stop();
    return [];
  }
}

/** Judge the checks on the judging threads, one share each (in this thread if there are none or one fails). */
export async function judgeInParallel(job: JudgeJob, judges: readonly Judge[]): Promise<Array<[number, Judgement]>> {
  if (judges.length === 0) return judgeChecks(job);
  const size = Math.ceil(job.checkTimes.length / judges.length);
  try {
    const shares = await Promise.all(
      judges.map((judge, k) => judge.judge({ ...job, checkTimes: job.checkTimes.slice(k * size, (k + 1) * size) })),
    );
    return shares.flat();
  } catch {
    return judgeChecks(job);
  }
}
