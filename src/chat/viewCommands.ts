import type { Command } from '../command/grammar.js';
import { composeAccountViews, planCost, planTemplates } from '../compose/accountViews.js';
import type { ReportDeps } from '../compose/request.js';
import type { AccountConfig } from '../config/load.js';
import { ConfigError, isWabaPulseError } from '../errors.js';
import { errorMessage } from './surface.js';
import { costAnswer, numbersHealthLines, templatesAnswer, type ViewsAnswer } from './viewsPresentation.js';

/**
 * `cost`, `templates` and the health lines of `accounts`: the views the CLI shows, composed by
 * the same function (`composeAccountViews`), through the Graph client and in-memory cache
 * `serve` keeps for them. The account comes in already checked against the asker's access.
 */
function viewsSource(deps: ReportDeps): NonNullable<ReportDeps['views']> {
  if (!deps.views)
    throw new ConfigError('', 'health, cost and templates are not served by this process (no views source in its command context)');
  return deps.views;
}

export async function costCommand(
  deps: ReportDeps,
  account: AccountConfig,
  command: Extract<Command, { kind: 'cost' }>,
): Promise<ViewsAnswer> {
  const source = viewsSource(deps);
  const cost = planCost(account, command.range, deps.now());
  const views = await composeAccountViews({ ...source, now: deps.now }, { account, token: deps.accounts(account).token, cost });
  return costAnswer(views, command.by);
}

export async function templatesCommand(
  deps: ReportDeps,
  account: AccountConfig,
  command: Extract<Command, { kind: 'templates' }>,
): Promise<ViewsAnswer> {
  const source = viewsSource(deps);
  const templates = planTemplates(account, command.range, deps.now());
  const views = await composeAccountViews({ ...source, now: deps.now }, { account, token: deps.accounts(account).token, templates });
  return templatesAnswer(views);
}

/** Each number's quality, messaging limit and whether it can send, a line each; one line when it cannot be read. */
export async function numberHealthLines(deps: ReportDeps, account: AccountConfig): Promise<string[]> {
  if (!deps.views) return [];
  try {
    const views = await composeAccountViews(
      { graph: deps.views.graph, now: deps.now },
      { account, token: deps.accounts(account).token, health: { since: Math.floor(deps.now() / 1000) } },
    );
    return numbersHealthLines(views.health!.numbers, true);
  } catch (err) {
    if (!isWabaPulseError(err)) throw err;
    return [`Health unavailable: ${errorMessage(err)}`];
  }
}
