import type { Request, Response } from 'express';
import type { Logger } from '../log.js';

/** What /healthz reads of a running (or starting) service. */
export interface HealthProbe {
  phase(): 'starting' | 'ready' | 'stopping';
  /** The store, once it is open: it must answer a ping. */
  ping: (() => Promise<void>) | undefined;
  scheduler(): unknown;
  /** Each chat platform's mode: its own word once up, "starting", or "off". */
  surfaces(): Record<string, string>;
  whatsapp(): 'on' | 'off' | 'starting';
  /** Status webhook ingest lag, when it runs; `stalled` when the store stopped committing. */
  ingest(): { stalled: boolean } | undefined;
}

/**
 * `/healthz`: 200 only when everything is up and the store answers (and commits); 503 while
 * starting, naming what is not up yet, and while the store does not answer — whose reason goes
 * to the log (once per reason), never into the answer.
 */
export function healthRoute(probe: HealthProbe, logger: Logger) {
  let problem: string | undefined;
  return async (_req: Request, res: Response) => {
    const ping = probe.ping;
    if (probe.phase() !== 'ready' || !ping) {
      return void res.status(503).json({
        status: probe.phase(),
        store: ping ? 'ok' : 'opening',
        scheduler: 'off',
        ...probe.surfaces(),
        whatsapp: probe.whatsapp(),
      });
    }
    try {
      await ping();
      problem = undefined;
      const ingest = probe.ingest();
      // A store that answers pings but not the ingest's commits (a lock, a failover) is not healthy either.
      if (ingest?.stalled) return void res.status(503).json({ status: 'degraded', store: 'ok', whatsapp: 'stalled', ingest });
      res.json({
        status: 'ok',
        store: 'ok',
        scheduler: probe.scheduler(),
        ...probe.surfaces(),
        whatsapp: probe.whatsapp(),
        ...(ingest ? { ingest } : {}),
      });
    } catch (err) {
      const reason = (err as Error).message;
      if (reason !== problem) logger.warn({ code: (err as { code?: string }).code, reason }, 'health check: the store does not answer');
      problem = reason;
      res.status(503).json({ status: 'degraded', store: 'unreachable' });
    }
  };
}
