import { parentPort } from 'node:worker_threads';
import { type JudgeJob, judgeChecks } from './judge.js';

// A backtest's share of checks, judged on another core: started ahead, handed its share once Graph has answered.
parentPort!.once('message', async (job: JudgeJob) => parentPort!.postMessage(await judgeChecks(job)));
