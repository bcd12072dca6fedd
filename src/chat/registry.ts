import type { AnyChatPlatform } from './platform.js';
import { slackPlatform } from './slack/platform.js';
import { teamsPlatform } from './teams/platform.js';

/** The chat platforms this build has, side by side: one line each. */
export const CHAT_PLATFORMS: readonly AnyChatPlatform[] = [slackPlatform, teamsPlatform];

/** A platform by its key (`slack`), if this build has it. */
export function chatPlatform(key: string): AnyChatPlatform | undefined {
  return CHAT_PLATFORMS.find((p) => p.config.key === key);
}
