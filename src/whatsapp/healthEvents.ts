import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { HealthEventRecord, HealthField } from '../vocabulary/health.js';

/**
 * The four webhook fields that say how an account is doing — a number's messaging limit or
 * quality flag, a template's status and quality, the account's restrictions and pricing tier —
 * read one change at a time: a malformed change or an event Meta adds later is dropped with its
 * reason (never the notification it came in), and the rest kept once each.
 */
export const HEALTH_FIELDS: ReadonlySet<string> = new Set<HealthField>([
  'phone_number_quality_update',
  'message_template_status_update',
  'message_template_quality_update',
  'account_update',
]);

export interface HealthEvent extends HealthEventRecord {
  /** sha256 of account, time, field and value: the same notification sent again has the same one. */
  dedupeKey: string;
}

/** Why a health change was not kept: the `reason` of `waba_pulse_webhook_events_total{outcome="dropped"}`. */
export type HealthDropReason = 'malformed_health' | 'unknown_event';

/** Events each field is documented to carry; anything else is counted and logged, not kept. */
const EVENTS: Record<HealthField, ReadonlySet<string>> = {
  phone_number_quality_update: new Set(['FLAGGED', 'UNFLAGGED', 'DOWNGRADE', 'UPGRADE', 'ONBOARDING', 'THROUGHPUT_UPGRADE']),
  message_template_status_update: new Set([
    'APPROVED',
    'ARCHIVED',
    'UNARCHIVED',
    'DELETED',
    'DISABLED',
    'FLAGGED',
    'IN_APPEAL',
    'LIMIT_EXCEEDED',
    'LOCKED',
    'UNLOCKED',
    'PAUSED',
    'PENDING',
    'PENDING_DELETION',
    'REINSTATED',
    'REJECTED',
  ]),
  // No event of its own: the new score is the event.
  message_template_quality_update: new Set(['GREEN', 'YELLOW', 'RED', 'UNKNOWN']),
  account_update: new Set([
    'ACCOUNT_DELETED',
    'ACCOUNT_OFFBOARDED',
    'ACCOUNT_RECONNECTED',
    'ACCOUNT_RESTRICTION',
    'ACCOUNT_VIOLATION',
    'AD_ACCOUNT_LINKED',
    'AUTH_INTL_PRICE_ELIGIBILITY_UPDATE',
    'BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE',
    'DISABLED_UPDATE',
    'MM_LITE_TERMS_SIGNED',
    'PARTNER_ADDED',
    'PARTNER_APP_INSTALLED',
    'PARTNER_APP_UNINSTALLED',
    'PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE',
    'PARTNER_REMOVED',
    'VERIFIED_ACCOUNT',
    'VOLUME_BASED_PRICING_TIER_UPDATE',
  ]),
};

/** Text the store and the logs can hold: no control or format characters, bounded. */
const plain = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'has control characters');
const word = z.string().regex(/^[A-Z0-9_]{1,64}$/, 'is not a Meta enum value');
const id = z.union([z.string().regex(/^\d{1,24}$/), z.number().int().nonnegative()]).transform((v) => String(v));
const digits = z
  .union([plain(40), z.number().int().nonnegative()])
  .transform((v) => String(v).replace(/\D/g, ''))
  .refine((v) => v.length >= 5 && v.length <= 20, 'is not a phone number');

const numberChange = z.looseObject({
  display_phone_number: digits,
  event: word,
  old_limit: word.optional(),
  current_limit: word.optional(),
  max_daily_conversations_per_business: word.optional(),
});

const template = {
  message_template_id: id,
  message_template_name: plain(512),
  message_template_language: plain(20),
};

const templateStatus = z.looseObject({
  ...template,
  event: word,
  reason: plain(200).nullable().optional(),
  message_template_category: word.optional(),
  other_info: z.looseObject({ title: plain(200).optional(), description: plain(1000).optional() }).optional(),
});

const templateQuality = z.looseObject({
  ...template,
  previous_quality_score: word.optional(),
  new_quality_score: word,
});

const accountChange = z.looseObject({
  event: word,
  phone_number: digits.optional(),
  restriction_info: z.array(z.looseObject({ restriction_type: word.optional(), expiration: z.number().int().optional() })).optional(),
  violation_info: z.looseObject({ violation_type: plain(100).optional() }).optional(),
  ban_info: z.looseObject({ waba_ban_state: plain(100).optional() }).optional(),
  volume_tier_info: z
    .looseObject({
      effective_month: plain(20).optional(),
      pricing_category: word.optional(),
      region: plain(100).optional(),
      tier: plain(64).optional(),
    })
    .optional(),
});

/** JSON with keys in one order, so the same value hashes the same however it was serialized. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** The latest expiration among restrictions that all have one; null when any lasts until lifted. */
function restrictionEnd(info: ReadonlyArray<{ restriction_type?: string | undefined; expiration?: number | undefined }> | undefined) {
  if (!info?.length) return null;
  let end = 0;
  for (const r of info) {
    if (r.expiration === undefined) return null;
    end = Math.max(end, r.expiration);
  }
  return end;
}

export type HealthRead = { ok: true; event: HealthEvent } | { ok: false; reason: HealthDropReason; detail: string };

/** Earliest notification time taken: anything before is not a time Meta sends. */
const EARLIEST = Date.UTC(2020, 0, 1) / 1000;

/** One health change of a notification, read on its own. `time` is the entry's (UNIX seconds); `nowS` stands in without it. */
export function readHealthChange(accountId: string, time: unknown, field: HealthField, value: unknown, nowS: number): HealthRead {
  const at = typeof time === 'number' && Number.isInteger(time) && time >= EARLIEST && time <= nowS + 600 ? time : nowS;
  const fail = (error: z.ZodError): HealthRead => {
    const issue = error.issues[0]!;
    return { ok: false, reason: 'malformed_health', detail: `${field}: ${issue.path.join('.') || 'value'}: ${issue.message.slice(0, 80)}` };
  };
  let read: Omit<HealthEventRecord, 'accountId' | 'at' | 'field'>;
  if (field === 'phone_number_quality_update') {
    const v = numberChange.safeParse(value);
    if (!v.success) return fail(v.error);
    const { display_phone_number: phone, event } = v.data;
    const limit = v.data.max_daily_conversations_per_business ?? v.data.current_limit ?? null;
    const old = v.data.old_limit ?? null;
    read = {
      event,
      subject: phone,
      detail:
        event === 'FLAGGED'
          ? `quality flagged: the messaging limit may be lowered${limit ? ` (now ${limit})` : ''}`
          : event === 'UNFLAGGED'
            ? `quality flag lifted${limit ? ` (limit ${limit})` : ''}`
            : old && limit
              ? `messaging limit ${old} → ${limit}`
              : `messaging limit ${limit ?? 'unknown'}`,
      data: { phone, oldLimit: old, limit },
    };
  } else if (field === 'message_template_status_update') {
    const v = templateStatus.safeParse(value);
    if (!v.success) return fail(v.error);
    const t = v.data;
    const why = [t.reason && t.reason !== 'NONE' ? t.reason : '', t.other_info?.description ?? ''].filter(Boolean).join(': ');
    read = {
      event: t.event,
      subject: `${t.message_template_name} (${t.message_template_language})`,
      detail: `template ${t.event.toLowerCase().replace(/_/g, ' ')}${why ? ` — ${why}` : ''}`,
      data: {
        templateId: t.message_template_id,
        templateName: t.message_template_name,
        language: t.message_template_language,
        reason: t.reason ?? null,
        category: t.message_template_category ?? null,
      },
    };
  } else if (field === 'message_template_quality_update') {
    const v = templateQuality.safeParse(value);
    if (!v.success) return fail(v.error);
    const t = v.data;
    read = {
      event: t.new_quality_score,
      subject: `${t.message_template_name} (${t.message_template_language})`,
      detail: `quality ${t.previous_quality_score ?? 'UNKNOWN'} → ${t.new_quality_score}`,
      data: {
        templateId: t.message_template_id,
        templateName: t.message_template_name,
        language: t.message_template_language,
        from: t.previous_quality_score ?? null,
        to: t.new_quality_score,
      },
    };
  } else {
    const v = accountChange.safeParse(value);
    if (!v.success) return fail(v.error);
    const a = v.data;
    const restriction = a.restriction_info?.map((r) => r.restriction_type).filter(Boolean);
    const tier = a.volume_tier_info;
    read = {
      event: a.event,
      subject: a.phone_number ?? accountId,
      detail:
        a.event === 'VOLUME_BASED_PRICING_TIER_UPDATE' && tier
          ? `${(tier.pricing_category ?? 'a category').toLowerCase()} messages in ${tier.region ?? 'a market'} reached tier ${tier.tier ?? '?'}${tier.effective_month ? ` for ${tier.effective_month}` : ''}`
          : restriction?.length
            ? `restricted: ${restriction.join(', ')}`
            : a.violation_info?.violation_type
              ? `policy violation: ${a.violation_info.violation_type}`
              : a.ban_info?.waba_ban_state
                ? `ban state ${a.ban_info.waba_ban_state}`
                : a.event.toLowerCase().replace(/_/g, ' '),
      data: {
        phone: a.phone_number ?? null,
        restriction: restriction?.join(',') || null,
        // When the restrictions end (the latest), and the ban state: what undoes them for a health alert.
        restrictedUntil: restrictionEnd(a.restriction_info),
        banState: a.ban_info?.waba_ban_state ?? null,
        category: tier?.pricing_category?.toLowerCase() ?? null,
        region: tier?.region ?? null,
        tier: tier?.tier ?? null,
      },
    };
  }
  if (!EVENTS[field].has(read.event))
    return { ok: false, reason: 'unknown_event', detail: `${field}: unknown event "${read.event.slice(0, 40)}"` };
  const dedupeKey = createHash('sha256')
    .update(`${accountId}\u0000${field}\u0000${typeof time === 'number' ? time : ''}\u0000${canonical(value)}`)
    .digest('base64url')
    .slice(0, 32);
  return { ok: true, event: { accountId, at, field, ...read, dedupeKey } };
}
