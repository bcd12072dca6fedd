/**
 * The rule form's Preview (a 30-day backtest of the rule, written into the open Slack modal by
 * views.update) against a sandbox Graph answering in 100 ms in its own process: from the click's
 * request to the modal's update, on a cold cache and then warm. Baseline: the same backtest
 * called directly (`runBacktest`, what `waba-pulse backtest` runs) on a fresh Graph client.
 * Run: npm run bench:preview
 */
import { runBacktest } from '../src/alerts/backtest/run.js';
import { DEFAULT_SETTLE_CURVE } from '../src/analytics/settle.js';
import { validateChatRule } from '../src/config/chatRules.js';
import { GraphClient } from '../src/graph/client.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { forkSandbox } from './sandboxProcess.js';
import { startSlackBench } from './slackService.js';

const SECRET = 'bench-preview-secret';
const WARM_RUNS = 3;

async function main(): Promise<void> {
  const now = Date.now();
  const sandbox = await forkSandbox({ extraAccounts: 0, latencyMs: 100, now });
  const accounts = sampleAccounts(now);
  const { config, slack, interaction: post, close } = await startSlackBench({ accounts, graphUrl: sandbox.url, signingSecret: SECRET });
  slack.setMembership('U0BENCH', ['C0BENCH']);
  const user = { id: 'U0BENCH', team_id: 'T0' };
  await post({
    type: 'block_actions',
    user,
    trigger_id: '1.1',
    actions: [{ action_id: 'setup_new_rule', type: 'button', value: 'new' }],
  });
  await slack.waitFor(() => slack.openedViews()[0]);
  const viewId = slack.openedViews()[0]!;
  const values = {
    channel: { value: { type: 'conversations_select', selected_conversation: 'C0BENCH' } },
    account: { value: { type: 'static_select', selected_option: { value: 'acme-retail' } } },
    source: { value: { type: 'static_select', selected_option: { value: 'graph' } } },
    sensitivity: { value: { type: 'static_select', selected_option: { value: 'normal' } } },
    drill_down: { value: { type: 'checkboxes', selected_options: [{ value: 'phone' }, { value: 'country' }] } },
  };
  const preview = async () => {
    const before = slack.calls.filter((c) => c.method === 'views.update').length;
    const started = performance.now();
    await post({
      type: 'block_actions',
      user,
      view: {
        id: viewId,
        hash: slack.openView(viewId)!.hash,
        type: 'modal',
        callback_id: 'setup_rule_form',
        private_metadata: '{}',
        state: { values },
      },
      actions: [{ action_id: 'setup_preview', block_id: 'preview', type: 'button', value: 'preview' }],
    });
    await slack.waitFor(() => slack.calls.filter((c) => c.method === 'views.update')[before], 120_000);
    return performance.now() - started;
  };
  const cold = await preview();
  const warm: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) warm.push(await preview());
  const answer = String(
    (
      slack.calls.filter((c) => c.method === 'views.update').at(-1)!.args.view as {
        blocks: Array<{ block_id?: string; text?: { text: string } }>;
      }
    ).blocks.find((b) => b.block_id === 'preview_result')?.text?.text,
  ).split('\n')[0];

  // Baseline: the backtest itself, on a Graph client of its own (cold), as the CLI runs it.
  const account = config.accounts.find((a) => a.name === 'acme-retail')!;
  const checked = validateChatRule(
    config,
    { platform: 'slack', conversation: 'C0BENCH' },
    { account: 'acme-retail', targets: [{ slack: { channel: 'C0BENCH' } }] },
  );
  if (!checked.ok || checked.rule.kind !== 'drop') throw new Error('bench rule does not validate');
  const graph = new GraphClient({ ...config.graph, now: Date.now });
  const started = performance.now();
  const end = Math.floor(Date.now() / 1000);
  await runBacktest(graph, {
    config,
    account,
    token: 'sandbox-token',
    rule: checked.rule,
    range: { start: end - 30 * 86_400, end },
    curve: DEFAULT_SETTLE_CURVE,
    maxCalls: 1000,
  });
  const baseline = performance.now() - started;
  await graph.close();

  const median = [...warm].sort((a, b) => a - b)[Math.floor(warm.length / 2)]!;
  console.log(
    `waba-pulse rule preview bench (node ${process.version}; sandbox Graph at 100 ms per request in its own process, fake Slack on loopback)`,
  );
  console.log(`answer: ${answer}`);
  console.log(`preview, click to views.update, cold cache: ${cold.toFixed(0)} ms (${(cold / baseline).toFixed(2)}× the bare backtest)`);
  console.log(
    `preview, click to views.update, warm (median of ${WARM_RUNS}): ${median.toFixed(0)} ms (${(median / baseline).toFixed(2)}×)`,
  );
  console.log(`baseline: runBacktest alone, 30 days, cold Graph client: ${baseline.toFixed(0)} ms`);
  await close();
  await sandbox.close();
}

await main();
