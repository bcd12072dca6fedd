import type { AnyChatPlatform } from './chat/platform.js';
import { slackPlatform } from './chat/slack/platform.js';
import { teamsPlatform } from './chat/teams/platform.js';

/**
 * The chat platforms this build has, side by side: one line each. Each is a folder under
 * src/chat/ behind the one ChatPlatform contract (src/chat/platform.ts).
 */
export const CHAT_PLATFORMS: readonly AnyChatPlatform[] = [slackPlatform, teamsPlatform];

/** A platform by its key (`slack`), if this build has it. */
export function chatPlatform(key: string): AnyChatPlatform | undefined {
  return CHAT_PLATFORMS.find((p) => p.config.key === key);
}
