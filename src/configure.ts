import { CHAT_PLATFORMS } from './chatPlatforms.js';
import { buildConfigFor, type Config, loadConfigFor } from './config/load.js';

/**
 * The config as this build reads it: with the chat platforms it has (each declares its targets,
 * access rules, block and environment variables). Every command and test loads it here.
 */
const PLATFORM_CONFIGS = CHAT_PLATFORMS.map((p) => p.config);

export function loadConfig(env: NodeJS.ProcessEnv, path?: string): Config {
  return loadConfigFor(PLATFORM_CONFIGS, env, path);
}

/** Validate an already-parsed document (the demo's embedded config, tests). */
export function buildConfig(document: unknown, env: NodeJS.ProcessEnv, path?: string): Config {
  return buildConfigFor(PLATFORM_CONFIGS, document, env, path);
}
