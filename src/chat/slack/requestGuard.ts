import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../../log.js';
import type { StoreWith } from '../../store/types.js';

/**
 * In front of Bolt on `/slack/events`: Slack signs every request with a timestamp, and Bolt
 * refuses only timestamps more than five minutes *old*. Here a timestamp more than five minutes
 * off either way is refused, and a request already handled (the same signed body, replayed or
 * resent) is acknowledged without running again — across replicas, through the store.
 */
export interface SlackGuardOptions {
  signingSecret: string;
  store: StoreWith<'seen'>;
  log: Logger;
  /** Wall clock: request timestamps are real time whatever clock the service runs on. */
  wallClock?: () => number;
}

const WINDOW_SECONDS = 5 * 60;
/** A replay can only pass the timestamp check within ±5 minutes, so 10 minutes of memory suffice. */
const SEEN_TTL_MS = 10 * 60_000;
const LOCAL_SEEN_MAX = 10_000;

export function slackRequestGuard(options: SlackGuardOptions): RequestHandler[] {
  const wallClock = options.wallClock ?? Date.now;
  // Used when the store cannot answer: one replica still refuses its own replays.
  const localSeen = new Map<string, number>();

  function seenLocally(key: string, now: number): boolean {
    const expires = localSeen.get(key);
    if (expires !== undefined && expires > now) return true;
    if (localSeen.size >= LOCAL_SEEN_MAX) localSeen.delete(localSeen.keys().next().value!);
    localSeen.set(key, now + SEEN_TTL_MS);
    return false;
  }

  const check = async (req: Request, res: Response, next: NextFunction) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const tsHeader = req.header('x-slack-request-timestamp');
    const signature = req.header('x-slack-signature');
    const ts = Number(tsHeader);
    const nowS = Math.floor(wallClock() / 1000);
    if (!tsHeader || !signature || !Number.isInteger(ts)) {
      options.log.warn('slack request refused: no signature or timestamp');
      res.status(401).send();
      return;
    }
    if (Math.abs(nowS - ts) > WINDOW_SECONDS) {
      options.log.warn({ skewSeconds: nowS - ts }, 'slack request refused: timestamp more than 5 minutes off');
      res.status(401).send();
      return;
    }
    const expected = `v0=${createHmac('sha256', options.signingSecret).update(`v0:${ts}:`).update(raw).digest('hex')}`;
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      options.log.warn('slack request refused: bad signature');
      res.status(401).send();
      return;
    }
    // Two requests with one body are one request: every command and click carries its own
    // trigger_id and response_url.
    const key = `slack:${createHash('sha256').update(raw).digest('base64url')}`;
    let fresh: boolean;
    try {
      fresh = (await options.store.seen.firstSeen([key], wallClock(), SEEN_TTL_MS)).has(key);
    } catch (err) {
      options.log.warn({ err: (err as Error).message }, 'store unavailable: replays checked in this replica only');
      fresh = !seenLocally(key, wallClock());
    }
    if (!fresh) {
      options.log.warn({ retry: req.header('x-slack-retry-num') }, 'slack request already handled; acknowledged again, not run');
      res.status(200).send();
      return;
    }
    // Bolt reads `rawBody` when it is there, and checks the signature once more itself.
    (req as Request & { rawBody?: Buffer }).rawBody = raw;
    next();
  };
  return [
    express.raw({ type: () => true, limit: '1mb' }),
    (req, res, next) => {
      check(req, res, next).catch(next);
    },
  ];
}
