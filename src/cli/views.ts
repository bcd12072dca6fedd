import { composeAccountViews, planCost, planTemplates, ViewCache } from '../compose/accountViews.js';
import { findAccount } from '../config/load.js';
import { accountToken } from '../config/tokens.js';
import { loadConfig } from '../configure.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { OutputFolder } from '../output/folder.js';
import { type AccountViews, costJson, costText, healthJson, healthText, templatesJson, templatesText } from '../report/accountViews.js';
import { quoted } from '../text.js';
import type { CliIo } from './io.js';
import { parseFormat, type ReportOptions } from './options.js';
import { graphClientFor, storeWithStatuses } from './sources.js';

/**
 * `report --view cost|templates` and `waba-pulse health`: one account's cost, template funnels
 * or health, composed by the one function the demo (and chat, next) use, printed as text or
 * JSON, and with `--out` written as one set of files or none.
 */
export type View = 'delivery' | 'cost' | 'templates';

export function parseView(value: string | undefined): View {
  const view = (value ?? 'delivery').trim().toLowerCase();
  if (view === 'delivery' || view === 'cost' || view === 'templates') return view;
  throw new UsageError(`unknown --view ${quoted(value)}`, 'use delivery (the default), cost or templates');
}

/** What every view command starts from: the config, the account `--account` names, the output format. */
function viewCommand(opts: { account?: string | undefined; format?: string | undefined }, io: CliIo, configPath: string | undefined) {
  const config = loadConfig(io.env, configPath);
  if (!opts.account) throw new UsageError('--account is required', `name one of: ${config.accounts.map((a) => a.name).join(', ')}`);
  return { config, account: findAccount(config, opts.account), format: parseFormat(opts.format) };
}

/** What `--by` means for the cost view: its breakdown in text (JSON has both). */
function costBy(value: string | undefined): 'category' | 'country' {
  if (value === undefined) return 'category';
  const by = value.trim().toLowerCase();
  if (by === 'category' || by === 'country') return by;
  throw new UsageError(`unknown --by ${quoted(value)} for the cost view`, 'use category or country');
}

/** Flags that belong to another view: refused in one line rather than ignored. */
function refuseOthers(view: View, opts: ReportOptions): void {
  if (opts.granularity !== undefined)
    throw new UsageError(
      `--granularity is for the delivery view; the ${view} view counts whole days`,
      `drop --granularity, or use --view delivery`,
    );
  if (view === 'templates' && opts.by !== undefined)
    throw new UsageError('--by is for the delivery and cost views', 'drop --by: the templates view lists every template');
  if (view === 'cost' && opts.template !== undefined) throw new UsageError('--template is for the templates view', 'use --view templates');
}

export async function runView(
  view: 'cost' | 'templates',
  opts: ReportOptions,
  io: CliIo,
  configPath: string | undefined,
  logger: Logger,
): Promise<number> {
  const now = io.now;
  const { config, account, format } = viewCommand(opts, io, configPath);
  refuseOthers(view, opts);
  const by = view === 'cost' ? costBy(opts.by) : undefined;
  const range = { from: opts.from, to: opts.to, last: opts.last };
  const templateIds = opts.template
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const cost = view === 'cost' ? planCost(account, range, now()) : undefined;
  const templates = view === 'templates' ? planTemplates(account, range, now(), templateIds) : undefined;
  const token = accountToken(account, io.env);
  // Checked before any Graph call: a folder that cannot take the files costs nothing.
  const out = opts.out ? OutputFolder.open(opts.out, '--out') : undefined;
  const graph = graphClientFor(config, logger, io);
  try {
    const views = await composeAccountViews({ graph, now, cache: new ViewCache() }, { account, token, cost, templates });
    const json = `${JSON.stringify(view === 'cost' ? costJson(views) : templatesJson(views), null, 2)}\n`;
    const text = view === 'cost' ? costText(views, by) : templatesText(views);
    io.stdout.write(format === 'json' ? json : text);
    if (out)
      io.stderr.write(
        `wrote ${out
          .write([
            { name: `${view}.json`, data: json },
            { name: 'summary.txt', data: text },
          ])
          .join(', ')}\n`,
      );
    return 0;
  } finally {
    await graph.close();
  }
}

/** How far back the health view lists the health webhooks. */
const EVENTS_SECONDS = 7 * 86_400;

export async function runHealth(
  opts: { account?: string; format?: string },
  io: CliIo,
  configPath: string | undefined,
  logger: Logger,
): Promise<number> {
  const now = io.now;
  const { config, account, format } = viewCommand(opts, io, configPath);
  const token = accountToken(account, io.env);
  const graph = graphClientFor(config, logger, io);
  // The health webhooks `serve` kept, when there is a store to read: a command never creates one.
  const store = await storeWithStatuses(io, config);
  try {
    const views: AccountViews = await composeAccountViews(
      { graph, now, events: store },
      { account, token, health: { since: Math.floor(now() / 1000) - EVENTS_SECONDS } },
    );
    if (!store)
      views.notes.push('No health events: they come from the webhooks `serve` keeps in its store (DATABASE_URL, or ./data/waba-pulse.db).');
    io.stdout.write(format === 'json' ? `${JSON.stringify(healthJson(views), null, 2)}\n` : healthText(views, now()));
    return 0;
  } finally {
    await graph.close();
    await store?.close();
  }
}
