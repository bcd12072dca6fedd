import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '../log.js';
import type { SandboxAccount } from './accountModel.js';
import { SANDBOX_EXPIRED_TOKEN, SANDBOX_NO_PERMISSION_TOKEN, SANDBOX_TOKEN } from './accounts.js';
import { analyticsAnswer } from './analyticsField.js';
import { businessOf } from './business.js';
import { CallBudget } from './callBudget.js';
import { type FieldExpression, FieldSyntaxError, parseFields } from './fieldExpression.js';
import { DEFAULT_WABA_TIMEZONE } from './ledger.js';
import { TrafficModel } from './traffic.js';
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

function fbtrace(): string {
  return randomBytes(8).toString('base64url');
}

const UNKNOWN_PATH = /^\/(v\d+\.\d+)\/([^/]+)(?:\/(phone_numbers|message_templates))?\/?$/;

/** One request as the router reads it: the version, the WABA, the edge, the token presented. */
interface GraphRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  version: string;
  id: string;
  edge: string | undefined;
  /** POST ?is_enabled_for_insights=…: the one write the product makes. */
  isSwitch: boolean;
}

/** The sandbox's Graph: one instance per server, holding what it remembers between requests. */
class SandboxGraph {
  readonly stats: SandboxStats = { requests: 0, byAccount: new Map() };
  private readonly token: string;
  private readonly wabaTz: string;
  private readonly models: Map<string, TrafficModel>;
  private readonly business: Map<string, BusinessAnswers>;
  private readonly budget: CallBudget;
  // When each answer is due: `latencyMs` after the request arrived. The work of answering
  // happens inside that time, as on a real server, so the latency is not added on top of it.
  private readonly dueAt = new WeakMap<ServerResponse, number>();

  constructor(private readonly options: SandboxOptions) {
    this.token = options.token ?? SANDBOX_TOKEN;
    this.wabaTz = options.wabaTimezone ?? DEFAULT_WABA_TIMEZONE;
    this.models = new Map(options.accounts.map((a) => [a.id, new TrafficModel(a)]));
    // Template insights, switched on by POST: the one thing the sandbox remembers between requests.
    const insightsOn = new Set(options.accounts.filter((a) => businessOf(a).insights === 'on').map((a) => a.id));
    this.business = new Map(options.accounts.map((a) => [a.id, new BusinessAnswers(a, this.models.get(a.id)!, this.wabaTz, insightsOn)]));
    this.budget = new CallBudget(options.callsPerHour ?? 200, options.now);
  }

  send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    const write = () => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    const wait = (this.dueAt.get(res) ?? 0) - performance.now();
    if (wait > 0) setTimeout(write, wait);
    else write();
  }

  fail(res: ServerResponse, e: GraphErrorAnswer, headers: Record<string, string> = {}): void {
    const error = {
      message: e.message,
      type: e.type ?? 'OAuthException',
      code: e.code,
      ...(e.subcode ? { error_subcode: e.subcode } : {}),
    };
    this.send(res, e.status, { error: { ...error, fbtrace_id: fbtrace() } }, headers);
  }

  async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (this.options.latencyMs) this.dueAt.set(res, performance.now() + this.options.latencyMs);
    const match = UNKNOWN_PATH.exec(url.pathname);
    const isSwitch = Boolean(req.method === 'POST' && match && !match[3] && url.searchParams.has('is_enabled_for_insights'));
    if (req.method !== 'GET' && !isSwitch)
      return this.fail(res, {
        status: 400,
        code: 100,
        message: `(#100) Unsupported ${req.method} request. The analytics edge is read-only.`,
        type: 'GraphMethodException',
      });
    if (!match) return this.fail(res, { status: 400, code: 2500, message: `Unknown path components: ${url.pathname}` });
    const request: GraphRequest = { req, res, url, version: match[1]!, id: decodeURIComponent(match[2]!), edge: match[3], isSwitch };
    const refused = this.authorize(request);
    if (refused) return this.fail(res, refused.error, refused.headers);
    const headers = this.budget.headers(request.id, this.budget.usedPercent(request.id), 0);
    const answers = this.business.get(request.id)!;
    if (isSwitch) {
      const switched = answers.switchInsights(url.searchParams.get('is_enabled_for_insights'));
      return isError(switched) ? this.fail(res, switched, headers) : this.send(res, 200, switched, headers);
    }
    if (request.edge) {
      const fields = (url.searchParams.get('fields') ?? 'id')
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      const paging = { limit: url.searchParams.get('limit') ?? undefined, after: url.searchParams.get('after') ?? undefined };
      const list = this.list(request, request.edge, fields, paging);
      return isError(list) ? this.fail(res, list, headers) : this.send(res, 200, list, headers);
    }
    const body = this.wabaNode(request);
    return isError(body) ? this.fail(res, body, headers) : this.send(res, 200, body, headers);
  }

  /** The token, the WABA and the call budget, as Graph checks them; the error to answer, if any. */
  private authorize({ req, url, id }: GraphRequest): { error: GraphErrorAnswer; headers?: Record<string, string> } | undefined {
    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : url.searchParams.get('access_token');
    if (!presented) return { error: { status: 400, code: 104, message: 'An access token is required to request this resource.' } };
    if (presented === SANDBOX_EXPIRED_TOKEN)
      return {
        error: {
          status: 400,
          code: 190,
          subcode: 463,
          message: 'Error validating access token: Session has expired on Tuesday, 24-Nov-26 01:00:00 PST.',
        },
      };
    if (presented !== this.token && presented !== SANDBOX_NO_PERMISSION_TOKEN)
      return { error: { status: 400, code: 190, message: 'Invalid OAuth access token - Cannot parse access token' } };
    if (!this.models.has(id))
      return {
        error: {
          status: 400,
          code: 100,
          subcode: 33,
          message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          type: 'GraphMethodException',
        },
      };
    if (presented === SANDBOX_NO_PERMISSION_TOKEN)
      return { error: { status: 403, code: 200, message: '(#200) Requires whatsapp_business_management permission to manage the object' } };
    this.stats.byAccount.set(id, (this.stats.byAccount.get(id) ?? 0) + 1);
    const used = this.budget.usedPercent(id);
    if (used >= 100)
      return {
        error: {
          status: 400,
          code: 80008,
          subcode: 2593048,
          message: '(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again.',
        },
        headers: this.budget.headers(id, used, this.budget.regainMinutes(id)),
      };
    this.budget.record(id);
    return undefined;
  }

  /** `phone_numbers` or `message_templates`, as an edge or a field; `paging.next` through the edge. */
  private list(
    request: GraphRequest,
    edge: string,
    fields: readonly string[],
    paging: { limit?: string | undefined; after?: string | undefined },
  ) {
    const { req, version, id } = request;
    const next = (cursor: string) =>
      `http://${req.headers.host ?? 'sandbox'}/${version}/${id}/${edge}?fields=${encodeURIComponent(fields.join(','))}&after=${cursor}`;
    const answers = this.business.get(id)!;
    const now = this.options.now();
    return edge === 'phone_numbers'
      ? answers.phoneNumbers(fields, version, now, paging, next)
      : answers.messageTemplates(fields, now, paging, next);
  }

  /** The WABA node with the fields asked for, or the first field's error. */
  private wabaNode(request: GraphRequest): GraphErrorAnswer | Record<string, unknown> {
    const { req, url, version, id } = request;
    let fields: FieldExpression[];
    try {
      fields = parseFields(url.searchParams.get('fields') ?? 'id');
    } catch (err) {
      if (err instanceof FieldSyntaxError) return { status: 400, code: 2500, message: err.message };
      throw err;
    }
    const model = this.models.get(id)!;
    const answers = this.business.get(id)!;
    const now = this.options.now();
    // `paging.next` of a field: the same field from the cursor given.
    const fieldNext = (field: FieldExpression) => (cursor: string) => {
      const others = [...field.modifiers].filter(([k]) => k !== 'after').map(([k, v]) => `.${k}(${v})`);
      return `http://${req.headers.host ?? 'sandbox'}/${version}/${id}?fields=${encodeURIComponent(`${field.name}${others.join('')}.after(${cursor})`)}`;
    };
    const body: Record<string, unknown> = {};
    for (const field of fields) {
      let answer: unknown;
      if (field.name === 'id') continue;
      if (field.name === 'name') answer = model.account.displayName;
      else if (field.name === 'timezone_id')
        answer = '1'; // Graph's id for America/Los_Angeles
      else if (field.name === 'analytics') answer = analyticsAnswer(model, field, Math.floor(now / 1000), this.wabaTz);
      else if (answers.plainField(field.name) !== undefined) answer = answers.plainField(field.name);
      else if (field.name === 'phone_numbers' || field.name === 'message_templates')
        answer = this.list(request, field.name, field.subfields ?? ['id'], {
          limit: field.modifiers.get('limit'),
          after: field.modifiers.get('after'),
        });
      else if (field.name === 'pricing_analytics') answer = answers.pricingAnalytics(field, now, fieldNext(field));
      else if (field.name === 'template_analytics') answer = answers.templateAnalytics(field, now, fieldNext(field));
      else
        return {
          status: 400,
          code: 100,
          message: `(#100) Tried accessing nonexisting field (${field.name}) on node type (WhatsAppBusinessAccount)`,
        };
      if (isError(answer)) return answer;
      body[field.name] = answer;
    }
    body.id = id;
    return body;
  }
}

export function createSandbox(options: SandboxOptions): {
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  stats: SandboxStats;
} {
  const graph = new SandboxGraph(options);
  const log = options.logger ?? silentLogger;
  return {
    stats: graph.stats,
    handle(req, res) {
      graph.route(req, res).catch((err: unknown) => {
        log.error({ err }, 'sandbox failed');
        if (!res.headersSent) graph.fail(res, { status: 500, code: 1, message: 'An unknown error occurred' });
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
