import { COMMAND_NAMES, type Command, HELP, USAGE } from '../command/grammar.js';
import { lastDayTotals } from '../compose/lastDay.js';
import { chartedReport } from '../compose/request.js';
import { type Requester, visibleAccounts } from '../config/access.js';
import { lookupAccount } from '../config/accounts.js';
import type { AccountConfig, Config } from '../config/load.js';
import { timeZoneProblem } from '../config/timeZones.js';
import { didYouMean } from '../didYouMean.js';
import { CommandError, isWabaPulseError } from '../errors.js';
import { allDigests, configDigests, coverageKey, describeSchedule } from '../jobs/digests.js';
import { clockTime, formatCount, formatDuration, formatRate } from '../report/format.js';
import type { ChatTarget } from '../store/types.js';
import { quoted } from '../text.js';
import type { CommandContext, CommandResult } from './context.js';
import { errorMessage } from './surface.js';
import { costCommand, numberHealthLines, templatesCommand } from './viewCommands.js';

/** What to ask for when a conversation may see no account. */
function noAccessAdvice(config: Config, who: Requester): string {
  const platform = config.platforms.find((p) => p.key === who.platform);
  return `ask whoever runs waba-pulse to add an access rule for ${platform?.describeConversation(who.conversation) ?? who.conversation}`;
}

/** An account this conversation may see; anything else gets the same answer, existing or not. */
export function resolveAccount(ctx: CommandContext, who: Requester, ref: string): AccountConfig {
  const visible = visibleAccounts(ctx.config, who);
  const found = lookupAccount(visible, ref);
  if (found) return found;
  if (visible.length === 0)
    throw new CommandError(`No accounts are available in this conversation yet: ${noAccessAdvice(ctx.config, who)}.`);
  const names = visible.map((a) => a.name);
  const near = didYouMean(ref, names);
  throw new CommandError(
    `No account ${quoted(ref)} is available here.${near ? ` Did you mean "${near}"?` : ''} Accounts here: ${names.join(', ')}.`,
  );
}

/** When this conversation's mute of the account ends, if one holds now. */
async function mutedUntilOf(ctx: CommandContext, target: ChatTarget, accountId: string): Promise<number | undefined> {
  const setting = (await ctx.store.preferences.alertSettings(target)).find((s) => s.accountId === accountId);
  return setting?.mutedUntil && setting.mutedUntil > ctx.now() ? setting.mutedUntil : undefined;
}

type CommandOf<K extends Command['kind']> = Extract<Command, { kind: K }>;

/** Where the asker is: the conversation a command's settings belong to. */
function targetOf(who: Requester): ChatTarget {
  return { platform: who.platform, conversation: who.conversation };
}

async function helpCommand(ctx: CommandContext, who: Requester, _command: CommandOf<'help'>): Promise<CommandResult> {
  // Examples name an account this conversation may see; with none, help says how to get one.
  const example = visibleAccounts(ctx.config, who)[0]?.name;
  return {
    type: 'notice',
    title: 'waba-pulse: WhatsApp delivery, here',
    lines: [
      ...(example ? [] : [`No accounts are available in this conversation yet: ${noAccessAdvice(ctx.config, who)}.`]),
      ...COMMAND_NAMES.filter((name) => name !== 'help').map(
        (name) => `*${HELP[name].description}*: \`${ctx.prefix} ${HELP[name].example.replace('{account}', example ?? '<account>')}\``,
      ),
      ...(ctx.moreHelp ?? []),
    ].concat([
      `Ranges: today, yesterday, 24h, 7d, 30d, or 2026-11-01..2026-11-07, in each account's time zone. Full syntax: \`${ctx.prefix} ${USAGE.report}\``,
    ]),
  };
}

export async function deliveryLine(ctx: CommandContext, account: AccountConfig): Promise<string> {
  try {
    const t = await lastDayTotals(ctx.graph, account, ctx.accounts(account).token, ctx.now());
    return `*${account.displayName}* (\`${account.name}\`): ${formatRate(t.deliveryRate)} of ${formatCount(t.sent)} delivered yesterday`;
  } catch (err) {
    // A known failure (token, permission, Graph down) costs one row, in the one formatter's
    // words; anything else is a bug, which the surface logs and answers for.
    if (!isWabaPulseError(err)) throw err;
    return `*${account.displayName}* (\`${account.name}\`): figures unavailable. ${errorMessage(err)}`;
  }
}

async function accountsCommand(ctx: CommandContext, who: Requester, _command: CommandOf<'accounts'>): Promise<CommandResult> {
  const visible = visibleAccounts(ctx.config, who);
  if (visible.length === 0) resolveAccount(ctx, who, '');
  const rows = await Promise.all(
    visible.map(async (account) => {
      // Yesterday's delivery and the numbers' health: two Graph requests side by side.
      const [delivery, health] = await Promise.all([deliveryLine(ctx, account), numberHealthLines(ctx, account)]);
      return [delivery, ...health.map((line) => `• ${line}`)];
    }),
  );
  return { type: 'notice', title: `Accounts in this conversation (${visible.length})`, lines: rows.flat() };
}

async function subscribeCommand(ctx: CommandContext, who: Requester, command: CommandOf<'subscribe'>): Promise<CommandResult> {
  const target = targetOf(who);
  const account = resolveAccount(ctx, who, command.account);
  const timezone = command.timezone ?? account.timezone;
  const zoneProblem = timeZoneProblem(timezone);
  if (zoneProblem) throw new CommandError(`${zoneProblem[0]!.toUpperCase()}${zoneProblem.slice(1)}${zoneProblem.endsWith('?') ? '' : '.'}`);
  // The config file already sends this conversation this digest: a subscription would double it.
  const configured = configDigests(ctx.config).find(
    (d) => coverageKey(d) === coverageKey({ target, accountId: account.id, every: command.every }),
  );
  if (configured) {
    return {
      type: 'notice',
      title: 'Already configured',
      lines: [
        `A ${command.every} digest for *${account.displayName}* is already posted here from the config file (${describeSchedule(configured)}); change it there.`,
      ],
    };
  }
  await ctx.store.preferences.addSubscription(
    { ...target, accountId: account.id, every: command.every, at: command.at, timezone, createdBy: who.user },
    ctx.now(),
  );
  return {
    type: 'notice',
    title: 'Subscribed',
    lines: [
      `A ${command.every} digest for *${account.displayName}* will be posted here at ${command.at} ${timezone}${command.every === 'weekly' ? ' on Mondays' : ''}.`,
    ],
  };
}

async function unsubscribeCommand(ctx: CommandContext, who: Requester, command: CommandOf<'unsubscribe'>): Promise<CommandResult> {
  const target = targetOf(who);
  const account = resolveAccount(ctx, who, command.account);
  const removed = await ctx.store.preferences.removeSubscriptions(target, account.id, { by: who.user, now: ctx.now() });
  // A digest from the config file is listed by `subscriptions` but changed only there: say so.
  const configured = configDigests(ctx.config).filter(
    (d) => d.accountId === account.id && d.target.platform === target.platform && d.target.conversation === target.conversation,
  );
  const fromFile = configured.map(
    (d) =>
      `The digest for *${account.displayName}* here (${describeSchedule(d)}) comes from the config file (${d.origin}): remove it there.`,
  );
  return {
    type: 'notice',
    title: removed ? 'Unsubscribed' : configured.length ? 'Set in the config file' : 'Nothing to unsubscribe',
    lines: [
      ...(removed || !configured.length
        ? [
            removed
              ? `No more digests for *${account.displayName}* from chat here.`
              : `This conversation had no digest for *${account.displayName}*.`,
          ]
        : []),
      ...fromFile,
    ],
  };
}

async function subscriptionsCommand(ctx: CommandContext, who: Requester, _command: CommandOf<'subscriptions'>): Promise<CommandResult> {
  const target = targetOf(who);
  const subscriptions = await ctx.store.preferences.listSubscriptions(target);
  const fromConfig = configDigests(ctx.config).filter(
    (d) => d.target.platform === target.platform && d.target.conversation === target.conversation,
  );
  const names = new Map(ctx.config.accounts.map((a) => [a.id, a.displayName]));
  const lines = [
    ...fromConfig.map(
      (d) => `*${names.get(d.accountId) ?? d.accountId}*: ${describeSchedule(d)}${d.by ? `, by ${d.by}` : ''} (from the config file)`,
    ),
    ...allDigests(ctx.config, subscriptions)
      .filter((d) => d.source === 'chat')
      .map((d) => `*${names.get(d.accountId) ?? d.accountId}*: ${d.every} at ${d.at} ${d.timezone}`),
  ];
  return {
    type: 'notice',
    title: `Digests in this conversation (${lines.length})`,
    lines: lines.length
      ? lines
      : [
          `None yet. For a digest here every morning: \`${ctx.prefix} ${HELP.subscribe.example.replace('{account}', visibleAccounts(ctx.config, who)[0]?.name ?? 'acme-retail')}\``,
        ],
  };
}

async function alertsCommand(ctx: CommandContext, who: Requester, command: CommandOf<'alerts'>): Promise<CommandResult> {
  const target = targetOf(who);
  const account = resolveAccount(ctx, who, command.account);
  await ctx.store.preferences.setAlertsEnabled(target, account.id, command.enabled);
  // On again is not heard again while a mute holds: say so, and how to end it.
  const mutedUntil = command.enabled ? await mutedUntilOf(ctx, target, account.id) : undefined;
  return {
    type: 'notice',
    title: command.enabled ? 'Alerts on' : 'Alerts off',
    lines: [
      `Delivery alerts for *${account.displayName}* are ${command.enabled ? 'on' : 'off'} in this conversation.`,
      ...(mutedUntil
        ? [
            `They stay muted until ${clockTime(mutedUntil / 1000, account.timezone, ctx.now() / 1000)}: \`${ctx.prefix} unmute ${account.name}\` ends that now.`,
          ]
        : []),
    ],
  };
}

async function muteCommand(ctx: CommandContext, who: Requester, command: CommandOf<'mute'>): Promise<CommandResult> {
  const target = targetOf(who);
  const account = resolveAccount(ctx, who, command.account);
  const until = ctx.now() + command.durationMs;
  await ctx.store.preferences.muteAlerts(target, account.id, until);
  return {
    type: 'notice',
    title: 'Muted',
    lines: [
      `Alerts for *${account.displayName}* are muted here for ${formatDuration(command.durationMs)}, until ${clockTime(until / 1000, account.timezone, ctx.now() / 1000)}. \`${ctx.prefix} unmute ${account.name}\` ends it early.`,
    ],
  };
}

async function unmuteCommand(ctx: CommandContext, who: Requester, command: CommandOf<'unmute'>): Promise<CommandResult> {
  const target = targetOf(who);
  const account = resolveAccount(ctx, who, command.account);
  const wasMuted = await mutedUntilOf(ctx, target, account.id);
  // A mute that ends now: the next check posts as usual.
  if (wasMuted) await ctx.store.preferences.muteAlerts(target, account.id, ctx.now());
  return {
    type: 'notice',
    title: wasMuted ? 'Unmuted' : 'Not muted',
    lines: [
      wasMuted
        ? `Alerts for *${account.displayName}* are heard here again.`
        : `Alerts for *${account.displayName}* were not muted in this conversation.`,
    ],
  };
}

/** What each command does, the same on every platform. */
const COMMANDS: { [K in Command['kind']]: (ctx: CommandContext, who: Requester, command: CommandOf<K>) => Promise<CommandResult> } = {
  help: helpCommand,
  report: async (ctx, who, command) => chartedReport(ctx, resolveAccount(ctx, who, command.account), command),
  cost: async (ctx, who, command) => costCommand(ctx, resolveAccount(ctx, who, command.account), command),
  templates: async (ctx, who, command) => templatesCommand(ctx, resolveAccount(ctx, who, command.account), command),
  accounts: accountsCommand,
  subscribe: subscribeCommand,
  unsubscribe: unsubscribeCommand,
  subscriptions: subscriptionsCommand,
  alerts: alertsCommand,
  mute: muteCommand,
  unmute: unmuteCommand,
};

export async function runCommand(ctx: CommandContext, who: Requester, command: Command): Promise<CommandResult> {
  return await (COMMANDS[command.kind] as (ctx: CommandContext, who: Requester, command: Command) => Promise<CommandResult>)(
    ctx,
    who,
    command,
  );
}
