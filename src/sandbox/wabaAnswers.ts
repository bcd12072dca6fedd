import type { SandboxAccount } from './accountModel.js';
import { businessOf, numberStateAt, templateStateAt } from './business.js';
import { type FieldExpression, parseListArgument } from './fieldExpression.js';
import { Ledger } from './ledger.js';
import type { TrafficModel } from './traffic.js';

/**
 * The sandbox's answers about an account's business as Graph gives them: the WABA's currency,
 * template insights switch and `health_status`; its `phone_numbers` and `message_templates`
 * (as fields of the WABA with sub-fields, or as edges) paged by cursor; `pricing_analytics` and
 * `template_analytics` with Graph's limits and errors (200005, 200006, 200007, #100).
 */
export interface GraphErrorAnswer {
  status: number;
  message: string;
  type?: string;
  code: number;
  subcode?: number;
}

export const isError = (answer: unknown): answer is GraphErrorAnswer =>
  typeof answer === 'object' && answer !== null && 'status' in answer && 'code' in answer && 'message' in answer;

const YEAR = 365 * 86_400;
const TEMPLATE_DAYS = 90;
const PRICING_PAGE = 1000;
const TEMPLATE_PAGE = 100;

const bad = (message: string): GraphErrorAnswer => ({ status: 400, code: 100, message: `(#100) ${message}`, type: 'OAuthException' });

/** A Graph cursor: where the next page begins, opaque to the client. */
const cursorOf = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function offsetOf(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return 0;
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

/** One page of `items`, with Graph's `paging` when more follow. */
function page<T>(
  items: T[],
  size: number,
  after: string | undefined,
  next: (cursor: string) => string,
): { data: T[]; paging?: unknown } | GraphErrorAnswer {
  const offset = offsetOf(after);
  if (offset === undefined) return bad('Invalid cursor: use the cursors.after of the previous page');
  const data = items.slice(offset, offset + size);
  const end = offset + data.length;
  if (end >= items.length && offset === 0) return { data };
  const paging: Record<string, unknown> = { cursors: { before: cursorOf(offset), after: cursorOf(end) } };
  if (end < items.length) paging.next = next(cursorOf(end));
  return { data, paging };
}

/** `["A","B"]` or `A,B`, as Graph takes both for lists of enum words. */
function words(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = parseListArgument(raw);
  return (list ?? raw.split(','))
    .map(String)
    .map((w) => w.trim().replace(/^['"]|['"]$/g, ''))
    .filter(Boolean);
}

function integer(raw: string | undefined): number | undefined {
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) ? n : undefined;
}

const PHONE_FIELDS = new Set([
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'status',
  'name_status',
  'throughput',
  'health_status',
  'code_verification_status',
  'messaging_limit_tier',
  'whatsapp_business_manager_messaging_limit',
]);
const TEMPLATE_FIELDS = new Set(['id', 'name', 'language', 'category', 'status', 'quality_score']);
const DIMENSIONS = new Set(['COUNTRY', 'PHONE', 'PRICING_CATEGORY', 'PRICING_TYPE', 'TIER']);
const PRICING_GRANULARITIES = new Set(['HALF_HOUR', 'DAILY', 'MONTHLY']);

/** The nodes messaging involves besides a number: all fine in the sandbox. */
function nodes(account: SandboxAccount) {
  return [
    { entity_type: 'WABA', id: account.id, can_send_message: 'AVAILABLE' },
    { entity_type: 'BUSINESS', id: `5${account.id.slice(1)}`, can_send_message: 'AVAILABLE' },
    { entity_type: 'APP', id: '634974688087057', can_send_message: 'AVAILABLE' },
  ];
}

export class BusinessAnswers {
  readonly ledger: Ledger;

  constructor(
    readonly account: SandboxAccount,
    model: TrafficModel,
    wabaTz: string,
    /** WABAs with template insights on: the sandbox's one piece of state, switched on by POST. */
    private readonly insightsOn: Set<string>,
  ) {
    this.ledger = new Ledger(account, model, wabaTz);
  }

  /** A plain field of the WABA node, or undefined when it is not one of these. */
  plainField(name: string): unknown {
    if (name === 'currency') return businessOf(this.account).currency;
    if (name === 'is_enabled_for_insights') return this.insightsOn.has(this.account.id);
    if (name === 'health_status') return { can_send_message: 'AVAILABLE', entities: nodes(this.account) };
    return undefined;
  }

  /** `POST /{WABA}?is_enabled_for_insights=true|false`. */
  switchInsights(value: string | null): Record<string, unknown> | GraphErrorAnswer {
    const insights = businessOf(this.account).insights;
    if (value === 'true') {
      if (insights === 'unsupported')
        return {
          status: 400,
          code: 200005,
          type: 'OAuthException',
          message: '(#200005) Template analytics is not available for this WhatsApp Business Account',
        };
      this.insightsOn.add(this.account.id);
      return { success: true };
    }
    if (value === 'false') {
      if (this.insightsOn.has(this.account.id))
        return {
          status: 400,
          code: 200006,
          type: 'OAuthException',
          message: '(#200006) Template analytics cannot be disabled once enabled',
        };
      return { success: true };
    }
    return bad('Param is_enabled_for_insights must be true or false');
  }

  private phoneNumber(pi: number, fields: readonly string[], version: string, now: number): Record<string, unknown> | GraphErrorAnswer {
    const phone = this.account.phones[pi]!;
    const health = businessOf(this.account).numbers.find((n) => n.phone === phone.number);
    const state = numberStateAt(this.account, phone.number, Math.floor(now / 1000));
    // Graph renamed the limit in v24.0: each version knows only its own name.
    const v24 = Number(/^v(\d+)/.exec(version)?.[1] ?? 0) >= 24;
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (!PHONE_FIELDS.has(f) || (f === 'messaging_limit_tier' && v24) || (f === 'whatsapp_business_manager_messaging_limit' && !v24))
        return bad(`Tried accessing nonexisting field (${f}) on node type (WhatsAppBusinessPhoneNumber)`);
      if (f === 'id') out.id = `1065${phone.number.slice(-11).padStart(11, '0')}`;
      else if (f === 'display_phone_number') out.display_phone_number = displayNumber(phone.number);
      else if (f === 'verified_name') out.verified_name = this.account.displayName;
      else if (f === 'quality_rating') out.quality_rating = state.quality;
      else if (f === 'status') out.status = 'CONNECTED';
      else if (f === 'name_status') out.name_status = health?.nameStatus ?? 'APPROVED';
      else if (f === 'throughput') out.throughput = { level: health?.throughput ?? 'STANDARD' };
      else if (f === 'code_verification_status') out.code_verification_status = 'VERIFIED';
      else if (f === 'messaging_limit_tier' || f === 'whatsapp_business_manager_messaging_limit') out[f] = state.limit;
      else if (f === 'health_status')
        out.health_status = {
          can_send_message: health?.limited ? 'LIMITED' : 'AVAILABLE',
          entities: [
            {
              entity_type: 'PHONE_NUMBER',
              id: `1065${phone.number.slice(-11).padStart(11, '0')}`,
              can_send_message: health?.limited ? 'LIMITED' : 'AVAILABLE',
              ...(health?.limited ? { additional_info: [health.limited] } : {}),
            },
            ...nodes(this.account),
          ],
        };
    }
    return out;
  }

  /** The `phone_numbers` list (a field with sub-fields, or the edge), one page of it. */
  phoneNumbers(
    fields: readonly string[],
    version: string,
    now: number,
    paging: { limit?: string | undefined; after?: string | undefined },
    next: (cursor: string) => string,
  ) {
    const items: Array<Record<string, unknown>> = [];
    for (let pi = 0; pi < this.account.phones.length; pi++) {
      const item = this.phoneNumber(pi, fields, version, now);
      if (isError(item)) return item;
      items.push(item);
    }
    return page(items, Math.min(integer(paging.limit) ?? 25, 1000), paging.after, next);
  }

  /** The `message_templates` list, one page of it. */
  messageTemplates(
    fields: readonly string[],
    now: number,
    paging: { limit?: string | undefined; after?: string | undefined },
    next: (cursor: string) => string,
  ) {
    const items: Array<Record<string, unknown>> = [];
    for (const t of businessOf(this.account).templates) {
      const state = templateStateAt(this.account, t, Math.floor(now / 1000));
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        if (!TEMPLATE_FIELDS.has(f)) return bad(`Tried accessing nonexisting field (${f}) on node type (WhatsAppBusinessHSM)`);
        if (f === 'id') out.id = t.id;
        else if (f === 'name') out.name = t.name;
        else if (f === 'language') out.language = t.language;
        else if (f === 'category') out.category = t.category.toUpperCase();
        else if (f === 'status') out.status = state.status;
        else if (f === 'quality_score') out.quality_score = { score: state.quality, date: Math.floor(now / 1000) - 3600 };
      }
      items.push(out);
    }
    return page(items, Math.min(integer(paging.limit) ?? 25, 1000), paging.after, next);
  }

  /** `pricing_analytics.start().end().granularity().dimensions()…`. */
  pricingAnalytics(field: FieldExpression, now: number, next: (cursor: string) => string): Record<string, unknown> | GraphErrorAnswer {
    const m = field.modifiers;
    const start = integer(m.get('start'));
    const end = integer(m.get('end'));
    const granularity = (m.get('granularity') ?? '').toUpperCase();
    const nowS = Math.floor(now / 1000);
    if (start === undefined) return bad('The parameter start is required and must be a UNIX timestamp');
    if (end === undefined) return bad('The parameter end is required and must be a UNIX timestamp');
    if (!PRICING_GRANULARITIES.has(granularity)) return bad('Param granularity must be one of {HALF_HOUR, DAILY, MONTHLY}');
    if (start >= end) return bad('Param start must be before end');
    if (end > nowS + 86_400) return bad('Param end must not be in the future');
    if (start < nowS - YEAR) return bad('Param start must be within the last year');
    const dimensions = words(m.get('dimensions')) ?? [];
    const unknown = dimensions.find((d) => !DIMENSIONS.has(d));
    if (unknown)
      return bad(`Param dimensions[${dimensions.indexOf(unknown)}] must be one of {COUNTRY, PHONE, PRICING_CATEGORY, PRICING_TYPE, TIER}`);
    const metrics = words(m.get('metric_types')) ?? ['COST', 'VOLUME'];
    const points = this.ledger
      .pricing(
        {
          start,
          end,
          granularity: granularity as 'HALF_HOUR' | 'DAILY' | 'MONTHLY',
          dimensions: new Set(dimensions),
          phones: words(m.get('phone_numbers')),
          countries: words(m.get('country_codes')),
          categories: words(m.get('pricing_categories')),
        },
        nowS,
      )
      .map(({ volume, cost, ...rest }) => ({
        ...rest,
        ...(metrics.includes('VOLUME') ? { volume } : {}),
        ...(metrics.includes('COST') && cost !== undefined ? { cost } : {}),
      }));
    const paged = page(points, Math.min(integer(m.get('limit')) ?? PRICING_PAGE, PRICING_PAGE), m.get('after'), next);
    if (isError(paged)) return paged;
    return { data: [{ data_points: paged.data }], ...(paged.paging ? { paging: paged.paging } : {}) };
  }

  /** `template_analytics.start().end().granularity(DAILY).template_ids([…])…`. */
  templateAnalytics(field: FieldExpression, now: number, next: (cursor: string) => string): Record<string, unknown> | GraphErrorAnswer {
    if (!this.insightsOn.has(this.account.id))
      return {
        status: 400,
        code: 200007,
        type: 'OAuthException',
        message: '(#200007) Template analytics is not enabled for this WhatsApp Business Account',
      };
    const m = field.modifiers;
    const nowS = Math.floor(now / 1000);
    const start = integer(m.get('start'));
    const end = integer(m.get('end'));
    if (start === undefined) return bad('The parameter start is required and must be a UNIX timestamp');
    if (end === undefined) return bad('The parameter end is required and must be a UNIX timestamp');
    if ((m.get('granularity') ?? '').toUpperCase() !== 'DAILY') return bad('Param granularity must be DAILY');
    if (start >= end) return bad('Param start must be before end');
    if (start < nowS - TEMPLATE_DAYS * 86_400) return bad(`Param start must be within the last ${TEMPLATE_DAYS} days`);
    const ids = words(m.get('template_ids'));
    if (!ids?.length) return bad('The parameter template_ids is required');
    if (ids.length > 10) return bad('Param template_ids must have at most 10 elements');
    const templates = businessOf(this.account).templates;
    const missing = ids.filter((id) => !templates.some((t) => t.id === id));
    if (missing.length)
      return bad(`Invalid parameter: template_ids ${JSON.stringify(missing)} are not templates of this WhatsApp Business Account`);
    const metrics = new Set(words(m.get('metric_types')) ?? ['SENT', 'DELIVERED', 'READ', 'CLICKED', 'COST']);
    // Snapped to 00:00 UTC: the start down, the end up.
    const from = Math.floor(start / 86_400) * 86_400;
    const to = Math.ceil(end / 86_400) * 86_400;
    const points = this.ledger
      .templateDays(
        ids.map((id) => templates.find((t) => t.id === id)!),
        from,
        to,
        nowS,
      )
      .map((p) =>
        Object.fromEntries(Object.entries(p).filter(([k]) => ['template_id', 'start', 'end'].includes(k) || metrics.has(k.toUpperCase()))),
      );
    const paged = page(points, TEMPLATE_PAGE, m.get('after'), next);
    if (isError(paged)) return paged;
    return { data: [{ granularity: 'DAILY', data_points: paged.data }], ...(paged.paging ? { paging: paged.paging } : {}) };
  }
}

/** "+1 631-555-1000", as Graph shows numbers. */
function displayNumber(digits: string): string {
  const us = /^1(\d{3})(\d{3})(\d{4})$/.exec(digits);
  if (us) return `+1 ${us[1]}-${us[2]}-${us[3]}`;
  return `+${digits.slice(0, 2)} ${digits.slice(2, 5)} ${digits.slice(5)}`;
}
