import { setTimeout as sleepFor } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { Agent, request, errors as undiciErrors } from 'undici';
import { z } from 'zod';
import {
  GraphError,
  type GraphErrorBody,
  GraphRateLimitError,
  GraphResponseError,
  GraphTimeoutError,
  GraphUnavailableError,
  InterruptedError,
  isWabaPulseError,
} from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { redactSecrets, registerSecret } from '../secrets.js';
import type { DataPoint, TimeRange } from '../vocabulary/series.js';
import { parseAnswer, subjectOf } from './answer.js';
import { planChunks, requestGranularity } from './chunks.js';
import { classifyGraphError } from './classify.js';
import { GRAPH_DEFAULTS, GRAPH_LOOKBACK_SECONDS, type GraphSettings } from './defaults.js';
import { type AnalyticsFilter, analyticsField, type GraphGranularity, objectUrl } from './fields.js';
import { UsageGovernor } from './usage.js';

/** Where analytics come from: the Graph client itself, or the bucket cache in front of it. */
export interface AnalyticsSource {
  fetchAnalytics(account: GraphAccount, req: AnalyticsRequest): Promise<AnalyticsResult>;
  /**
   * The Graph calls `fetchAnalytics` would make for this request now — 0 when a cache holds it
   * all — so a report or a check can spend its call budget where it matters before calling.
   */
  plannedCalls?(account: GraphAccount, req: AnalyticsRequest): Promise<number>;
}

/** What the client needs to know of an account. */
export interface GraphAccount {
  id: string;
  name: string;
  token: string;
  /** Named in hints when the token is refused. */
  tokenEnv?: string;
  /** Zone of Graph's DAY buckets, for chunk cuts. */
  wabaTimezone: string;
  /** How long deliveries keep arriving for a bucket: older buckets may be cached. */
  settleMs: number;
}

export interface AnalyticsRequest extends AnalyticsFilter {
  range: TimeRange;
  granularity: GraphGranularity;
}

export interface AnalyticsResult {
  points: DataPoint[];
  phoneNumbers: string[];
  countryCodes: string[];
  /** The granularity Graph was asked for: DAY for a MONTH range shorter than a month. */
  granularity: GraphGranularity;
  /** The range actually asked of Graph after clamping. */
  range: TimeRange;
  /** Things the user should know: clamped ranges, chunking. */
  notes: string[];
  requests: number;
}

export interface GraphClientOptions extends Partial<GraphSettings> {
  logger?: Logger;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** First backoff step for transient errors and for rate limits without a stated wait. */
  retryBaseMs?: number;
  rateLimitBaseMs?: number;
  retryCapMs?: number;
  /** Called before a wait for the call budget (the CLI says how long and why). */
  onBudgetWait?: (info: { account: string; delayMs: number; reason: string }) => void;
  /** Called after every HTTP attempt (for metrics). */
  onCall?: (info: { wabaId: string; status: number | undefined; ms: number; error?: string }) => void;
  /** Aborts in-flight calls, waits and retries (Ctrl-C, shutdown). */
  signal?: AbortSignal | undefined;
}

const dataPointSchema = z.object({
  start: z.number().int(),
  end: z.number().int(),
  sent: z.number().int().nonnegative(),
  delivered: z.number().int().nonnegative(),
});

export const analyticsResponseSchema = z.object({
  analytics: z
    .object({
      phone_numbers: z.array(z.union([z.string(), z.number()]).transform(String)).default([]),
      country_codes: z.array(z.string()).optional(),
      granularity: z.string(),
      data_points: z.array(dataPointSchema).default([]),
    })
    .optional(),
  id: z.string(),
});

export type AnalyticsResponse = z.output<typeof analyticsResponseSchema>;

export { subjectOf } from './answer.js';

/**
 * The Graph API client: one per process, shared by every account so that concurrency is
 * bounded across all of them and each WABA's call budget is tracked in one place.
 */
export class GraphClient implements AnalyticsSource {
  readonly settings: GraphSettings;
  readonly usage: UsageGovernor;
  private readonly limit: LimitFunction;
  private readonly agent: Agent;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly retryBaseMs: number;
  private readonly rateLimitBaseMs: number;
  private readonly retryCapMs: number;
  private readonly onCall: GraphClientOptions['onCall'];
  private readonly onBudgetWait: GraphClientOptions['onBudgetWait'];
  private readonly signal: AbortSignal | undefined;
  /** Graph's own words the last time it rate-limited each WABA: kept when our budget wait gives up. */
  private readonly lastRateLimit = new Map<string, GraphRateLimitError>();

  constructor(options: GraphClientOptions) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.settings = { ...GRAPH_DEFAULTS, ...(defined as Partial<GraphSettings>) };
    this.signal = options.signal;
    this.now = options.now;
    this.sleep = options.sleep ?? ((ms) => sleepFor(ms, undefined, this.signal ? { signal: this.signal } : {}));
    this.random = options.random ?? Math.random;
    this.log = options.logger ?? silentLogger;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.rateLimitBaseMs = options.rateLimitBaseMs ?? 5_000;
    this.retryCapMs = options.retryCapMs ?? 30_000;
    this.onCall = options.onCall;
    this.onBudgetWait = options.onBudgetWait;
    this.limit = pLimit(this.settings.concurrency);
    this.agent = new Agent({ connections: this.settings.concurrency * 2, keepAliveTimeout: 10_000 });
    this.usage = new UsageGovernor({ callsPerHour: this.settings.callsPerHour, now: this.now });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Sent/delivered per bucket for one account. Clamps the range to what Graph serves (no
   * future end, one year back), splits long fine-grained ranges into chunks and merges them.
   */
  async fetchAnalytics(account: GraphAccount, req: AnalyticsRequest): Promise<AnalyticsResult> {
    registerSecret(account.token);
    const notes: string[] = [];
    const { range, chunks, granularity } = this.plan(account, req, notes);
    if (chunks.length === 0)
      return { points: [], phoneNumbers: [], countryCodes: [], granularity: req.granularity, range, notes, requests: 0 };
    const answers = await Promise.all(chunks.map((chunk) => this.fetchOnce(account, { ...req, granularity, range: chunk })));

    // Chunks never overlap, so every point is passed on as Graph sent it: duplicates and
    // conflicts within an answer are for normalizeSeries to count or refuse, not to hide here.
    const points: DataPoint[] = [];
    const phones = new Set<string>();
    const countries = new Set<string>();
    for (const answer of answers) {
      for (const p of answer.analytics?.data_points ?? []) points.push(p);
      for (const n of answer.analytics?.phone_numbers ?? []) phones.add(n);
      for (const c of answer.analytics?.country_codes ?? []) countries.add(c);
    }
    return {
      points: points.sort((a, b) => a.start - b.start),
      phoneNumbers: [...phones],
      countryCodes: [...countries],
      granularity,
      range,
      notes,
      requests: chunks.length,
    };
  }

  async plannedCalls(account: GraphAccount, req: AnalyticsRequest): Promise<number> {
    return this.plan(account, req, []).chunks.length;
  }

  /**
   * What a request becomes: clamped to what Graph serves (no future end, one year back; saying so
   * in `notes`) and cut into the chunks the client asks for.
   */
  private plan(
    account: GraphAccount,
    req: AnalyticsRequest,
    notes: string[],
  ): { range: TimeRange; chunks: TimeRange[]; granularity: AnalyticsRequest['granularity'] } {
    const nowS = Math.floor(this.now() / 1000);
    let { start, end } = req.range;
    if (end > nowS) {
      if (end - nowS > 60)
        notes.push(`End moved to now (${new Date(nowS * 1000).toISOString().slice(0, 16)}Z): Graph serves no future buckets.`);
      end = nowS;
    }
    if (start < nowS - GRAPH_LOOKBACK_SECONDS) {
      start = nowS - GRAPH_LOOKBACK_SECONDS;
      notes.push(
        `Nothing before ${new Date(start * 1000).toISOString().slice(0, 10)} was fetched: Graph keeps one year of messaging analytics.`,
      );
    }
    const range = { start, end };
    if (start >= end) return { range, chunks: [], granularity: req.granularity };
    // Checked on the range as sent, after clamping: a month cut short by "now" is asked by days.
    const granularity = requestGranularity(range, req.granularity);
    const spanMs = granularity === 'HALF_HOUR' ? this.settings.halfHourChunkMs : this.settings.dayChunkMs;
    return { range, chunks: planChunks(range, granularity, account.wabaTimezone, Math.floor(spanMs / 1000)), granularity };
  }

  /** A cheap authenticated read (`fields=id`) to check a token against a WABA. */
  async verifyAccess(account: GraphAccount): Promise<void> {
    registerSecret(account.token);
    await this.call(account, objectUrl(this.settings.apiUrl, this.settings.version, account.id, 'id'));
  }

  private async fetchOnce(account: GraphAccount, req: AnalyticsRequest): Promise<AnalyticsResponse> {
    const field = analyticsField({ ...req, start: req.range.start, end: req.range.end });
    const body = await this.call(account, objectUrl(this.settings.apiUrl, this.settings.version, account.id, field));
    return parseAnswer(analyticsResponseSchema, body, account);
  }

  /**
   * One Graph request with this client's retries, budget pacing and typed errors — what the
   * health, pricing and template fetchers (src/graph/health.ts, pricing.ts, templates.ts) send
   * their own fields through. POST only for Graph's idempotent switches (template insights).
   */
  async requestJson(account: GraphAccount, url: string, method: 'GET' | 'POST' = 'GET'): Promise<unknown> {
    registerSecret(account.token);
    return this.call(account, url, method);
  }

  /** One request (a GET, unless a caller's idempotent POST) with retries, budget pacing and typed errors. */
  private async call(account: GraphAccount, url: string, method: 'GET' | 'POST' = 'GET'): Promise<unknown> {
    const maxAttempts = this.settings.maxAttempts;
    for (let attempt = 1; ; attempt++) {
      await this.waitForBudget(account);
      try {
        return await this.limit(() => this.attempt(account, url, method));
      } catch (err) {
        if (err instanceof GraphRateLimitError && err.graphCode !== undefined) this.lastRateLimit.set(account.id, err);
        if (!(err instanceof GraphError) || !err.retryable || attempt >= maxAttempts) throw err;
        const delay =
          err.retryAfterMs ?? this.backoff(attempt, err instanceof GraphRateLimitError ? this.rateLimitBaseMs : this.retryBaseMs);
        if (delay > this.settings.maxWaitMs) throw err;
        this.log.warn({ account: account.name, code: err.code, attempt, delayMs: Math.round(delay) }, 'graph call failed, retrying');
        await this.pause(delay);
      }
    }
  }

  /** Stop now if the user asked to (the signal's reason says why). */
  private throwIfAborted(): void {
    if (!this.signal?.aborted) return;
    const reason: unknown = this.signal.reason;
    throw isWabaPulseError(reason) ? reason : new InterruptedError();
  }

  private async pause(ms: number): Promise<void> {
    this.throwIfAborted();
    try {
      await this.sleep(ms);
    } catch (err) {
      this.throwIfAborted();
      throw err;
    }
    this.throwIfAborted();
  }

  /** Exponential backoff with "equal jitter": half the step fixed, half random. */
  private backoff(attempt: number, base: number): number {
    const step = Math.min(this.retryCapMs, base * 2 ** (attempt - 1));
    return step / 2 + this.random() * (step / 2);
  }

  private async waitForBudget(account: GraphAccount): Promise<void> {
    const delay = this.usage.delayBefore(account.id);
    if (delay <= 0) return;
    if (delay > this.settings.maxWaitMs) {
      // When Graph itself said stop, say what Graph said (code, message, fbtrace_id) as well.
      const graphSaid = this.lastRateLimit.get(account.id);
      const minutes = Math.ceil(delay / 60_000);
      const err = new GraphRateLimitError(
        graphSaid
          ? `Graph is rate limiting this app or WABA; access returns in about ${minutes} min`
          : `the Graph call budget for this WABA is spent; access returns in about ${minutes} min`,
        { subject: subjectOf(account), ...(graphSaid ? { body: graphSaid.graphBody, httpStatus: graphSaid.httpStatus } : {}) },
        'try again later; fewer checks or drill-downs per hour use less of the budget',
      );
      err.retryAfterMs = delay;
      throw err;
    }
    this.log.info({ account: account.name, delayMs: Math.round(delay) }, 'pacing graph calls to stay within the budget');
    this.onBudgetWait?.({ account: account.name, delayMs: delay, reason: this.usage.describePressure(account.id) });
    await this.pause(delay);
  }

  private async attempt(account: GraphAccount, url: string, method: 'GET' | 'POST'): Promise<unknown> {
    this.throwIfAborted();
    const started = performance.now();
    const subject = subjectOf(account);
    this.usage.record(account.id);
    let status: number | undefined;
    try {
      const res = await request(url, {
        method,
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${account.token}`, accept: 'application/json' },
        signal: this.signal
          ? AbortSignal.any([AbortSignal.timeout(this.settings.timeoutMs), this.signal])
          : AbortSignal.timeout(this.settings.timeoutMs),
      });
      status = res.statusCode;
      this.usage.observe(account.id, res.headers);
      const text = await res.body.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const graphError = (body as { error?: GraphErrorBody } | undefined)?.error;
      if (status >= 200 && status < 300 && !graphError) {
        if (body === undefined) throw new GraphResponseError(`Graph answered HTTP ${status} without JSON`, { subject, httpStatus: status });
        return body;
      }
      const err = classifyGraphError({
        subject,
        httpStatus: status,
        body: sanitize(graphError),
        ...(account.tokenEnv ? { tokenEnv: account.tokenEnv } : {}),
      });
      err.retryAfterMs =
        retryAfter(res.headers['retry-after'], this.now()) ??
        (err instanceof GraphRateLimitError ? this.usage.regainAccessInMs(account.id) : undefined);
      throw err;
    } catch (err) {
      if (err instanceof GraphError) throw err;
      this.throwIfAborted();
      throw networkError(err, subject, this.settings);
    } finally {
      const ms = performance.now() - started;
      this.log.debug({ account: account.name, status, ms: Math.round(ms) }, 'graph call');
      this.onCall?.({ wabaId: account.id, status, ms });
    }
  }
}

/** Error text from a server may echo what we sent; scrub it before it reaches a message. */
function sanitize(body: GraphErrorBody | undefined): GraphErrorBody | undefined {
  if (!body) return undefined;
  return {
    ...body,
    ...(body.message ? { message: redactSecrets(body.message) } : {}),
    ...(body.error_data?.details ? { error_data: { details: redactSecrets(body.error_data.details) } } : {}),
  };
}

function retryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkError(err: unknown, subject: string, settings: { apiUrl: string; timeoutMs: number }): GraphError {
  const name = (err as Error)?.name;
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  ) {
    return new GraphTimeoutError(
      `Graph did not answer within ${settings.timeoutMs} ms`,
      { subject },
      'try again; if Graph is slow, raise graph.timeout in the config',
      err,
    );
  }
  const code = (err as { code?: string })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  const host = new URL(settings.apiUrl).host;
  return new GraphUnavailableError(
    `cannot reach Graph at ${host}${code ? ` (${code})` : ''}`,
    { subject },
    'check the network and GRAPH_API_URL, then try again',
    err,
  );
}
