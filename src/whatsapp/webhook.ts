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
export function webhookRouter(options: {
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
}): Router {
  const { settings, ingest, accounts, log, now, counters } = options;
  const router = express.Router();
  const limiter = new LogLimiter(now);
  const answer = (res: Response, status: number, outcome: string, body = outcome) => {
    counters?.requests.inc({ outcome });
    res.status(status).type('text/plain').send(body);
  };

  /**
   * Health changes worth keeping: of a configured WABA, and — for a number's quality event — of a
   * number the config scopes the account to (any, when it lists none). The rest is counted and
   * logged once per 10 minutes, and acknowledged: Meta must not send it again.
   */
  const keptHealth = (changes: readonly HealthEvent[]): HealthEvent[] => {
    const kept: HealthEvent[] = [];
    for (const e of changes) {
      const phone = typeof e.data.phone === 'string' ? e.data.phone : undefined;
      const scope = options.numbers?.get(e.accountId) ?? [];
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
      const held = limiter.allow(`${outcome}:${e.accountId}:${e.field}`);
      if (held !== undefined)
        log.warn(
          { accountId: e.accountId, field: e.field, event: e.event, heldBack: held },
          outcome === 'foreign'
            ? 'health notification for a WABA id not in the config: acknowledged, not kept — check accounts[].id (one line per id and field per 10 minutes)'
            : "quality notification for a number not in the account's phoneNumbers: acknowledged, not kept — add it to accounts[].phoneNumbers to follow it (one line per account per 10 minutes)",
        );
    }
    return kept;
  };

  router.get(WEBHOOK_PATH, (req, res) => {
    const mode = req.query['hub.mode'];
    const challenge = req.query['hub.challenge'];
    if (mode !== 'subscribe' || !sameSecret(req.query['hub.verify_token'], settings.verifyToken)) {
      const held = limiter.allow('verification');
      if (held !== undefined)
        log.warn(
          { mode: typeof mode === 'string' ? mode.slice(0, 20) : undefined, heldBack: held },
          'webhook verification refused: wrong mode or verify token (one line per 10 minutes)',
        );
      return answer(res, 403, 'verification_refused', 'forbidden');
    }
    if (typeof challenge !== 'string' || !/^[\w.-]{1,128}$/.test(challenge)) return answer(res, 400, 'bad_challenge', 'bad request');
    return answer(res, 200, 'verified', challenge);
  });

  router.post(
    WEBHOOK_PATH,
    // The raw bytes, as Meta signed them: never parsed and re-serialized before the check.
    express.raw({ type: () => true, limit: MAX_BODY_BYTES }),
    async (req: Request, res: Response) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!signatureMatches(raw, req.get('x-hub-signature-256'), settings.appSecret)) {
        const held = limiter.allow('signature');
        if (held !== undefined)
          log.warn(
            { bytes: raw.length, signed: Boolean(req.get('x-hub-signature-256')), heldBack: held },
            'webhook refused: signature missing or wrong (one line per 10 minutes)',
          );
        return answer(res, 401, 'bad_signature', 'unauthorized');
      }
      let parsed: ReturnType<typeof parseNotification>;
      try {
        parsed = parseNotification(raw, now());
      } catch (err) {
        if (!(err instanceof WebhookInputError)) throw err;
        log.warn({ code: err.code, reason: err.message }, 'webhook input refused');
        return answer(res, err.status, 'bad_input', 'bad request');
      }
      req.body = undefined; // the events are read: the bytes need not wait for the store with them
      if (parsed.dropped.length) {
        const reasons: Record<string, number> = {};
        for (const d of parsed.dropped) reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
        for (const [reason, n] of Object.entries(reasons)) counters?.events.inc({ outcome: 'dropped', reason }, n);
        const held = limiter.allow(`dropped:${Object.keys(reasons).sort().join(',')}`);
        if (held !== undefined)
          log.warn(
            { reasons, dropped: parsed.dropped.slice(0, 5).map((d) => d.detail), heldBack: held },
            'webhook statuses dropped (one line per 10 minutes per kind)',
          );
      }
      if (parsed.ignored) counters?.events.inc({ outcome: 'ignored', reason: 'played' }, parsed.ignored);
      const events = parsed.events.filter((e) => accounts.has(e.accountId));
      if (events.length < parsed.events.length) {
        const foreign = new Map<string, number>();
        for (const e of parsed.events) if (!accounts.has(e.accountId)) foreign.set(e.accountId, (foreign.get(e.accountId) ?? 0) + 1);
        for (const [accountId, n] of foreign) {
          counters?.events.inc({ outcome: 'foreign' }, n);
          const held = limiter.allow(`foreign:${accountId}`);
          if (held !== undefined)
            log.warn(
              { accountId, statuses: n, heldBack: held },
              'webhook statuses for a WABA id not in the config: acknowledged, not counted — check accounts[].id (one line per id per 10 minutes)',
            );
        }
      }
      const health = keptHealth(parsed.health);
      let submitted: { refused: number };
      let healthKept = { recorded: 0, duplicates: 0 };
      try {
        submitted = await ingest.submit(events);
        // After the statuses, in its own transaction: a 503 now has Meta send both again, and both
        // are kept once whichever replica takes the retry.
        if (health.length && options.health)
          healthKept = await options.health.recordHealthEvents(health, { statementTimeoutMs: INGEST_DEFAULTS.statementTimeoutMs });
      } catch (err) {
        // Unreachable, stalled past the timeout, or too much already waiting: Meta sends it again.
        res.set('retry-after', '30');
        if (isStoreUnavailable(err)) {
          const code = (err as { code?: string }).code ?? 'E_STORE_UNAVAILABLE';
          const held = limiter.allow(`unavailable:${code}`);
          if (held !== undefined)
            log.warn(
              { code, events: events.length, heldBack: held },
              'webhook not acknowledged: the store is unavailable or stalled; Meta will send it again',
            );
          return answer(
            res,
            503,
            code === 'E_INGEST_BUSY' ? 'busy' : code === 'E_STORE_TIMEOUT' ? 'store_timeout' : 'store_unavailable',
            'unavailable',
          );
        }
        log.error({ err: (err as Error).message }, 'webhook not acknowledged: the store refused the events');
        return answer(res, 503, 'store_error', 'unavailable');
      }
      counters?.events.inc({ outcome: 'accepted' }, events.length - submitted.refused);
      if (healthKept.recorded) counters?.events.inc({ outcome: 'health' }, healthKept.recorded);
      if (healthKept.duplicates) counters?.events.inc({ outcome: 'health_duplicate' }, healthKept.duplicates);
      if (submitted.refused) {
        counters?.events.inc({ outcome: 'dropped', reason: 'store_refused' }, submitted.refused);
        const held = limiter.allow('store_refused');
        if (held !== undefined)
          log.warn(
            { refused: submitted.refused, heldBack: held },
            'webhook statuses refused by the store for their data: dropped, the rest counted',
          );
      }
      return answer(res, 200, 'accepted', 'ok');
    },
  );

  // Too large, or unreadable: 413/400 from the body reader, answered here in words.
  router.use(WEBHOOK_PATH, (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status === 413) {
      log.warn({ limit: MAX_BODY_BYTES }, 'webhook refused: body over 1 MB');
      return answer(res, 413, 'too_large', 'request too large');
    }
    if (status && status < 500) {
      log.warn({ reason: (err as { type?: string }).type }, 'webhook refused: unreadable body');
      return answer(res, 400, 'bad_input', 'bad request');
    }
    return next(err);
  });
  return router;
}
