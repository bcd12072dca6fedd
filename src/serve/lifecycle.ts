import type { RequestHandler, Response } from 'express';

/** What a sender is asked to wait, in seconds, while the service starts or stops: about a restart. */
export const STARTING_RETRY_AFTER_SECONDS = 5;

export type Phase = 'starting' | 'ready' | 'stopping';

/**
 * What `serve`'s port answers while the service starts and stops. The port is taken before
 * anything else (so a port in use fails at once), which means requests arrive before the routes
 * behind them exist: each route belongs to a part (the store, the status webhooks, a chat
 * platform) and answers 503 with Retry-After until that part is up — never Express's 404, which
 * a sender (or a forwarder) takes as final. Stopping, every new request gets 503 and
 * `Connection: close` while the requests in flight finish.
 */
export class ServiceLifecycle {
  private current: Phase = 'starting';
  private readonly up = new Set<string>();
  private inFlight = 0;
  private waiting: Array<() => void> = [];

  constructor(private readonly routes: ReadonlyArray<{ path: string; part: string }>) {}

  get phase(): Phase {
    return this.current;
  }

  partUp(part: string): void {
    this.up.add(part);
  }

  isUp(part: string): boolean {
    return this.up.has(part);
  }

  ready(): void {
    this.current = 'ready';
  }

  stopping(): void {
    this.current = 'stopping';
  }

  /** First on the app: gates what is not up yet, and counts what is in flight. */
  handler(): RequestHandler {
    return (req, res, next) => {
      if (this.current === 'stopping') {
        res.set('connection', 'close');
        return unavailable(res, 'stopping');
      }
      const owner = this.routes.find((r) => req.path === r.path || req.path.startsWith(`${r.path}/`));
      if (owner && !this.up.has(owner.part)) return unavailable(res, 'starting');
      this.inFlight++;
      res.once('close', () => {
        if (--this.inFlight === 0) for (const resolve of this.waiting.splice(0)) resolve();
      });
      next();
    };
  }

  /** Resolves when no request is in flight (true), or after `timeoutMs` (false). */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

function unavailable(res: Response, phase: 'starting' | 'stopping'): void {
  res.set('retry-after', String(STARTING_RETRY_AFTER_SECONDS)).status(503).json({ error: phase });
}
