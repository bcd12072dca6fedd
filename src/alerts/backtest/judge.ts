import type { SettleCurve } from '../../analytics/settle.js';
import { fixedCurves } from '../../cache/settleLearning.js';
import { graphAccountsWith } from '../../compose/graphAccount.js';
import type { AccountConfig } from '../../config/load.js';
import type { DataPoint } from '../../vocabulary/series.js';
import type { DropRule as Rule } from '../checker.js';
import type { Judgement } from '../judge/graph.js';
import { defaultJudge } from '../sources.js';
import { ReplaySource } from './replaySource.js';

/** What a backtest's judging needs, plain enough to hand to a worker thread. */
export interface JudgeJob {
  data: Array<[string, { points: DataPoint[]; phoneNumbers: string[]; countryCodes: string[] }]>;
  curve: SettleCurve;
  account: AccountConfig;
  rule: Rule;
  token: string;
  drillDown: boolean;
  checkTimes: number[];
  arrivalSpread: boolean;
}

/**
 * The judgements of a run of checks, each made exactly as the scheduler's check makes it
 * (`defaultJudge`: fetch the rule's scopes as of that moment, judge them) — ahead of the clock.
 */
export async function judgeChecks(job: JudgeJob): Promise<Array<[number, Judgement]>> {
  const replay = new ReplaySource(new Map(job.data), job.curve, job.account.settleMs, job.arrivalSpread);
  const ctx = { accounts: graphAccountsWith(job.token), graph: replay };
  const judge = defaultJudge(ctx, fixedCurves(job.curve));
  const out: Array<[number, Judgement]> = [];
  for (const now of job.checkTimes) {
    replay.asOfMs = now;
    // Every scope, whatever the budget: the replay keeps what each check's budget would have fetched.
    out.push([now, await judge(job.rule, job.account, now, job.drillDown)]);
  }
  return out;
}
