import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../helpers/waitFor.js';

export interface ConnectorCall {
  method: string;
  conversation: string;
  activityId: string | undefined;
  activity: Record<string, any>;
  authorization: string | undefined;
}

/**
 * A loopback Bot Connector (the serviceUrl Teams gives a bot): records sends, replies and
 * updates; can answer 403 for a conversation the bot was removed from, or fail with any status
 * and body; can add latency.
 */
export async function startFakeConnector(options: { latencyMs?: number } = {}) {
  const calls: ConnectorCall[] = [];
  const gone = new Set<string>();
  // Conversations where the connector accepts a send (201) without naming the new activity.
  const anonymous = new Set<string>();
  // Conversations where every call fails with this status and body (a connector in trouble).
  const failing = new Map<string, { status: number; body: string }>();
  let counter = 0;
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => resolve(body));
    });
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(url.pathname);
    const body = await read(req);
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    res.setHeader('content-type', 'application/json');
    if (!match) {
      res.statusCode = 404;
      return res.end(JSON.stringify({ error: { code: 'NotFound', message: url.pathname } }));
    }
    const conversation = decodeURIComponent(match[1]!);
    const activityId = match[2] ? decodeURIComponent(match[2]) : undefined;
    calls.push({
      method: req.method ?? 'POST',
      conversation,
      activityId,
      activity: body ? (JSON.parse(body) as Record<string, any>) : {},
      authorization: req.headers.authorization,
    });
    const failure = failing.get(conversation);
    if (failure) {
      res.statusCode = failure.status;
      return res.end(failure.body);
    }
    if (gone.has(conversation)) {
      res.statusCode = 403;
      return res.end(
        JSON.stringify({ error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' } }),
      );
    }
    if (anonymous.has(conversation)) {
      res.statusCode = 201;
      return res.end('{}');
    }
    res.statusCode = 200;
    res.end(JSON.stringify({ id: activityId && req.method === 'PUT' ? activityId : `activity-${++counter}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    removeBotFrom(conversation: string) {
      gone.add(conversation);
    },
    failWith(conversation: string, status: number, body: string) {
      failing.set(conversation, { status, body });
    },
    answerWithoutIds(conversation: string) {
      anonymous.add(conversation);
    },
    waitFor: <T>(find: () => T | undefined, timeoutMs?: number) => waitFor(find, 'the fake connector', timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
