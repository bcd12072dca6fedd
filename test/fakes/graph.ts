import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A recorded request to the fake Graph. */
export interface SeenRequest {
  method: string;
  path: string;
  url: URL;
  fields: string | null;
  authorization: string | undefined;
  at: number;
}

export interface FakeAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait before answering (to test timeouts). */
  delayMs?: number;
}

export type FakeHandler = (req: SeenRequest, index: number) => FakeAnswer | Promise<FakeAnswer>;

/**
 * A loopback stand-in for graph.facebook.com that records every request and answers from a
 * script: either a list of answers taken in order (the last one repeats) or a function.
 */
export async function startFakeGraph(
  script: FakeAnswer[] | FakeHandler,
): Promise<{ url: string; requests: SeenRequest[]; close(): Promise<void> }> {
  const requests: SeenRequest[] = [];
  const handler: FakeHandler = typeof script === 'function' ? script : (_req, i) => script[Math.min(i, script.length - 1)]!;
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      url,
      fields: url.searchParams.get('fields'),
      authorization: req.headers.authorization,
      at: Date.now(),
    };
    const index = requests.push(seen) - 1;
    const answer = await handler(seen, index);
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed) return;
    const text = JSON.stringify(answer.body ?? {});
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function graphError(code: number, message: string, extra: Record<string, unknown> = {}): unknown {
  return { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEf123', ...extra } };
}

export function analyticsBody(
  points: Array<{ start: number; end: number; sent: number; delivered: number }>,
  id = '123456789012345',
): unknown {
  return { analytics: { phone_numbers: ['16315551000'], granularity: 'DAY', data_points: points }, id };
}
