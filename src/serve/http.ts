import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIPv4 } from 'node:net';
import type { NextFunction, Request, Response, Router } from 'express';
import type { ChartLinks } from '../charts/links.js';
import { InterruptedError, PortInUseError } from '../errors.js';
import type { Logger } from '../log.js';
import { sameSecret } from '../secrets.js';
import type { ServiceMetrics } from './metrics.js';

/** The HTTP plumbing of `serve`: taking the port, draining it, its error answers, and the routes of its own. */

/** Take the port before anything else starts: a port in use stops `serve` before it does any work. */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortInUseError(port) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
  return (server.address() as AddressInfo).port;
}

/** Stop taking connections; those still open are cut once `drained` settles (requests in flight finish first). */
export async function closeServer(server: Server, drained: Promise<unknown> = Promise.resolve()): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await drained;
  server.closeAllConnections();
  await closed;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}

/** How an HTTP error looks from outside: a status and a word, never a stack or a path. */
export function httpErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; type?: string };
    const status = e.status ?? e.statusCode ?? (err instanceof URIError ? 400 : 500);
    if (status >= 500) logger.error({ err, path: req.path.slice(0, 200) }, 'request failed');
    else logger.warn({ status, path: req.path.slice(0, 200), reason: e.type ?? (err as Error).name }, 'request refused');
    if (res.headersSent) return;
    const word = status === 413 ? 'request too large' : status >= 500 ? 'internal error' : 'bad request';
    res.status(status).json({ error: word });
  };
}

/** Resolves with `work`, or rejects with InterruptedError as soon as `signal` aborts (what started is stopped by the caller). */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason ?? new InterruptedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new InterruptedError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Prometheus text; with METRICS_TOKEN set, only for a scraper that presents it as a bearer token. */
export function metricsRoute(metrics: ServiceMetrics, token: string | undefined) {
  return async (req: Request, res: Response) => {
    if (token && !sameSecret(/^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1], token)) {
      return void res.status(401).set('www-authenticate', 'Bearer').json({ error: 'unauthorized' });
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

/** Signed chart images for Teams cards (`/charts/<id>.png?exp&sig`): tampered or expired links get 403. */
export function mountChartImages(routes: Router, links: ChartLinks): void {
  routes.get('/charts/:file', (req, res) => {
    const id = /^([a-f0-9]{32})\.png$/.exec(req.params.file)?.[1];
    const found = id
      ? links.fetch(id, req.query.exp as string | undefined, req.query.sig as string | undefined)
      : ({ status: 404 } as const);
    if (found.status === 200) res.type('image/png').set('cache-control', 'private, max-age=3600').send(found.png);
    else res.status(found.status).send(found.status === 403 ? 'forbidden' : 'not found');
  });
}
