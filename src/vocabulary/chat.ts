/** A chat platform's key (`slack`, `teams`): what targets, access rules and the store name it by. */
export type Platform = string;

/** Where messages go: a conversation (a Slack channel, a Teams conversation) on a platform. */
export interface ChatTarget {
  platform: Platform;
  conversation: string;
}

/** What became of a post: where it landed (to edit it later), or why it could not. */
export type PostOutcome = { delivered: true; ref: string } | { delivered: false; reason: 'gone' };
