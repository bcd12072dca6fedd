/**
 * Slash-command acknowledgement latency (p50/p99 over 200 signed requests on loopback) and the
 * time until the full report arrives on the response_url, against a sandbox Graph that answers
 * in 100 ms (in its own process) and a loopback fake Slack.
 * Run: npm run bench:slack
 */
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { slackSignedRequest } from '../test/fakes/slack.js';
import { forkSandbox } from './sandboxProcess.js';
import { startSlackBench } from './slackService.js';
import { percentile } from './stats.js';

const SECRET = 'bench-signing-secret';
const REQUESTS = 200;
const REPORTS = 20;

async function main(): Promise<void> {
  const now = Date.now();
  const sandbox = await forkSandbox({ extraAccounts: 0, latencyMs: 100, now });
  const accounts = sampleAccounts(now);
  const { slack, service, close } = await startSlackBench({
    accounts,
    graphUrl: sandbox.url,
    signingSecret: SECRET,
    access: [{ slack: {}, accounts: '*' }],
  });

  let n = 0;
  const send = async (text: string) => {
    const id = `b${++n}`;
    const body = new URLSearchParams({
      command: '/waba',
      text,
      channel_id: 'C0BENCH',
      user_id: 'U0BENCH',
      team_id: 'T0',
      response_url: slack.responseUrl(id),
    }).toString();
    const request = slackSignedRequest(body, SECRET);
    const started = performance.now();
    const res = await fetch(`${service.url}/slack/events`, request);
    await res.text();
    const ack = performance.now() - started;
    return { id, ack, started };
  };

  for (let i = 0; i < 20; i++) await send('help'); // warm up
  const acks: number[] = [];
  for (let i = 0; i < REQUESTS; i++) acks.push((await send('help')).ack);

  const reportAcks: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < REPORTS; i++) {
    const account = accounts[i % accounts.length]!.name;
    const { id, ack, started } = await send(`report ${account} yesterday by phone`);
    reportAcks.push(ack);
    await slack.waitFor(() => slack.responses.find((r) => r.id === id), 60_000);
    full.push(performance.now() - started);
  }
  const graphRequests = await sandbox.requests();

  console.log(`waba-pulse Slack bench (node ${process.version}; sandbox Graph at 100 ms per request, fake Slack on loopback)`);
  console.log(
    `acknowledgement, ${REQUESTS} signed /waba help requests:      p50 ${percentile(acks, 50).toFixed(1)} ms, p99 ${percentile(acks, 99).toFixed(1)} ms (Slack allows 3,000 ms)`,
  );
  console.log(
    `acknowledgement, ${REPORTS} signed /waba report requests:      p50 ${percentile(reportAcks, 50).toFixed(1)} ms, p99 ${percentile(reportAcks, 99).toFixed(1)} ms`,
  );
  console.log(
    `full report on the response_url (yesterday, by phone, chart): p50 ${percentile(full, 50).toFixed(0)} ms, p99 ${percentile(full, 99).toFixed(0)} ms (${(graphRequests / REPORTS).toFixed(1)} Graph requests per report)`,
  );
  await close();
  await sandbox.close();
}

await main();
