import { createHash } from 'node:crypto';
import { z } from 'zod';
import { WebhookInputError } from '../errors.js';
import { parsePhone } from '../phoneNumbers.js';
import type { HealthField } from '../vocabulary/health.js';
import { HEALTH_FIELDS, type HealthDropReason, type HealthEvent, readHealthChange } from './healthEvents.js';

/**
 * A WhatsApp Business Account webhook notification, read into status events: the only thing
 * kept of a message is a hash of its id (to count it once) and what it says about delivery —
 * account, our number, the recipient's country, status, error code, pricing category. The
 * recipient's number is read for its country and dropped.
 */

export type StatusName = 'sent' | 'delivered' | 'read' | 'failed';

export interface StatusEvent {
  /** The WABA id (the notification's entry id). */
  accountId: string;
  /** sha256 of message id and status: the same notification delivered twice has the same one. */
  dedupeKey: string;
  /** Start of the minute the status happened in (UNIX seconds). */
  minute: number;
  /** Our number, digits only ("16315551000"). */
  phone: string;
  /** The recipient's country (ISO 3166 alpha-2), or "ZZ" when the number does not say. */
  country: string;
  status: StatusName;
  /** The first error's code for a failure, 0 otherwise. */
  code: number;
  /** Pricing category when the status carried one ("marketing", "utility", …), else "". */
  category: string;
  /** A failure's message's `sent` key: whether it was ever reported sent decides if it counts as `unsent`. */
  sentKey?: string | undefined;
}

/** What a notification held besides the statuses we count, and what was dropped, and why. */
export interface ParsedNotification {
  events: StatusEvent[];
  /** Number, template and account health changes (the four health fields), each read on its own. */
  health: HealthEvent[];
  /** Statuses and health changes dropped one by one, with the reason (never the message id or recipient). */
  dropped: Array<{ reason: DropReason | HealthDropReason; detail: string }>;
  /** Statuses that say nothing about delivery ("played"): not counted, not a fault. */
  ignored: number;
  /** Changes for other fields (flows, name updates, inbound messages): acknowledged, not counted. */
  ignoredChanges: number;
}

/** WhatsApp webhook fields besides `messages`: subscribed by some apps, acknowledged (the health fields among them kept, see healthEvents.ts). */
const OTHER_FIELDS = new Set([
  'account_alerts',
  'account_review_update',
  'account_update',
  'business_capability_update',
  'business_status_update',
  'flows',
  'history',
  'message_echoes',
  'message_template_components_update',
  'message_template_quality_update',
  'message_template_status_update',
  'partner_solutions',
  'payment_configuration_update',
  'phone_number_name_update',
  'phone_number_quality_update',
  'security',
  'smb_app_state_sync',
  'smb_message_echoes',
  'template_category_update',
  'tracking_events',
  'user_preferences',
]);

const STATUSES = new Set<StatusName>(['sent', 'delivered', 'read', 'failed']);

/** Text PostgreSQL and the logs can hold: no control or format characters (a NUL is refused by PostgreSQL). */
const plainText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'has control characters');

/** Why a status was dropped: the `reason` label of `waba_pulse_webhook_events_total{outcome="dropped"}`. */
export type DropReason =
  | 'malformed'
  | 'no_id'
  | 'unknown_status'
  | 'bad_timestamp'
  | 'stale_timestamp'
  | 'bad_recipient'
  | 'bad_category'
  | 'bad_error_code';

/** One status, validated on its own: a bad one is dropped, never the notification it came in. */
const status = z.looseObject({
  id: z.string().min(1).max(512),
  status: z.string().regex(/^[a-z_]{1,64}$/),
  timestamp: z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()]),
  recipient_id: plainText(64).optional(),
  pricing: z.looseObject({ category: plainText(64).optional() }).optional(),
  // integer column: 0 .. 2^31 - 1
  errors: z.array(z.looseObject({ code: z.number().int().min(0).max(2_147_483_647).optional(), title: z.string().optional() })).optional(),
});

const REASON_OF: Record<string, DropReason> = {
  id: 'no_id',
  status: 'unknown_status',
  timestamp: 'bad_timestamp',
  recipient_id: 'bad_recipient',
  pricing: 'bad_category',
  errors: 'bad_error_code',
};

const notification = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.string().regex(/^\d{1,20}$/),
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z
            .looseObject({
              metadata: z.looseObject({ display_phone_number: z.string().optional(), phone_number_id: z.string().optional() }).optional(),
              statuses: z.array(z.unknown()).optional(),
            })
            .optional(),
        }),
      ),
    }),
  ),
});

/**
 * How long a message's (id, status) is remembered, and how old a status may be when it arrives:
 * Meta keeps retrying an unanswered notification for up to 7 days. One window for both makes
 * exactly-once airtight — a copy that arrives after its mark expired is older than the window,
 * and refused rather than counted again.
 */
export const DEDUPE_WINDOW_MS = 7 * 86_400_000;
const PAST_SECONDS = DEDUPE_WINDOW_MS / 1000;
const FUTURE_SECONDS = 10 * 60;

const countries = new Map<string, string>();

/** The recipient's country from their number; cached by calling code and first digits. */
export function recipientCountry(digits: string): string {
  const prefix = digits.slice(0, 6);
  const known = countries.get(prefix);
  if (known) return known;
  const country = parsePhone(digits)?.country ?? 'ZZ';
  // Numbering plans are decided by the leading digits; six of them settle it for almost every plan.
  if (countries.size < 50_000) countries.set(prefix, country);
  return country;
}

export function dedupeKey(messageId: string, status: string): string {
  return createHash('sha256').update(`${messageId}\u0000${status}`).digest('base64url').slice(0, 32);
}

/** Read a verified body. Throws WebhookInputError for what is not a WhatsApp notification at all. */
export function parseNotification(raw: Buffer, nowMs: number): ParsedNotification {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WebhookInputError('the body is not JSON');
  }
  const parsed = notification.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WebhookInputError(`not a WhatsApp notification: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const body = parsed.data;
  if (body.object !== 'whatsapp_business_account') {
    throw new WebhookInputError(`unknown object "${body.object.slice(0, 40)}": expected whatsapp_business_account`);
  }
  const nowS = Math.floor(nowMs / 1000);
  const events: StatusEvent[] = [];
  const health: HealthEvent[] = [];
  const dropped: ParsedNotification['dropped'] = [];
  let ignored = 0;
  let ignoredChanges = 0;
  for (const entry of body.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') {
        if (!OTHER_FIELDS.has(change.field)) throw new WebhookInputError(`unknown field "${change.field.slice(0, 40)}"`);
        if (HEALTH_FIELDS.has(change.field)) {
          const read = readHealthChange(entry.id, entry.time, change.field as HealthField, change.value, nowS);
          if (read.ok) health.push(read.event);
          else dropped.push({ reason: read.reason, detail: read.detail });
          continue;
        }
        ignoredChanges++;
        continue;
      }
      const statuses = change.value?.statuses;
      // Inbound messages and their contacts ride on the same field: nothing to count.
      if (!statuses) {
        ignoredChanges++;
        continue;
      }
      const phone = (change.value?.metadata?.display_phone_number ?? '').replace(/\D/g, '').slice(0, 20);
      for (const [i, item] of statuses.entries()) {
        const checked = status.safeParse(item);
        if (!checked.success) {
          const issue = checked.error.issues[0]!;
          const field = String(issue.path[0] ?? '');
          const reason = REASON_OF[field] ?? 'malformed';
          dropped.push({ reason, detail: `status ${i}: ${field || 'status'}: ${issue.message.slice(0, 80)}` });
          continue;
        }
        const s = checked.data;
        const name = s.status as StatusName;
        if (!STATUSES.has(name)) {
          // "played" (voice) says nothing about delivery; a status Meta adds later is dropped and counted.
          if (s.status === 'played') ignored++;
          else dropped.push({ reason: 'unknown_status', detail: `status ${i}: unknown status "${s.status.slice(0, 40)}"` });
          continue;
        }
        const ts = Number(s.timestamp);
        if (ts < nowS - PAST_SECONDS || ts > nowS + FUTURE_SECONDS) {
          dropped.push({ reason: 'stale_timestamp', detail: `status ${i}: timestamp ${ts} is not within 7 days before now` });
          continue;
        }
        const recipient = (s.recipient_id ?? '').replace(/\D/g, '');
        events.push({
          accountId: entry.id,
          dedupeKey: dedupeKey(s.id, name),
          minute: ts - (ts % 60),
          phone,
          country: recipient ? recipientCountry(recipient) : 'ZZ',
          status: name,
          code: name === 'failed' ? (s.errors?.[0]?.code ?? 0) : 0,
          category: (s.pricing?.category ?? '').toLowerCase().slice(0, 32),
          ...(name === 'failed' ? { sentKey: dedupeKey(s.id, 'sent') } : {}),
        });
      }
    }
  }
  return { events, health, dropped, ignored, ignoredChanges };
}
