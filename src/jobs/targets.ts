import type { Target } from '../config/schema.js';
import type { ChatTarget } from '../store/types.js';

/** A config target (`{ slack: { channel } }`, `{ teams: { conversation } }`) as a chat target. */
export function targetOf(t: Target): ChatTarget {
  return 'slack' in t ? { platform: 'slack', conversation: t.slack.channel } : { platform: 'teams', conversation: t.teams.conversation };
}
