/**
 * One waba-pulse service in its own process, webhooks only, for bench/webhooks.ts: started on a
 * free port against the database given, it reports its URL, then its peak RSS when asked.
 * Parent messages: {type:'rss'} -> {rss, counted, duplicates, batches}.
 */
import { buildConfig } from '../src/configure.js';
import { silentLogger } from '../src/log.js';
import { startService } from '../src/serve/service.js';

interface Options {
  databaseUrl: string;
  accountId: string;
  appSecret: string;
}

const options = JSON.parse(process.argv[2]!) as Options;
const config = buildConfig(
  { accounts: [{ id: options.accountId, name: 'bench', token: '${T}', timezone: 'UTC' }] },
  { DATABASE_URL: options.databaseUrl, WHATSAPP_APP_SECRET: options.appSecret, WHATSAPP_VERIFY_TOKEN: 'bench' },
);
const service = await startService({
  config,
  env: { T: 'x' },
  logger: silentLogger,
  port: 0,
  host: '127.0.0.1',
  schedule: false,
  now: Date.now,
});
let peak = process.memoryUsage().rss;
setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50).unref();
process.on('message', () => {
  const totals = service.ingest!.totals;
  process.send!({ rss: peak, ...totals });
});
process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
process.send!({ url: `${service.url}/whatsapp/webhook` });
