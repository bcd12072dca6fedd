import { z } from 'zod';
import { didYouMean } from '../didYouMean.js';
import { DAY, type DurationBounds, describeDuration, HOUR, MINUTE, parseDuration } from '../duration.js';
import { GRAPH_DEFAULTS } from '../graph/defaults.js';
import { looksLikeSecret, quoted, quotedUnlessSecret } from '../text.js';
import { GRANULARITIES } from '../vocabulary/series.js';
import { lookupAccount } from './accounts.js';
import type { AccessRule, ChatTarget, PlatformConfig } from './platformConfig.js';
import { timeZoneProblem } from './timeZones.js';

/**
 * The YAML config, validated on load. Messages name the bad value; the path is added by the
 * loader. Secrets are never in this file: tokens are `${VAR}` references or `tokenEnv: VAR`.
 */

export const timeZone = z.string({ error: 'expected an IANA time zone name such as "Europe/Berlin"' }).superRefine((value, ctx) => {
  const problem = timeZoneProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const granularity = z.enum(GRANULARITIES, {
  error: (issue) => `unknown granularity ${JSON.stringify(issue.input)} — use one of ${GRANULARITIES.join(', ')}`,
});

const MAX_OBJECT_ID = 2n ** 64n - 1n;

/** WABA ids are numeric strings. YAML reads an unquoted id as a number, which is fine while it is exact. */
const wabaId = z.union([z.string(), z.number()], { error: 'expected the numeric WhatsApp Business Account id' }).transform((value, ctx) => {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    ctx.addIssue({ code: 'custom', message: `${value} lost precision as a YAML number — quote the id ("...")` });
    return z.NEVER;
  }
  const text = String(value).trim();
  // Graph object ids are unsigned 64-bit integers.
  if (!/^\d{5,20}$/.test(text) || BigInt(text) > MAX_OBJECT_ID) {
    ctx.addIssue({
      code: 'custom',
      message: `${quotedUnlessSecret(text)} is not a WABA id — use the numeric WhatsApp Business Account id from Business Manager`,
    });
    return z.NEVER;
  }
  return text;
});

const phoneNumber = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value).trim();
  const digits = text.replace(/^\+/, '').replace(/[\s-]/g, '');
  if (!/^\d{6,15}$/.test(digits)) {
    ctx.addIssue({
      code: 'custom',
      message: `${quoted(text)} is not a phone number — use the WhatsApp display number with country code, digits only (e.g. 16315551000)`,
    });
    return z.NEVER;
  }
  return digits;
});

const countryCode = z.string().transform((value, ctx) => {
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) {
    ctx.addIssue({ code: 'custom', message: `${quoted(value)} is not an ISO 3166 alpha-2 country code (e.g. US, IN)` });
    return z.NEVER;
  }
  return code;
});

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** `token: ${VAR}` -> VAR. A literal token is refused without being echoed. */
const tokenReference = z.string().transform((value, ctx) => {
  const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value.trim());
  if (match && looksLikeSecret(match[1]!)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'holds what looks like an access token inside ${…} (not shown) — put the token in an environment variable and write its name: token: ${ACME_WABA_TOKEN}',
    });
    return z.NEVER;
  }
  if (!match) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a reference like ${ACME_WABA_TOKEN}: tokens live in the environment, never in the config file',
    });
    return z.NEVER;
  }
  return match[1]!;
});

/** A duration field (`30m`, `2h`) within bounds that make sense for it. */
function duration(bounds: DurationBounds) {
  return z.string({ error: 'expected a duration such as 30m, 2h or 1d' }).transform((value, ctx) => {
    const parsed = parseDuration(value, bounds);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    }
    return parsed.ms;
  });
}

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a time of day — write HH:MM, e.g. 09:00`,
});

/** `{ <platform>: {...} }` → `{ platform, conversation }`, for the platforms this build has. */
function targetSchema(platforms: readonly PlatformConfig[]): z.ZodType<ChatTarget> {
  const examples = platforms.map((p) => p.targetExample).join(' or ');
  if (platforms.length === 0) return z.never({ error: 'no chat platform is built in to post to' });
  const [first, ...rest] = platforms.map((p) =>
    z.strictObject({ [p.key]: p.target }).transform((value): ChatTarget => ({ platform: p.key, conversation: value[p.key] as string })),
  );
  return rest.length ? z.union([first!, ...rest], { error: `expected ${examples}` }) : first!;
}

const scope = z.strictObject({
  phoneNumbers: z.array(phoneNumber).optional(),
  countries: z.array(countryCode).optional(),
});

const account = z
  .strictObject({
    id: wabaId,
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a usable account name — letters, digits, ".", "_" and "-", no spaces (it is typed in commands)`,
    }),
    displayName: z.string().min(1).optional(),
    token: tokenReference.optional(),
    tokenEnv: z
      .string()
      .regex(ENV_NAME, {
        error: (issue) =>
          `${quotedUnlessSecret(issue.input)} is not an environment variable name — write the name of the variable that holds the token, e.g. ACME_WABA_TOKEN`,
      })
      .optional(),
    timezone: timeZone.optional(),
    /** The zone Graph's DAY buckets follow for this WABA (its `timezone_id`); US Pacific in the reference. */
    wabaTimezone: timeZone.default('America/Los_Angeles'),
    phoneNumbers: z.array(phoneNumber).optional(),
    countries: z.array(countryCode).optional(),
    productTypes: z
      .array(z.union([z.literal(0), z.literal(2)], { error: 'product types are 0 (business initiated) or 2 (customer support)' }))
      .optional(),
    settle: duration({ min: MINUTE, max: DAY }).optional(),
  })
  .superRefine((value, ctx) => {
    if (!value.token && !value.tokenEnv)
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'missing — write token: ${VAR} naming the environment variable that holds the Graph access token',
      });
    if (value.token && value.tokenEnv)
      ctx.addIssue({ code: 'custom', path: ['tokenEnv'], message: 'give either token: ${VAR} or tokenEnv: VAR, not both' });
  });

const digestSchema = (target: z.ZodType<ChatTarget>) =>
  z.strictObject({
    account: z.string().min(1),
    every: z
      .enum(['daily', 'weekly'], { error: (issue) => `${JSON.stringify(issue.input)} is not a digest period — use daily or weekly` })
      .default('daily'),
    at: clockTime.default('09:00'),
    day: z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']).default('mon'),
    timezone: timeZone.optional(),
    by: z.enum(['phone', 'country']).optional(),
    targets: z.array(target).min(1, { error: 'needs at least one target' }),
  });

/** Graph's buckets are half hours: checking them more often than this only spends budget. */
const GRAPH_MIN_CHECK = 5 * MINUTE;

const dropRuleSchema = (target: z.ZodType<ChatTarget>, minTargets = 1) =>
  z
    .strictObject({
      /** A drop in delivery, sending or failures (the default kind). */
      kind: z.literal('drop').default('drop'),
      name: z.string().min(1).optional(),
      account: z.string().min(1),
      /**
       * What the rule judges: Graph's delivery analytics (half-hourly, the default) or the status
       * webhooks' failures (minute by minute; needs WHATSAPP_APP_SECRET).
       */
      source: z
        .enum(['graph', 'webhooks'], { error: (issue) => `${quoted(issue.input)} is not a source — use graph or webhooks` })
        .default('graph'),
      scope: scope.optional(),
      checkEvery: duration({ min: MINUTE, max: DAY, note: `${describeDuration(GRAPH_MIN_CHECK)} or more for a graph rule` }).optional(),
      remindEvery: duration({ min: 15 * MINUTE, max: 30 * DAY }).default(4 * HOUR),
      /** Minimum sent in a bucket before its delivery rate is judged. */
      minSent: z
        .number()
        .int()
        .nonnegative()
        // More than any bucket sends: the rule would never judge anything.
        .max(10_000_000)
        .default(200),
      /** Alert below this delivery rate regardless of the baseline (0..1). */
      rateFloor: z.number().min(0).max(1).optional(),
      drillDown: z.array(z.enum(['phone', 'country'])).default(['phone', 'country']),
      /** How readily drops alarm: low, normal or high (see the README's Alerts section). */
      sensitivity: z
        .enum(['low', 'normal', 'high'], { error: (issue) => `${quoted(issue.input)} is not a sensitivity — use low, normal or high` })
        .default('normal'),
      targets: z.array(target).min(minTargets, { error: 'needs at least one target' }),
    })
    .superRefine(
      (rule, ctx) => {
        if (rule.source === 'graph' && rule.checkEvery !== undefined && rule.checkEvery < GRAPH_MIN_CHECK) {
          const least = describeDuration(GRAPH_MIN_CHECK);
          ctx.addIssue({
            code: 'custom',
            path: ['checkEvery'],
            message: `"${describeDuration(rule.checkEvery)}" is under ${least} for a graph rule — Graph answers half-hourly: use ${least} or more, or source: webhooks for minute checks`,
          });
        }
      },
      {
        // Also when another key of the rule is wrong (remindEvery: 45d): check lists every problem at once.
        when: (payload) => !payload.issues.some((issue) => issue.path?.[0] === 'checkEvery' || issue.path?.[0] === 'source'),
      },
    )
    .transform((rule) => ({ ...rule, checkEvery: rule.checkEvery ?? (rule.source === 'webhooks' ? MINUTE : 30 * MINUTE) }));

/** Settings of a drop rule that mean nothing to a health rule: refused by name, not as a misspelling. */
const DROP_ONLY = ['source', 'scope', 'checkEvery', 'minSent', 'rateFloor', 'drillDown', 'sensitivity'] as const;

/**
 * `kind: health`: the health webhooks of the account (a number flagged or its limit lowered, a
 * number or the account restricted or disabled, a template paused or disabled), judged from the
 * store every minute — no Graph calls, nothing to tune.
 */
const healthRuleSchema = (target: z.ZodType<ChatTarget>) =>
  z
    .strictObject({
      kind: z.literal('health'),
      name: z.string().min(1).optional(),
      account: z.string().min(1),
      remindEvery: duration({ min: 15 * MINUTE, max: 30 * DAY }).default(4 * HOUR),
      targets: z.array(target).min(1, { error: 'needs at least one target' }),
      ...Object.fromEntries(DROP_ONLY.map((key) => [key, z.unknown().optional()])),
    })
    .superRefine((rule, ctx) => {
      for (const key of DROP_ONLY)
        if ((rule as Record<string, unknown>)[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `a health rule takes no ${key} — it judges the health webhooks every minute; remove ${key}, or drop kind: health for a delivery rule`,
          });
    })
    .transform((rule) => ({
      kind: rule.kind,
      ...(rule.name !== undefined ? { name: rule.name } : {}),
      account: rule.account,
      remindEvery: rule.remindEvery,
      targets: rule.targets,
      checkEvery: MINUTE,
    }));

const alertRuleSchema = (target: z.ZodType<ChatTarget>, minTargets = 1) =>
  z.discriminatedUnion('kind', [dropRuleSchema(target, minTargets), healthRuleSchema(target)], {
    error: (issue) => {
      const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
      return `${quoted(kind)} is not an alert kind — use drop (the default) or health`;
    },
  });

/** One entry of `alerts:`: the same schema validates the alert rules made in chat (src/config/chatRules.ts). */
export function alertRuleEntrySchema(platforms: readonly PlatformConfig[]) {
  return alertRuleSchema(targetSchema(platforms));
}

/** One entry of `digests:`: the same schema validates the digests made in chat (src/chat/setup/digests.ts). */
export function digestEntrySchema(platforms: readonly PlatformConfig[]) {
  return digestSchema(targetSchema(platforms));
}

/** The rule a backtest replays when none is named: every setting at its default, posting nowhere. */
export function defaultAlertRule(account: string) {
  return dropRuleSchema(z.never(), 0).parse({ account, name: 'defaults', targets: [] });
}

const graph = z.strictObject({
  apiUrl: z.url({ error: (issue) => `${JSON.stringify(issue.input)} is not a URL` }).optional(),
  version: z
    .string()
    .regex(/^v\d+\.\d+$/, { error: (issue) => `${JSON.stringify(issue.input)} is not a Graph version — write e.g. v23.0` })
    .optional(),
  timeout: duration({ min: 1_000, max: 10 * MINUTE }).default(GRAPH_DEFAULTS.timeoutMs),
  concurrency: z.number().int().min(1).max(64).default(GRAPH_DEFAULTS.concurrency),
  maxAttempts: z.number().int().min(1).max(10).default(GRAPH_DEFAULTS.maxAttempts),
  callsPerHour: z.number().int().min(1).max(1_000_000).default(GRAPH_DEFAULTS.callsPerHour),
  /** Longest wait for the budget before failing with a rate-limit error instead of hanging. */
  maxWait: duration({ min: 1_000, max: HOUR }).default(GRAPH_DEFAULTS.maxWaitMs),
  halfHourChunk: duration({ min: HOUR, max: 31 * DAY }).default(GRAPH_DEFAULTS.halfHourChunkMs),
  dayChunk: duration({ min: DAY, max: 366 * DAY }).default(GRAPH_DEFAULTS.dayChunkMs),
  /** Most Graph calls one report may cost (uncached); longer or wider reports are refused or trimmed. */
  callsPerReport: z.number().int().min(1).max(10_000).default(GRAPH_DEFAULTS.callsPerReport),
});

/**
 * Which conversations may see which accounts: `{ <platform>: { fields to match }, accounts }`, a
 * rule per platform it names.
 */
function accessRuleSchema(platforms: readonly PlatformConfig[]) {
  return z
    .strictObject({
      ...Object.fromEntries(platforms.map((p) => [p.key, p.access.optional()])),
      accounts: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)], {
        error: 'accounts: a list of account names, or "*" for all',
      }),
    })
    .superRefine((parsed, ctx) => {
      const rule = parsed as Record<string, unknown>;
      if (!platforms.some((p) => rule[p.key] !== undefined))
        ctx.addIssue({
          code: 'custom',
          message: `says no ${platforms.map((p) => `${p.key}:`).join(' nor ')} — name the conversation (or person) it applies to`,
        });
    })
    .transform((parsed): AccessRule[] => {
      const rule = parsed as Record<string, unknown>;
      return platforms
        .filter((p) => rule[p.key] !== undefined)
        .map((p) => ({ platform: p.key, match: rule[p.key] as AccessRule['match'], accounts: parsed.accounts }));
    });
}

/** The config's schema for the chat platforms this build has (each declares its own parts). */
export function configSchema(platforms: readonly PlatformConfig[]) {
  const target = targetSchema(platforms);
  return z
    .strictObject({
      ...Object.fromEntries(platforms.map((p) => [p.key, p.settings])),
      access: z.array(accessRuleSchema(platforms)).default([]),
      /** Who may create, edit and delete alert rules from chat, per platform (absent: anyone who may see the account). */
      admins: z
        .strictObject(Object.fromEntries(platforms.map((p) => [p.key, z.array(p.admin ?? z.string().min(1)).optional()])))
        .optional(),
      defaults: z
        .strictObject({
          timezone: timeZone.default('UTC'),
          settle: duration({ min: MINUTE, max: DAY }).default(2 * HOUR),
        })
        .default({ timezone: 'UTC', settle: 2 * 3_600_000 }),
      graph: graph.default(() => graph.parse({})),
      accounts: z.array(account).min(1, { error: 'no accounts configured — add at least one under accounts:' }),
      digests: z.array(digestSchema(target)).default([]),
      alerts: z.array(alertRuleSchema(target)).default([]),
    })
    .superRefine((value, ctx) => {
      const seenIds = new Map<string, number>();
      const seenNames = new Map<string, number>();
      value.accounts.forEach((acc, i) => {
        const idAt = seenIds.get(acc.id);
        if (idAt !== undefined)
          ctx.addIssue({ code: 'custom', path: ['accounts', i, 'id'], message: `"${acc.id}" is already used by accounts[${idAt}]` });
        seenIds.set(acc.id, i);
        const key = acc.name.toLowerCase();
        const nameAt = seenNames.get(key);
        if (nameAt !== undefined)
          ctx.addIssue({ code: 'custom', path: ['accounts', i, 'name'], message: `"${acc.name}" is already used by accounts[${nameAt}]` });
        seenNames.set(key, i);
      });
      value.access.forEach((rules, i) => {
        // Each rule of an entry names the same accounts.
        const accounts = rules[0]?.accounts ?? '*';
        if (accounts === '*') return;
        accounts.forEach((ref, k) => {
          if (!lookupAccount(value.accounts, ref)) {
            const near = didYouMean(
              ref,
              value.accounts.map((a) => a.name),
            );
            ctx.addIssue({
              code: 'custom',
              path: ['access', i, 'accounts', k],
              message: `unknown account ${quoted(ref)}${near ? ` — did you mean "${near}"?` : ''}`,
            });
          }
        });
      });
      const refs: Array<['digests' | 'alerts', number, string]> = [
        ...value.digests.map((d, i) => ['digests', i, d.account] as ['digests', number, string]),
        ...value.alerts.map((a, i) => ['alerts', i, a.account] as ['alerts', number, string]),
      ];
      const names = value.accounts.map((a) => a.name);
      for (const [list, i, ref] of refs) {
        const known = lookupAccount(value.accounts, ref) !== undefined;
        if (!known) {
          const near = didYouMean(ref, names);
          ctx.addIssue({
            code: 'custom',
            path: [list, i, 'account'],
            message: `unknown account ${quoted(ref)}${near ? ` — did you mean "${near}"?` : ` — configured: ${names.join(', ')}`}`,
          });
        }
      }
    });
}

export type RawConfig = z.output<ReturnType<typeof configSchema>>;
export type AlertRuleConfig = z.output<ReturnType<typeof alertRuleSchema>>;
export type DropRuleConfig = Extract<AlertRuleConfig, { kind: 'drop' }>;
export type HealthRuleConfig = Extract<AlertRuleConfig, { kind: 'health' }>;
