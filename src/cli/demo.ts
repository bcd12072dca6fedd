import { join, relative } from 'node:path';
import { composeReport } from '../compose/composeReport.js';
import { buildConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { resolveRange, type RangeSpec } from '../query/range.js';
import { formatRate } from '../report/format.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../sandbox/accounts.js';
import { SANDBOX_TOKEN_ENV, sandboxConfigDocument } from '../sandbox/config.js';
import { startSandbox } from '../sandbox/server.js';
import { ensureDir, type CliIo } from './io.js';
import { graphClientFor, writeReportFiles } from './report.js';

/** What a digest would post: yesterday by phone number, and the last week by country. */
const DEMO_REPORTS: Array<{ folder: string; title: string; spec: RangeSpec; by: 'phone' | 'country' }> = [
  { folder: 'daily', title: 'daily digest (yesterday, by phone number)', spec: { preset: 'yesterday' }, by: 'phone' },
  { folder: 'weekly', title: 'weekly digest (last 7 days, by country)', spec: { last: '7d' }, by: 'country' },
];

/**
 * The product with no Meta account: the sandbox on a free loopback port, every sample account
 * reported as a digest would be, files under ./out/demo/.
 */
export async function runDemo(opts: { out?: string }, io: CliIo, logger: Logger): Promise<number> {
  const now = io.now ?? Date.now;
  const outRoot = ensureDir(opts.out ?? join(io.cwd, 'out', 'demo'), '--out');
  const accounts = sampleAccounts(now());
  const sandbox = await startSandbox({ accounts, now, logger });
  const env = { ...io.env, GRAPH_API_URL: sandbox.url, GRAPH_API_VERSION: undefined, [SANDBOX_TOKEN_ENV]: SANDBOX_TOKEN };
  const config = buildConfig(sandboxConfigDocument(accounts, sandbox.url), env, '<demo>');
  const graph = graphClientFor(config, logger, io);
  io.stdout.write(`waba-pulse demo: sandbox Graph at ${sandbox.url} with ${accounts.length} sample accounts\n\n`);
  try {
    for (const account of config.accounts) {
      io.stdout.write(`${account.displayName} (${account.timezone})\n`);
      for (const demo of DEMO_REPORTS) {
        const { range, granularity } = resolveRange(demo.spec, account.timezone, now());
        const started = performance.now();
        const report = await composeReport({ graph, now }, { account, token: SANDBOX_TOKEN, range, granularity, by: demo.by });
        const dir = join(outRoot, account.name, demo.folder);
        const written = await writeReportFiles(report, dir, config);
        const ms = Math.round(performance.now() - started);
        io.stdout.write(
          `  ${demo.title}: ${formatRate(report.totals.deliveryRate)} of ${report.totals.sent.toLocaleString('en-US')} delivered, ` +
            `${report.anomalies.length} anomal${report.anomalies.length === 1 ? 'y' : 'ies'} (${ms} ms)\n`,
        );
        for (const a of report.anomalies.slice(0, 3)) io.stdout.write(`    [${a.severity}] ${a.explanation}\n`);
        io.stdout.write(`    → ${relative(io.cwd, written.chart) || written.chart}\n`);
      }
      io.stdout.write('\n');
    }
    io.stdout.write(`Done: ${sandbox.stats.requests} Graph requests. Each folder under ${relative(io.cwd, outRoot) || outRoot}/ holds chart.png, summary.txt and report.json.\n`);
    return 0;
  } finally {
    await graph.close();
    await sandbox.close();
  }
}
