/** A chat platform's key (`slack`, `teams`): what targets, access rules and the store name it by. */
export type Platform = string;

/** Where messages go: a conversation (a Slack channel, a Teams conversation) on a platform. */
export interface ChatTarget {
  platform: Platform;
  conversation: string;
}
