import { parentPort, workerData } from 'node:worker_threads';
import { type JudgeJob, judgeChecks } from './judge.js';

// A backtest's share of checks, judged on another core.
parentPort!.postMessage(await judgeChecks(workerData as JudgeJob));
