import type { WebClient } from '@slack/web-api';
import { visibleAccounts } from '../../config/access.js';
import type { Logger } from '../../log.js';
import type { CommandContext } from '../context.js';
import { setupHome } from '../setup/home.js';
import type { RuleEditor } from '../setup/rules.js';
import { errorMessage } from '../surface.js';
import { homeView } from './homeView.js';

/**
 * Who is at a form, as Slack answers it (never as the client says): the channels they are in,
 * whether the bot can post in a channel, their user groups, and their App Home.
 */

/** The channels a person is in, as Slack says (every page): what their App Home and their forms may name. */
export async function memberChannels(client: WebClient, user: string): Promise<string[]> {
  const channels: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.users.conversations({
      user,
      types: 'public_channel,private_channel',
      exclude_archived: true,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    channels.push(...(page.channels ?? []).flatMap((c) => (c.id ? [c.id] : [])));
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return channels;
}

/**
 * Whether the bot can post in a channel: public ones it may post in uninvited (chat:write.public),
 * private ones only once invited; an archived or unknown one (Slack hides private channels the
 * bot is not in) not at all.
 */
async function botCanPost(client: WebClient, channel: string): Promise<boolean> {
  try {
    const info = await client.conversations.info({ channel });
    const c = info.channel;
    if (!c || c.is_archived) return false;
    return !c.is_private || c.is_member === true;
  } catch (err) {
    if ((err as { data?: { error?: string } }).data?.error === 'channel_not_found') return false;
    throw err;
  }
}

/** Whether the person is in one of these Slack user groups (S…), as `usergroups.users.list` says. */
async function inUserGroup(client: WebClient, user: string, groups: readonly string[]): Promise<boolean> {
  for (const usergroup of groups.filter((g) => g.startsWith('S'))) {
    const members = await client.usergroups.users.list({ usergroup });
    if (members.users?.includes(user)) return true;
  }
  return false;
}

export function editorOf(client: WebClient, user: string, team: string | undefined): RuleEditor {
  // Asked of Slack once per request, however many checks need it.
  let channels: Promise<string[]> | undefined;
  const mine = () => {
    channels = channels ?? memberChannels(client, user);
    return channels;
  };
  return {
    platform: 'slack',
    user,
    team,
    isMember: async (conversation) => (await mine()).includes(conversation),
    canPost: (conversation) => botCanPost(client, conversation),
    inGroup: (groups) => inUserGroup(client, user, groups),
  };
}

/** The accounts a person may choose in a form: those any of their channels may see. */
export async function accountChoices(ctx: CommandContext, client: WebClient, user: string, team: string | undefined) {
  const seen = new Map<string, { value: string; label: string }>();
  for (const conversation of await memberChannels(client, user))
    for (const a of visibleAccounts(ctx.config, { platform: 'slack', conversation, user, team }))
      seen.set(a.id, { value: a.name, label: a.displayName });
  return [...seen.values()];
}

export async function publishHome(ctx: CommandContext, client: WebClient, user: string, team: string | undefined): Promise<void> {
  const home = await setupHome(ctx, { platform: 'slack', user, team }, await memberChannels(client, user));
  await client.views.publish({ user_id: user, view: homeView(home) as never });
}

/** Redraw the App Home after a change; a failure costs only the redraw. */
export async function redrawHome(ctx: CommandContext, client: WebClient, who: { user: string; team?: string | undefined }, log: Logger) {
  await publishHome(ctx, client, who.user, who.team).catch((err: unknown) =>
    log.warn({ err: errorMessage(err) }, 'app home not redrawn after a change'),
  );
}

/** What Slack sends of a view with an interaction (only its id, hash and state are used; metadata is checked). */
export type ViewBody = {
  user: { id: string; team_id?: string };
  team?: { id?: string } | null;
  trigger_id?: string;
  view?: {
    id: string;
    hash?: string;
    private_metadata?: string;
    state?: { values?: Record<string, Record<string, Record<string, unknown>>> };
  };
};

/** Who acted on a view, and the trigger a new modal opens from. */
export const whoOf = (b: ViewBody) => ({ user: b.user.id, team: b.user.team_id, triggerId: b.trigger_id ?? '' });

/**
 * The form's `private_metadata`: the id of what it edits and the version it started from; none
 * for a new one. Anything else there (forged, garbled) is `forged`: refused, never read as new.
 * Access is checked against the store whatever it says.
 */
export function editOf(view: ViewBody['view'], idKey: string): { id: string; version: number } | undefined | 'forged' {
  let m: unknown;
  try {
    m = JSON.parse(view?.private_metadata || '{}');
  } catch {
    return 'forged';
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) return 'forged';
  const { [idKey]: id, version, ...rest } = m as Record<string, unknown>;
  if (Object.keys(rest).length) return 'forged';
  if (id === undefined && version === undefined) return undefined;
  const valid =
    typeof id === 'string' && /^[\w-]{1,64}$/.test(id) && typeof version === 'number' && Number.isInteger(version) && version > 0;
  return valid ? { id, version } : 'forged';
}

/** What a form whose metadata was tampered with is told (nothing is stored). */
export const FORGED_FORM = 'this form could not be read: close it and open it again';

/** A modal replaced by a line of news (nothing left to submit). */
export function noticeView(title: string, text: string) {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: title },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'plain_text', text } }],
  };
}
