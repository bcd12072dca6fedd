import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { WebhookInputError } from '../errors.js';
import { type Logger, LogLimiter } from '../log.js';
import { sameSecret } from '../secrets.js';
import type { HealthEventRepository } from '../store/types.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import type { HealthEvent } from './healthEvents.js';
import { INGEST_DEFAULTS, type StatusIngest } from './ingest.js';
import { parseNotification } from './payload.js';
import { MAX_BODY_BYTES, WEBHOOK_PATH, type WebhookSettings } from './settings.js';
import { signatureMatches } from './signature.js';

export interface WebhookCounters {
  requests: { inc(labels: { outcome: string }): void };
  events: { inc(labels: { outcome: string; reason?: string }, value?: number): void };
}

/**
 * `GET` and `POST /whatsapp/webhook`: Meta's verification handshake, and status notifications —
 * each verified against its `X-Hub-Signature-256` before a byte of it is parsed, read into status
 * events, and answered 200 only once those are durable in the store (503 while the store is
 * down, so Meta sends them again). Input Meta should not retry gets 400 or 413, with the reason
 * in a log line; no recipient number or message id is ever logged.
 */
export interface WebhookRouteOptions {
  settings: WebhookSettings;
  ingest: StatusIngest;
  /** WABA ids of the configured accounts: statuses of other accounts are acknowledged, not kept. */
  accounts: ReadonlySet<string>;
  log: Logger;
  now: () => number;
  counters?: WebhookCounters | undefined;
  /** Where number, template and account health notifications are kept (once each); without it they are acknowledged only. */
  health?: HealthEventRepository | undefined;
  /** The numbers (digits) each account is scoped to in the config: a number's quality event outside them is not kept. */
  numbers?: ReadonlyMap<string, readonly string[]> | undefined;
}

/** What the route answers and counts, and its log lines — each kind at most once per 10 minutes. */
class WebhookRoute {
  private readonly limiter: LogLimiter;

  constructor(private readonly options: WebhookRouteOptions) {
    this.limiter = new LogLimiter(options.now);
  }

  /** Answers and counts; returns nothing, so a handler can `return this.answer(…)`. */
  answer(res: Response, status: number, outcome: string, body = outcome): undefined {
    this.options.counters?.requests.inc({ outcome });
    res.status(status).type('text/plain').send(body);
    return undefined;
  }

  /** Log `message` once per 10 minutes for `kind`, saying how many were held back. */
  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const held = this.limiter.allow(kind);
    if (held !== undefined) this.options.log.warn({ ...fields, heldBack: held }, message);
  }

  verify(req: Request, res: Response): undefined {
    const mode = req.query['hub.mode'];
    const challenge = req.query['hub.challenge'];
    if (mode !== 'subscribe' || !sameSecret(req.query['hub.verify_token'], this.options.settings.verifyToken)) {
      this.warn(
        'verification',
        { mode: typeof mode === 'string' ? mode.slice(0, 20) : undefined },
        'webhook verification refused: wrong mode or verify token (one line per 10 minutes)',
      );
      return this.answer(res, 403, 'verification_refused', 'forbidden');
    }
    if (typeof challenge !== 'string' || !/^[\w.-]{1,128}$/.test(challenge)) return this.answer(res, 400, 'bad_challenge', 'bad request');
    return this.answer(res, 200, 'verified', challenge);
  }

  async receive(req: Request, res: Response): Promise<undefined> {
    const { settings, ingest, now, counters } = this.options;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!signatureMatches(raw, req.get('x-hub-signature-256'), settings.appSecret)) {
      this.warn(
        'signature',
        { bytes: raw.length, signed: Boolean(req.get('x-hub-signature-256')) },
        'webhook refused: signature missing or wrong (one line per 10 minutes)',
      );
      return this.answer(res, 401, 'bad_signature', 'unauthorized');
    }
    let parsed: ReturnType<typeof parseNotification>;
    try {
      parsed = parseNotification(raw, now());
    } catch (err) {
      if (!(err instanceof WebhookInputError)) throw err;
      this.options.log.warn({ code: err.code, reason: err.message }, 'webhook input refused');
      return this.answer(res, err.status, 'bad_input', 'bad request');
    }
    req.body = undefined; // the events are read: the bytes need not wait for the store with them
    this.noteDropped(parsed.dropped);
    if (parsed.ignored) counters?.events.inc({ outcome: 'ignored', reason: 'played' }, parsed.ignored);
    const events = this.configuredOnly(parsed.events);
    const health = this.keptHealth(parsed.health);
    let submitted: { refused: number };
    let healthKept = { recorded: 0, duplicates: 0 };
    try {
      submitted = await ingest.submit(events);
      // After the statuses, in its own transaction: a 503 now has Meta send both again, and both
      // are kept once whichever replica takes the retry.
      if (health.length && this.options.health)
        healthKept = await this.options.health.recordHealthEvents(health, { statementTimeoutMs: INGEST_DEFAULTS.statementTimeoutMs });
    } catch (err) {
      return this.notKept(res, err, events.length);
    }
    counters?.events.inc({ outcome: 'accepted' }, events.length - submitted.refused);
    if (healthKept.recorded) counters?.events.inc({ outcome: 'health' }, healthKept.recorded);
    if (healthKept.duplicates) counters?.events.inc({ outcome: 'health_duplicate' }, healthKept.duplicates);
    if (submitted.refused) {
      counters?.events.inc({ outcome: 'dropped', reason: 'store_refused' }, submitted.refused);
      this.warn(
        'store_refused',
        { refused: submitted.refused },
        'webhook statuses refused by the store for their data: dropped, the rest counted',
      );
    }
    return this.answer(res, 200, 'accepted', 'ok');
  }

  /** Unreachable, stalled past the timeout, or too much already waiting: 503, and Meta sends it again. */
  private notKept(res: Response, err: unknown, events: number): undefined {
    res.set('retry-after', '30');
    if (isStoreUnavailable(err)) {
      const code = (err as { code?: string }).code ?? 'E_STORE_UNAVAILABLE';
      this.warn(
        `unavailable:${code}`,
        { code, events },
        'webhook not acknowledged: the store is unavailable or stalled; Meta will send it again',
      );
      const outcome = code === 'E_INGEST_BUSY' ? 'busy' : code === 'E_STORE_TIMEOUT' ? 'store_timeout' : 'store_unavailable';
      return this.answer(res, 503, outcome, 'unavailable');
    }
    this.options.log.error({ err: (err as Error).message }, 'webhook not acknowledged: the store refused the events');
    return this.answer(res, 503, 'store_error', 'unavailable');
  }

  private noteDropped(dropped: ReturnType<typeof parseNotification>['dropped']): void {
    if (!dropped.length) return;
    const reasons: Record<string, number> = {};
    for (const d of dropped) reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
    for (const [reason, n] of Object.entries(reasons)) this.options.counters?.events.inc({ outcome: 'dropped', reason }, n);
    this.warn(
      `dropped:${Object.keys(reasons).sort().join(',')}`,
      { reasons, dropped: dropped.slice(0, 5).map((d) => d.detail) },
      'webhook statuses dropped (one line per 10 minutes per kind)',
    );
  }

  /** Statuses of the configured WABAs; the others are counted and acknowledged, not kept. */
  private configuredOnly<E extends { accountId: string }>(events: readonly E[]): E[] {
    const { accounts, counters } = this.options;
    const kept = events.filter((e) => accounts.has(e.accountId));
    if (kept.length === events.length) return kept;
    const foreign = new Map<string, number>();
    for (const e of events) if (!accounts.has(e.accountId)) foreign.set(e.accountId, (foreign.get(e.accountId) ?? 0) + 1);
    for (const [accountId, n] of foreign) {
      counters?.events.inc({ outcome: 'foreign' }, n);
      this.warn(
        `foreign:${accountId}`,
        { accountId, statuses: n },
        'webhook statuses for a WABA id not in the config: acknowledged, not counted — check accounts[].id (one line per id per 10 minutes)',
      );
    }
    return kept;
  }

  /**
   * Health changes worth keeping: of a configured WABA, and — for a number's quality event — of a
   * number the config scopes the account to (any, when it lists none). The rest is counted and
   * logged once per 10 minutes, and acknowledged: Meta must not send it again.
   */
  private keptHealth(changes: readonly HealthEvent[]): HealthEvent[] {
    const { accounts, counters, numbers } = this.options;
    const kept: HealthEvent[] = [];
    for (const e of changes) {
      const phone = typeof e.data.phone === 'string' ? e.data.phone : undefined;
      const scope = numbers?.get(e.accountId) ?? [];
      const outcome = !accounts.has(e.accountId)
        ? 'foreign'
        : phone && scope.length && !scope.includes(phone)
          ? 'foreign_number'
          : undefined;
      if (!outcome) {
        kept.push(e);
        continue;
      }
      counters?.events.inc({ outcome, reason: e.field });
      this.warn(
        `${outcome}:${e.accountId}:${e.field}`,
        { accountId: e.accountId, field: e.field, event: e.event },
        outcome === 'foreign'
          ? 'health notification for a WABA id not in the config: acknowledged, not kept — check accounts[].id (one line per id and field per 10 minutes)'
          : "quality notification for a number not in the account's phoneNumbers: acknowledged, not kept — add it to accounts[].phoneNumbers to follow it (one line per account per 10 minutes)",
      );
    }
    return kept;
  }

  /** Too large, or unreadable: 413/400 from the body reader, answered here in words. */
  refuseBody(err: unknown, res: Response, next: NextFunction): undefined {
    const status = (err as { status?: number }).status;
    if (status === 413) {
      this.options.log.warn({ limit: MAX_BODY_BYTES }, 'webhook refused: body over 1 MB');
      return this.answer(res, 413, 'too_large', 'request too large');
    }
    if (status && status < 500) {
      this.options.log.warn({ reason: (err as { type?: string }).type }, 'webhook refused: unreadable body');
      return this.answer(res, 400, 'bad_input', 'bad request');
    }
    next(err);
    return undefined;
  }
}

export function webhookRouter(options: WebhookRouteOptions): Router {
  const route = new WebhookRoute(options);
  const router = express.Router();
  router.get(WEBHOOK_PATH, (req, res) => route.verify(req, res));
  // The raw bytes, as Meta signed them: never parsed and re-serialized before the check.
  router.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: MAX_BODY_BYTES }), (req: Request, res: Response) =>
    route.receive(req, res),
  );
  router.use(WEBHOOK_PATH, (err: unknown, _req: Request, res: Response, next: NextFunction) => route.refuseBody(err, res, next));
  return router;
}
