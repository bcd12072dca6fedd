import type { ChartLinks } from '../charts/links.js';
import type { Config, PlatformConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { CommandContext } from './context.js';
import type { ChatSurface } from './surface.js';

/**
 * A chat platform, whole, as one typed definition in its folder (`src/chat/<name>/platform.ts`):
 * what the config reads of it, whether the environment enables it (a half-configured one is a
 * ConfigError naming what is missing), who its access rules match, how people type commands on
 * it, and how to make its surface — its SDK loaded only when it is enabled. Nothing outside its
 * folder names it; adding a platform is a folder and a line in `registry.ts`.
 */
export interface ChatPlatform<S extends object = object> {
  /** Its key, label, targets, access rule fields, config block and environment variables. */
  config: PlatformConfig;
  /** Settings from the environment and its config block, or undefined when it is off. */
  settings(config: Config): S | undefined;
  /** What turns it on, for the line that says nothing is configured. */
  enableHint: string;
  /** How people type commands on it, for help texts. */
  prefix(config: Config): string;
  /** The HTTP routes it will mount on the serve port: answered 503 with Retry-After until it is up. */
  paths(settings: S): string[];
  /** When it accepts requests nobody authenticated: the config key that allows it and how to stop it. `serve` then listens on loopback only. */
  unauthenticated(settings: S): { key: string; fix: string } | undefined;
  create(settings: S, ctx: CommandContext, deps: { links: ChartLinks; log: Logger }): Promise<ChatSurface>;
  /** What `serve --help` says it runs: "Slack (/slack/events, or Socket Mode)". */
  serves: string;
  /** CLI commands of its own (Teams' app package), loaded only when run. */
  commands?: readonly PlatformCommand[];
}

/** A CLI command a platform adds (`waba-pulse teams-package`). */
export interface PlatformCommand {
  name: string;
  description: string;
  /** `[flags, description]` as commander takes them. */
  options: ReadonlyArray<readonly [string, string]>;
  run(opts: Record<string, string | boolean | undefined>, io: PlatformCommandIo): Promise<number>;
}

/** What a platform's command may touch (the CLI's streams, environment and folder). */
export interface PlatformCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A platform whose settings type has been forgotten, as the registry holds them side by side. */
// biome-ignore lint/suspicious/noExplicitAny: each entry keeps its own settings type; callers pass back what settings() gave.
export type AnyChatPlatform = ChatPlatform<any>;
