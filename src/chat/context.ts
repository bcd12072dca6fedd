import type { ChartRenderer, RenderedChart } from '../charts/render.js';
import type { Config } from '../config/load.js';
import type { AnalyticsSource } from '../graph/client.js';
import type { Report } from '../report/model.js';
import type { Store } from '../store/types.js';

/**
 * What a chat command does, the same for Slack and Teams: each platform parses with the shared
 * grammar, calls `runCommand`, and renders the result its own way.
 */
export type CommandResult =
  | { type: 'report'; report: Report; chart: RenderedChart; failureChart?: RenderedChart | undefined }
  | { type: 'notice'; title: string; lines: string[] };

export interface CommandContext {
  config: Config;
  env: NodeJS.ProcessEnv;
  store: Store;
  graph: AnalyticsSource;
  charts: ChartRenderer;
  now: () => number;
  /** How the command is typed on this platform, for help texts: "/waba" or "@waba-pulse". */
  prefix: string;
  /** Every platform's prefix: people type one platform's command on another ("/waba report" in Teams). */
  prefixes?: readonly string[] | undefined;
}
