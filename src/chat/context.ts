import type { ChartedReport, ReportDeps } from '../compose/request.js';
import type { StoreWith } from '../store/types.js';
import type { ViewsAnswer } from './viewsPresentation.js';

/**
 * What a chat command does, the same for Slack and Teams: each platform parses with the shared
 * grammar, calls `runCommand`, and renders the result its own way.
 */
export type CommandResult = ChartedReport | ViewsAnswer | { type: 'notice'; title: string; lines: string[] };

/**
 * What commands run with: what a report needs, the store's repositories the chat surfaces use
 * (preferences for commands, alerts for buttons, conversations for Teams, seen-marks for Slack's
 * replay guard), and how commands are typed here.
 */
export interface CommandContext extends ReportDeps {
  store: StoreWith<'preferences' | 'alerts' | 'statuses' | 'conversations' | 'seen' | 'rules' | 'health'>;
  /** How the command is typed on this platform, for help texts: "/waba" or "@waba-pulse". */
  prefix: string;
  /** Lines a platform adds to `help` for what only it offers (Slack's settings form). */
  moreHelp?: readonly string[] | undefined;
  /** Every platform's prefix: people type one platform's command on another ("/waba report" in Teams). */
  prefixes?: readonly string[] | undefined;
}
