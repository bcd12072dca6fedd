/**
 * Setting up from Slack, timed against a sandbox Graph answering in 100 ms in its own process and
 * the fake Slack on loopback: the App Home of a person whose channel sees 20 accounts, from
 * `app_home_opened` to `views.publish` (cold, then warm); and 20 people at once clicking New
 * digest (click to `views.open`) and saving a digest (the `view_submission` answered).
 * Run: npm run bench:home
 */
import { sampleAccounts, syntheticAccounts } from '../src/sandbox/accounts.js';
import { forkSandbox } from './sandboxProcess.js';
import { startSlackBench } from './slackService.js';

const SECRET = 'bench-home-secret';
const PEOPLE = 20;
const WARM_RUNS = 3;

async function main(): Promise<void> {
  const now = Date.now();
  const accounts = [...sampleAccounts(now), ...syntheticAccounts(20 - sampleAccounts(now).length)];
  const sandbox = await forkSandbox({ extraAccounts: 20 - sampleAccounts(now).length, latencyMs: 100, now });
  const { slack, service, post, interaction, close } = await startSlackBench({ accounts, graphUrl: sandbox.url, signingSecret: SECRET });
  const users = Array.from({ length: PEOPLE }, (_, i) => `U0BENCH${i}`);
  for (const u of users) slack.setMembership(u, ['C0BENCH']);
  const count = (method: string, user?: string) =>
    slack.calls.filter((c) => c.method === method && (!user || c.args.user_id === user || c.args.trigger_id === user)).length;

  let events = 0;
  const home = async (user: string) => {
    const before = count('views.publish', user);
    const started = performance.now();
    await post(
      JSON.stringify({
        type: 'event_callback',
        team_id: 'T0',
        event_id: `Ev${++events}`,
        event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
      }),
      'application/json',
    );
    await slack.waitFor(() => (count('views.publish', user) > before ? true : undefined), 60_000);
    return performance.now() - started;
  };
  const cold = await home(users[0]!);
  const warm: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) warm.push(await home(users[0]!));

  // 20 people at once: New digest, then Save.
  const opened = await Promise.all(
    users.map(async (u) => {
      const started = performance.now();
      const acked = interaction({
        type: 'block_actions',
        user: { id: u, team_id: 'T0' },
        trigger_id: `t-${u}`,
        actions: [{ action_id: 'setup_new_digest', type: 'button', value: 'new' }],
      }).then(() => performance.now() - started);
      await slack.waitFor(() => (count('views.open', `t-${u}`) ? true : undefined), 30_000);
      return { ack: await acked, open: performance.now() - started };
    }),
  );
  const select = (v: string) => ({ value: { type: 'static_select', selected_option: { value: v } } });
  const saved = await Promise.all(
    users.map(async (u, i) => {
      const state = {
        values: {
          digest_channel: { value: { type: 'conversations_select', selected_conversation: 'C0BENCH' } },
          digest_account: select(accounts[i]!.name),
          digest_every: select('daily'),
          digest_at: { value: { type: 'timepicker', selected_time: '09:00' } },
          digest_timezone: { value: { type: 'plain_text_input', value: 'UTC' } },
          digest_by: select('none'),
        },
      };
      const started = performance.now();
      const answer = await interaction({
        type: 'view_submission',
        user: { id: u, team_id: 'T0' },
        view: { id: `V${u}`, type: 'modal', callback_id: 'setup_digest_form', private_metadata: '{}', state },
      });
      if (answer.includes('errors')) throw new Error(`digest not saved: ${answer}`);
      return performance.now() - started;
    }),
  );
  const stored = (await service.store.preferences.listSubscriptions()).length;
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const p = (xs: number[], q: number) => sorted(xs)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;
  console.log(
    `waba-pulse App Home and forms bench (node ${process.version}; sandbox Graph at 100 ms per request in its own process, fake Slack on loopback)`,
  );
  console.log(
    `App Home, 20 accounts, app_home_opened to views.publish: cold ${cold.toFixed(0)} ms, warm median of ${WARM_RUNS} ${sorted(warm)[1]!.toFixed(0)} ms`,
  );
  const acks = opened.map((o) => o.ack);
  const opens = opened.map((o) => o.open);
  console.log(
    `New digest, ${PEOPLE} people at once: acknowledged p50 ${p(acks, 0.5).toFixed(0)} ms, p99 ${p(acks, 0.99).toFixed(0)} ms; views.open p50 ${p(opens, 0.5).toFixed(0)} ms, p99 ${p(opens, 0.99).toFixed(0)} ms`,
  );
  console.log(
    `Save digest, ${PEOPLE} people at once (view_submission answered): p50 ${p(saved, 0.5).toFixed(0)} ms, p99 ${p(saved, 0.99).toFixed(0)} ms; ${stored} stored`,
  );
  await close();
  await sandbox.close();
}

await main();
