import { z } from 'zod';
import type { HealthStatus, PhoneNumberState, WabaOverview } from '../vocabulary/health.js';
import { graphId, graphWord, parseAnswer } from './answer.js';
import { type WabaField, type WabaList, wabaList } from './waba.js';

/**
 * The account's health as Graph states it now: the WABA's own fields (name, currency, template
 * insights on or off, `health_status`) and its phone numbers (quality rating, the business
 * portfolio's messaging limit, throughput, display name review, status, and each number's
 * `health_status`), read in the one WABA request (src/graph/waba.ts).
 */

const text = (max: number) => z.string().max(max);

const healthStatusSchema = z.looseObject({
  can_send_message: graphWord,
  entities: z
    .array(
      z.looseObject({
        entity_type: graphWord,
        id: z.union([text(64), z.number()]).transform(String),
        can_send_message: graphWord.optional(),
        additional_info: z.array(text(2000)).optional(),
        errors: z
          .array(
            z.looseObject({
              error_code: z.number().int().optional(),
              error_description: text(2000).optional(),
              possible_solution: text(2000).optional(),
            }),
          )
          .optional(),
      }),
    )
    .default([]),
});

function toHealth(raw: z.output<typeof healthStatusSchema>): HealthStatus {
  return {
    canSendMessage: raw.can_send_message,
    entities: raw.entities.map((e) => ({
      type: e.entity_type,
      id: e.id,
      canSendMessage: e.can_send_message ?? null,
      info: e.additional_info ?? [],
      errors: (e.errors ?? []).map((err) => ({
        code: err.error_code ?? null,
        description: err.error_description ?? '',
        solution: err.possible_solution ?? null,
      })),
    })),
  };
}

const overviewSchema = z.looseObject({
  name: text(500).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  is_enabled_for_insights: z.boolean().optional(),
  health_status: healthStatusSchema.optional(),
});

export const wabaOverviewField: WabaField<WabaOverview> = {
  field: 'name,currency,is_enabled_for_insights,health_status',
  read(body, account) {
    const raw = parseAnswer(overviewSchema, body, account, 'the WABA overview');
    return {
      name: raw.name ?? null,
      currency: raw.currency ?? null,
      insightsEnabled: raw.is_enabled_for_insights === true,
      health: raw.health_status ? toHealth(raw.health_status) : null,
    };
  },
};

/**
 * The messaging limit's field: `whatsapp_business_manager_messaging_limit` from Graph v24.0 (the
 * business portfolio's limit), `messaging_limit_tier` (deprecated) before it. Asking a version
 * for the other's field fails the whole request, so the configured version decides.
 */
export function messagingLimitField(version: string): 'whatsapp_business_manager_messaging_limit' | 'messaging_limit_tier' {
  const major = Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
  return major >= 24 ? 'whatsapp_business_manager_messaging_limit' : 'messaging_limit_tier';
}

const phoneSchema = z.looseObject({
  id: graphId,
  display_phone_number: text(40),
  verified_name: text(500).optional(),
  quality_rating: graphWord.optional(),
  status: graphWord.optional(),
  name_status: graphWord.optional(),
  throughput: z.looseObject({ level: graphWord.optional() }).optional(),
  whatsapp_business_manager_messaging_limit: graphWord.optional(),
  messaging_limit_tier: graphWord.optional(),
  health_status: healthStatusSchema.optional(),
});

/** The WABA's phone numbers with their health, for the Graph version given. */
export function phoneNumbersList(version: string): WabaList<PhoneNumberState> {
  return wabaList(
    'phone_numbers',
    [
      'id',
      'display_phone_number',
      'verified_name',
      'quality_rating',
      'status',
      'name_status',
      'throughput',
      messagingLimitField(version),
      'health_status',
    ],
    phoneSchema,
    (p) => ({
      id: p.id,
      displayPhoneNumber: p.display_phone_number,
      digits: p.display_phone_number.replace(/\D/g, ''),
      verifiedName: p.verified_name ?? null,
      qualityRating: p.quality_rating ?? null,
      messagingLimit: p.whatsapp_business_manager_messaging_limit ?? p.messaging_limit_tier ?? null,
      throughput: p.throughput?.level ?? null,
      nameStatus: p.name_status ?? null,
      status: p.status ?? null,
      health: p.health_status ? toHealth(p.health_status) : null,
    }),
  );
}
