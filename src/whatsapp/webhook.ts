import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { WebhookInputError } from '../errors.js';
import type { Logger } from '../log.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import type { StatusIngest } from './ingest.js';
import { parseNotification } from './payload.js';
import { MAX_BODY_BYTES, WEBHOOK_PATH, type WebhookSettings } from './settings.js';
import { signatureMatches } from './signature.js';

function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface WebhookCounters {
  requests: { inc(labels: { outcome: string }): void };
  events: { inc(labels: { outcome: string }, value?: number): void };
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
}): Router {
  const { settings, ingest, accounts, log, now, counters } = options;
  const router = express.Router();
  const answer = (res: Response, status: number, outcome: string, body = outcome) => {
    counters?.requests.inc({ outcome });
    res.status(status).type('text/plain').send(body);
  };

  router.get(WEBHOOK_PATH, (req, res) => {
    const mode = req.query['hub.mode'];
    const challenge = req.query['hub.challenge'];
    if (mode !== 'subscribe' || !tokenMatches(req.query['hub.verify_token'], settings.verifyToken)) {
      log.warn(
        { mode: typeof mode === 'string' ? mode.slice(0, 20) : undefined },
        'webhook verification refused: wrong mode or verify token',
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
        log.warn({ bytes: raw.length, signed: Boolean(req.get('x-hub-signature-256')) }, 'webhook refused: signature missing or wrong');
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
      if (parsed.dropped.length)
        log.warn({ dropped: parsed.dropped.slice(0, 5), count: parsed.dropped.length }, 'webhook statuses dropped');
      const events = parsed.events.filter((e) => accounts.has(e.accountId));
      const foreign = parsed.events.length - events.length;
      if (foreign) log.info({ count: foreign }, 'webhook statuses for accounts not in the config: acknowledged, not counted');
      if (parsed.dropped.length && parsed.events.length === 0 && parsed.ignoredChanges === 0) {
        return answer(res, 400, 'bad_input', 'bad request');
      }
      try {
        await ingest.submit(events);
      } catch (err) {
        if (isStoreUnavailable(err)) {
          log.warn({ events: events.length }, 'webhook not acknowledged: the store is unavailable; Meta will send it again');
          res.set('retry-after', '30');
          return answer(res, 503, 'store_unavailable', 'unavailable');
        }
        log.error({ err: (err as Error).message }, 'webhook not acknowledged: the store refused the events');
        return answer(res, 503, 'store_error', 'unavailable');
      }
      counters?.events.inc({ outcome: 'accepted' }, events.length);
      if (parsed.dropped.length) counters?.events.inc({ outcome: 'dropped' }, parsed.dropped.length);
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
