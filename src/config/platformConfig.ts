import type { z } from 'zod';
import type { ChatTarget } from '../vocabulary/chat.js';

/**
 * What the config needs to know of a chat platform, declared by the platform itself (its folder
 * under src/chat/): the key it goes by in targets, access rules and its own top-level block, how
 * each of those reads, and the environment variables it takes. The config never names a
 * platform: it reads these.
 */
export interface PlatformConfig {
  /** `slack`: the key of `{ slack: { channel } }` targets, of access rules and of the `slack:` block. */
  key: string;
  /** How people name it: "Slack", "Microsoft Teams". */
  label: string;
  /** A target's inner object (`{ channel: C123 }`) → the conversation posted to. */
  target: z.ZodType<string>;
  /** A target as written, for error messages: `{ slack: { channel: C123 } }`. */
  targetExample: string;
  /** What an access rule may match on (`{ channel?, user? }`), each an exact value. */
  access: z.ZodType<Readonly<Record<string, string | undefined>>>;
  /** Its own top-level block, defaults applied (`slack: { command: /waba }`). */
  settings: z.ZodType<object>;
  /** The environment variables it reads, and which of them are secrets (scrubbed from all output). */
  variables: readonly string[];
  secrets: readonly string[];
  /**
   * An entry of its `admins:` list (who may change alert rules): a person, or a group the platform
   * can answer membership of. Left out, any non-empty text.
   */
  admin?: z.ZodType<string>;
  /** Whether an access rule's fields (as `access` reads them) all match the asker. */
  matches(match: Readonly<Record<string, string | undefined>>, who: Asker): boolean;
  /** "Slack channel C0123": a conversation as a person would look for it. */
  describeConversation(conversation: string): string;
}

/** Who is asking, where: the conversation and person, and the team and tenant where the platform has them. */
export interface Asker extends ChatTarget {
  user: string;
  team?: string | undefined;
  tenant?: string | undefined;
}

export type { ChatTarget };

/** Who may see which accounts: one platform's match (every field given must equal the asker's). */
export interface AccessRule {
  platform: string;
  match: Readonly<Record<string, string | undefined>>;
  accounts: '*' | string[];
}
