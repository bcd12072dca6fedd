import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { type Logger, silentLogger } from '../log.js';
import { SANDBOX_EXPIRED_TOKEN, SANDBOX_NO_PERMISSION_TOKEN, SANDBOX_TOKEN } from './accounts.js';
import { businessOf } from './business.js';
import { type FieldExpression, FieldSyntaxError, parseFields, parseListArgument } from './fieldExpression.js';
import { DEFAULT_WABA_TIMEZONE } from './ledger.js';
import { type SandboxAccount, TrafficModel } from './traffic.js';
import { BusinessAnswers, type GraphErrorAnswer, isError } from './wabaAnswers.js';

/**
 * A Graph-compatible server over synthetic traffic: same URL shape, Bearer-token check,
 * Graph-shaped errors, omitted empty buckets, DAY buckets at midnight US Pacific, the one-year
 * lookback, and a per-WABA call budget with usage headers. The demo and the tests run on it.
 */
export interface SandboxOptions {
  accounts: SandboxAccount[];
  token?: string;
  now: () => number;
  /** Added to every answer, to measure clients against a slow Graph. */
  latencyMs?: number;
  callsPerHour?: number;
  /** Graph's DAY buckets follow the WABA's zone: US Pacific, as in the reference sample. */
  wabaTimezone?: string;
  logger?: Logger;
}

export interface SandboxStats {
  requests: number;
  byAccount: Map<string, number>;
}

export interface RunningSandbox {
  url: string;
  port: number;
  server: Server;
  stats: SandboxStats;
  close(): Promise<void>;
}

const GRANULARITIES = ['HALF_HOUR', 'DAY', 'MONTH'] as const;
type Gran = (typeof GRANULARITIES)[number];
const YEAR = 365 * 86_400;

function fbtrace(): string {
  return randomBytes(8).toString('base64url');
}

export function createSandbox(options: SandboxOptions): {
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  stats: SandboxStats;
} {
  const token = options.token ?? SANDBOX_TOKEN;
  const now = options.now;
  const budget = options.callsPerHour ?? 200;
  const wabaTz = options.wabaTimezone ?? DEFAULT_WABA_TIMEZONE;
  const log = options.logger ?? silentLogger;
  const models = new Map(options.accounts.map((a) => [a.id, new TrafficModel(a)]));
  // Template insights, switched on by POST: the one thing the sandbox remembers between requests.
  const insightsOn = new Set(options.accounts.filter((a) => businessOf(a).insights === 'on').map((a) => a.id));
  const business = new Map(options.accounts.map((a) => [a.id, new BusinessAnswers(a, models.get(a.id)!, wabaTz, insightsOn)]));
  const calls = new Map<string, number[]>();
  const stats: SandboxStats = { requests: 0, byAccount: new Map() };

  function usagePercent(id: string): number {
    const cutoff = now() - 3_600_000;
    const list = (calls.get(id) ?? []).filter((t) => t > cutoff);
    calls.set(id, list);
    return Math.round((list.length / budget) * 100);
  }

  // When each answer is due: `latencyMs` after the request arrived. The work of answering
  // happens inside that time, as on a real server, so the latency is not added on top of it.
  const dueAt = new WeakMap<ServerResponse, number>();

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    const write = () => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    const wait = (dueAt.get(res) ?? 0) - performance.now();
    if (wait > 0) setTimeout(write, wait);
    else write();
  }

  function fail(res: ServerResponse, e: GraphErrorAnswer, headers: Record<string, string> = {}): void {
    send(
      res,
      e.status,
      {
        error: {
          message: e.message,
          type: e.type ?? 'OAuthException',
          code: e.code,
          ...(e.subcode ? { error_subcode: e.subcode } : {}),
          fbtrace_id: fbtrace(),
        },
      },
      headers,
    );
  }

  function analytics(model: TrafficModel, field: FieldExpression): GraphErrorAnswer | Record<string, unknown> {
    const m = field.modifiers;
    const start = Number(m.get('start'));
    const end = Number(m.get('end'));
    const granularity = (m.get('granularity') ?? '').toUpperCase() as Gran;
    if (!m.has('start') || !Number.isInteger(start))
      return { status: 400, code: 100, message: '(#100) The parameter start is required and must be a UNIX timestamp' };
    if (!m.has('end') || !Number.isInteger(end))
      return { status: 400, code: 100, message: '(#100) The parameter end is required and must be a UNIX timestamp' };
    if (!GRANULARITIES.includes(granularity))
      return { status: 400, code: 100, message: `(#100) Param granularity must be one of {HALF_HOUR, DAY, MONTH}` };
    const nowS = Math.floor(now() / 1000);
    if (end > nowS + 60) return { status: 400, code: 100, message: '(#100) Param end must be a time in the past' };
    if (start >= end) return { status: 400, code: 100, message: '(#100) Param start must be before end' };
    // "At least one month", read literally: a calendar month from the start, in the WABA's zone.
    if (granularity === 'MONTH' && end < DateTime.fromSeconds(start, { zone: wabaTz }).plus({ months: 1 }).toSeconds())
      return { status: 400, code: 100, message: '(#100) The time range must be at least one month for granularity MONTH' };
    const phones = parseListArgument(m.get('phone_numbers'));
    const countries = parseListArgument(m.get('country_codes'));
    const products = parseListArgument(m.get('product_types'));
    if (m.has('phone_numbers') && !phones) return { status: 400, code: 100, message: '(#100) Param phone_numbers must be an array' };
    if (m.has('country_codes') && !countries) return { status: 400, code: 100, message: '(#100) Param country_codes must be an array' };
    if (m.has('product_types') && !products) return { status: 400, code: 100, message: '(#100) Param product_types must be an array' };
    const filter = { phones: phones?.map(String), countries: countries?.map(String) };
    const from = Math.max(start, nowS - YEAR);
    // Business-initiated traffic is about 70% of the total, customer support the rest.
    const productShare = products?.length ? (products.map(Number).includes(0) ? 0.7 : 0) + (products.map(Number).includes(2) ? 0.3 : 0) : 1;
    let points = model.buckets(from, end, granularity, wabaTz, nowS, filter);
    if (productShare < 1) {
      points = points
        .map((p) => ({ ...p, sent: Math.round(p.sent * productShare), delivered: Math.round(p.delivered * productShare) }))
        .filter((p) => p.sent > 0);
    }
    const phoneNumbers = model.account.phones.map((p) => p.number).filter((n) => !filter.phones?.length || filter.phones.includes(n));
    return {
      phone_numbers: phoneNumbers,
      country_codes: model.countryCodes(filter),
      granularity,
      data_points: points,
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (options.latencyMs) dueAt.set(res, performance.now() + options.latencyMs);
    const match = /^\/(v\d+\.\d+)\/([^/]+)(?:\/(phone_numbers|message_templates))?\/?$/.exec(url.pathname);
    // Graph's one write the product makes: switching template insights on (POST on the WABA node).
    const isSwitch = req.method === 'POST' && match && !match[3] && url.searchParams.has('is_enabled_for_insights');
    if (req.method !== 'GET' && !isSwitch)
      return fail(res, {
        status: 400,
        code: 100,
        message: `(#100) Unsupported ${req.method} request. The analytics edge is read-only.`,
        type: 'GraphMethodException',
      });
    if (!match) return fail(res, { status: 400, code: 2500, message: `Unknown path components: ${url.pathname}` });

    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : url.searchParams.get('access_token');
    if (!presented) return fail(res, { status: 400, code: 104, message: 'An access token is required to request this resource.' });
    if (presented === SANDBOX_EXPIRED_TOKEN)
      return fail(res, {
        status: 400,
        code: 190,
        subcode: 463,
        message: 'Error validating access token: Session has expired on Tuesday, 24-Nov-26 01:00:00 PST.',
      });
    if (presented !== token && presented !== SANDBOX_NO_PERMISSION_TOKEN)
      return fail(res, { status: 400, code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });

    const id = decodeURIComponent(match[2]!);
    const model = models.get(id);
    if (!model) {
      return fail(res, {
        status: 400,
        code: 100,
        subcode: 33,
        message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        type: 'GraphMethodException',
      });
    }
    if (presented === SANDBOX_NO_PERMISSION_TOKEN)
      return fail(res, { status: 403, code: 200, message: '(#200) Requires whatsapp_business_management permission to manage the object' });

    stats.byAccount.set(id, (stats.byAccount.get(id) ?? 0) + 1);
    const used = usagePercent(id);
    if (used >= 100) {
      const regain = Math.max(1, Math.ceil((calls.get(id)![0]! + 3_600_000 - now()) / 60_000));
      return fail(
        res,
        {
          status: 400,
          code: 80008,
          subcode: 2593048,
          message: '(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again.',
        },
        usageHeaders(id, used, regain),
      );
    }
    calls.get(id)!.push(now());
    const headers = usageHeaders(id, usagePercent(id), 0);
    const version = match[1]!;
    const answers = business.get(id)!;
    // `paging.next`: the same list through its edge, from the cursor given.
    const edgeNext = (edge: string, fields: readonly string[]) => (cursor: string) =>
      `http://${req.headers.host ?? 'sandbox'}/${version}/${id}/${edge}?fields=${encodeURIComponent(fields.join(','))}&after=${cursor}`;
    const fieldNext = (field: FieldExpression) => (cursor: string) => {
      const others = [...field.modifiers].filter(([k]) => k !== 'after').map(([k, v]) => `.${k}(${v})`);
      return `http://${req.headers.host ?? 'sandbox'}/${version}/${id}?fields=${encodeURIComponent(`${field.name}${others.join('')}.after(${cursor})`)}`;
    };

    if (isSwitch) {
      const switched = answers.switchInsights(url.searchParams.get('is_enabled_for_insights'));
      return isError(switched) ? fail(res, switched, headers) : send(res, 200, switched, headers);
    }
    const edge = match[3];
    if (edge) {
      const fields = (url.searchParams.get('fields') ?? 'id')
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      const paging = { limit: url.searchParams.get('limit') ?? undefined, after: url.searchParams.get('after') ?? undefined };
      const list =
        edge === 'phone_numbers'
          ? answers.phoneNumbers(fields, version, now(), paging, edgeNext(edge, fields))
          : answers.messageTemplates(fields, now(), paging, edgeNext(edge, fields));
      return isError(list) ? fail(res, list, headers) : send(res, 200, list, headers);
    }

    let fields: FieldExpression[];
    try {
      fields = parseFields(url.searchParams.get('fields') ?? 'id');
    } catch (err) {
      if (err instanceof FieldSyntaxError) return fail(res, { status: 400, code: 2500, message: err.message }, headers);
      throw err;
    }
    const body: Record<string, unknown> = {};
    for (const field of fields) {
      if (field.name === 'id') continue;
      if (field.name === 'name') body.name = model.account.displayName;
      else if (field.name === 'timezone_id')
        body.timezone_id = '1'; // Graph's id for America/Los_Angeles
      else if (field.name === 'analytics') {
        const answer = analytics(model, field);
        if ('status' in answer && 'code' in answer) return fail(res, answer as GraphErrorAnswer, headers);
        body.analytics = answer;
      } else if (answers.plainField(field.name) !== undefined) body[field.name] = answers.plainField(field.name);
      else if (field.name === 'phone_numbers' || field.name === 'message_templates') {
        const fields = field.subfields ?? ['id'];
        const paging = { limit: field.modifiers.get('limit'), after: field.modifiers.get('after') };
        const list =
          field.name === 'phone_numbers'
            ? answers.phoneNumbers(fields, version, now(), paging, edgeNext(field.name, fields))
            : answers.messageTemplates(fields, now(), paging, edgeNext(field.name, fields));
        if (isError(list)) return fail(res, list, headers);
        body[field.name] = list;
      } else if (field.name === 'pricing_analytics' || field.name === 'template_analytics') {
        const answer =
          field.name === 'pricing_analytics'
            ? answers.pricingAnalytics(field, now(), fieldNext(field))
            : answers.templateAnalytics(field, now(), fieldNext(field));
        if (isError(answer)) return fail(res, answer, headers);
        body[field.name] = answer;
      } else {
        return fail(
          res,
          {
            status: 400,
            code: 100,
            message: `(#100) Tried accessing nonexisting field (${field.name}) on node type (WhatsAppBusinessAccount)`,
          },
          headers,
        );
      }
    }
    body.id = id;
    send(res, 200, body, headers);
  }

  function usageHeaders(id: string, percent: number, regainMinutes: number): Record<string, string> {
    if (percent < 10 && regainMinutes === 0) return {}; // Graph adds them only once usage is noticeable
    return {
      'x-business-use-case-usage': JSON.stringify({
        [id]: [
          {
            type: 'whatsapp_business_management',
            call_count: percent,
            total_cputime: Math.round(percent / 3),
            total_time: Math.round(percent / 2),
            estimated_time_to_regain_access: regainMinutes,
          },
        ],
      }),
    };
  }

  return {
    stats,
    handle(req, res) {
      route(req, res).catch((err: unknown) => {
        log.error({ err }, 'sandbox failed');
        if (!res.headersSent) fail(res, { status: 500, code: 1, message: 'An unknown error occurred' });
      });
    },
  };
}

/** Start the sandbox on loopback (port 0 = any free port). */
export async function startSandbox(options: SandboxOptions & { port?: number; host?: string }): Promise<RunningSandbox> {
  const { handle, stats } = createSandbox(options);
  const server = createServer(handle);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
