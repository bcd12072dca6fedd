import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CHAT_PLATFORMS } from '../chatPlatforms.js';
import { createLogger, type Logger } from '../log.js';
import type { BacktestOptions } from './backtest.js';
import { describeError } from './errorLine.js';
import type { CliIo } from './io.js';
import type { ReportOptions } from './options.js';

export type { CliIo };

/** The version in package.json (two folders up from src/cli/ and dist/cli/ alike). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * Commander keeps the last of a repeated option (`--by phone --by country` would mean country);
 * a repeat is more likely a mistake than a wish, so it is refused with both values named.
 */
function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options) {
    if (!option.required && !option.optional) continue;
    let seen: string | undefined;
    option.argParser((value: string) => {
      if (seen !== undefined) throw new InvalidArgumentError(`${option.long} is given twice ("${seen}", then "${value}") — give it once`);
      seen = value;
      return value;
    });
  }
}

/**
 * `waba-pulse <command>`: parses flags with commander, runs the command, and turns any error
 * into one line and an exit code (0 ok, 1 runtime failure, 2 bad input, 130 interrupted). Each
 * command's module is loaded only when that command runs: `--help` or a report never pays for
 * the Slack and Teams SDKs that `serve` needs.
 */
/** What every command's action needs of the run: the io, the global options, where its exit code goes. */
interface CliRun {
  io: CliIo;
  config(): string | undefined;
  logger(fallbackLevel?: string): Logger;
  exitCode: number;
}

/** The commands that read Graph: report, health, templates enable, backtest. */
function addReportCommands(program: Command, ctx: CliRun): Command {
  program
    .command('report')
    .description('fetch analytics for one account and print a delivery report')
    .option('--account <id|name>', 'account id or name from the config')
    .option('--from <time>', 'start: YYYY-MM-DD (in the account time zone), ISO time or UNIX seconds')
    .option('--to <time>', 'end: a bare date includes that whole day')
    .option('--last <period>', 'the last 24h, or 7d / 4w / 3m of whole days (weeks, months) before today')
    .option('--granularity <g>', 'half_hour (or hourly) | day | month (default: from the range)')
    .option('--by <dimension>', 'break down by phone | country (delivery); category | country (cost)')
    .option('--view <view>', 'delivery (default) | cost (pricing analytics) | templates (template funnels)')
    .option('--template <ids>', 'templates view: only these template ids or names, comma-separated')
    .addOption(new Option('--format <format>', 'text | json').default('text'))
    .option(
      '--out <dir>',
      'also write chart.png, summary.txt and report.json into this folder (cost.json or templates.json for those views)',
    )
    .action(async (opts: ReportOptions) => {
      ctx.exitCode = await (await import('./report.js')).runReport(opts, ctx.io, ctx.config(), ctx.logger());
    });

  program
    .command('health')
    .description(
      "one account's numbers (quality, messaging limit, throughput, name, status, can send), templates paused, disabled or rated low, and the health webhooks of the last 7 days",
    )
    .option('--account <id|name>', 'account id or name from the config')
    .addOption(new Option('--format <format>', 'text | json').default('text'))
    .action(async (opts: { account?: string; format?: string }) => {
      ctx.exitCode = await (await import('./views.js')).runHealth(opts, ctx.io, ctx.config(), ctx.logger());
    });

  const templates = program.command('templates').description('message templates: template insights');
  templates
    .command('enable')
    .description('switch template insights on for an account (template_analytics) — it cannot be undone, so it asks for --yes')
    .option('--account <id|name>', 'account id or name from the config')
    .option('--yes', 'yes, switch them on for good')
    .action(async (opts: { account?: string; yes?: boolean }) => {
      ctx.exitCode = await (await import('./templates.js')).runTemplatesEnable(opts, ctx.io, ctx.config(), ctx.logger());
    });

  program
    .command('backtest')
    .description('replay an alert rule over a past window, as the scheduler would have run it, and list the alerts it would have raised')
    .option('--account <id|name>', 'account id or name from the config')
    .option('--rule <name>', "a named rule under alerts: (default: the account's first rule, else the defaults)")
    .option('--from <time>', 'start: YYYY-MM-DD (in the account time zone), ISO time or UNIX seconds')
    .option('--to <time>', 'end: a bare date includes that whole day')
    .option('--last <period>', 'the last 24h, or 7d / 4w of whole days before today (default 30d)')
    .addOption(new Option('--format <format>', 'text | json').default('text'))
    .option('--out <dir>', 'also write chart.png (episodes shaded) and backtest.json into this folder')
    .action(async (opts: BacktestOptions) => {
      ctx.exitCode = await (await import('./backtest.js')).runBacktestCommand(opts, ctx.io, ctx.config(), ctx.logger());
    });

  return templates;
}

/** The commands that run things locally: demo, sandbox. */
function addToolCommands(program: Command, ctx: CliRun): void {
  program
    .command('demo')
    .description('run the sandbox and write what a digest would post for every sample account under ./out/demo/')
    .option('--out <dir>', 'where to write (default ./out/demo)')
    .action(async (opts: { out?: string }) => {
      ctx.exitCode = await (await import('./demo.js')).runDemo(opts, ctx.io, ctx.logger());
    });

  program
    .command('sandbox')
    .description('serve a Graph-compatible API over synthetic traffic')
    .option('--port <n>', 'port (0 = any free port)', '8787')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--latency <ms>', 'delay every answer by this many milliseconds')
    .option('--extra-accounts <n>', 'add this many synthetic accounts (for benchmarks)')
    .option(
      '--webhook-url <url>',
      "POST signed status webhooks of the synthetic traffic here every minute (a serve's /whatsapp/webhook; app secret from WHATSAPP_APP_SECRET)",
    )
    .option('--webhook-backfill <duration>', 'first send the statuses of this long before now, e.g. 2d (at most 7d)')
    .option('--failure-burst <duration>', "hold back a quarter of Acme Retail's marketing (131049) from now for this long, e.g. 15m")
    .action(async (opts: import('./sandbox.js').SandboxOptions) => {
      ctx.exitCode = await (await import('./sandbox.js')).runSandbox(opts, ctx.io, ctx.logger());
    });
}

/** The service and its upkeep: serve, migrate, runs, the platforms' own commands, check. */
function addServiceCommands(program: Command, ctx: CliRun): void {
  program
    .command('serve')
    .description(
      `run the service on PORT: ${CHAT_PLATFORMS.map((p) => p.serves).join(', ')}, WhatsApp status webhooks (/whatsapp/webhook), digests and alerts on their schedules, /healthz and /metrics`,
    )
    .action(async () => {
      ctx.exitCode = await (await import('./serve.js')).runServe(ctx.io, ctx.config(), ctx.logger('info'));
    });

  program
    .command('migrate')
    .description('create or update the database schema (DATABASE_URL; default SQLite under ./data)')
    .action(async () => {
      ctx.exitCode = await (await import('./migrate.js')).runMigrate(ctx.io);
    });

  program
    .command('runs')
    .description('list the latest scheduled runs (digests, alerts) and their outcome')
    .option('--limit <n>', 'how many (default 30)')
    .option('--failed', 'only failures (exit 1 if there are any)')
    .option('--changes', 'instead: who changed which alert rule or digest made in chat, when, before → after')
    .action(async (opts: { limit?: string; failed?: boolean; changes?: boolean }) => {
      ctx.exitCode = await (await import('./runs.js')).runRuns(opts, ctx.io, ctx.config());
    });

  const rules = program.command('rules').description('alert rules made in chat');
  rules
    .command('export')
    .description('print the alert rules made in chat as an alerts: fragment for waba-pulse.yaml')
    .option('--format <format>', 'yaml (default) or json')
    .action(async (opts: { format?: string }) => {
      ctx.exitCode = await (await import('./rules.js')).runRulesExport(opts, ctx.io);
    });

  // Commands a chat platform adds of its own (Teams' app package).
  for (const command of CHAT_PLATFORMS.flatMap((p) => p.commands ?? [])) {
    const added = program.command(command.name).description(command.description);
    for (const [flags, description] of command.options) added.option(flags, description);
    added.action(async (opts: Record<string, string | boolean | undefined>) => {
      ctx.exitCode = await command.run(opts, ctx.io);
    });
  }

  program
    .command('check')
    .description('validate the config and environment, refusing what serve would refuse; --online also tries each token against Graph')
    .option('--online', 'call Graph once per account')
    .action(async (opts: { online?: boolean }) => {
      ctx.exitCode = await (await import('./check.js')).runCheck(opts, ctx.io, ctx.config(), ctx.logger());
    });
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let debug = argv.includes('--debug');

  const program = new Command('waba-pulse')
    .description(
      `WhatsApp Business delivery analytics: reports, digests and drop alerts for ${CHAT_PLATFORMS.map((p) => p.config.label).join(' and ')}.`,
    )
    .option('--config <path>', 'config file (default: $WABA_PULSE_CONFIG or ./waba-pulse.yaml)')
    .option('--debug', 'show stack traces and debug logs')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {}, // reported by describeError, once
    })
    .showSuggestionAfterError(true)
    .version(packageVersion(), '--version', 'print the version');

  const globals = () => program.opts<{ config?: string; debug?: boolean }>();

  const ctx: CliRun = {
    io,
    config: () => globals().config,
    logger: (fallbackLevel = 'silent') =>
      createLogger({ level: debug ? 'debug' : (io.env.LOG_LEVEL ?? fallbackLevel), destination: io.stderr }),
    exitCode: 0,
  };
  const templates = addReportCommands(program, ctx);
  addToolCommands(program, ctx);
  addServiceCommands(program, ctx);

  for (const command of [...program.commands, ...templates.commands]) refuseRepeatedOptions(command);

  try {
    await program.parseAsync(argv, { from: 'user' });
    debug = debug || Boolean(globals().debug);
    return ctx.exitCode;
  } catch (err) {
    if (
      err instanceof CommanderError &&
      (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
    )
      return 0;
    if (err instanceof CommanderError && err.code === 'commander.executeSubCommandAsync') return 2;
    const { text, exitCode: code } = describeError(err, debug);
    io.stderr.write(text);
    return code;
  }
}
