import { createServer } from 'node:net';
import { statusNotification } from '../../src/sandbox/statusWebhooks.js';
import { signBody } from '../../src/whatsapp/signature.js';

/** What a stream of notifications came to, as its sender saw it. */
export interface StreamTally {
  notifications: number;
  /** Answered 200: counted. */
  delivered: number;
  /** Answered another 4xx, which this sender takes as final: lost. */
  lost: number;
  /** Every answer by HTTP status, retries included. */
  answers: Record<number, number>;
  /** 503s that said when to come back. */
  withRetryAfter: number;
  /** Attempts that found no server (refused, reset): retried. */
  noConnection: number;
}

/**
 * A steady stream of signed status notifications (one new `sent` status each) from `concurrency`
 * senders, with the rule a strict sender — or a forwarder that passes on only 503 — applies:
 * 200 is delivered, any other 4xx is final (the status is lost), 5xx and no connection are
 * retried after `retryMs`. `reached(n)` resolves once n notifications are delivered or lost, so
 * a test can restart the service mid-stream while the senders keep going.
 */
export function startWebhookStream(options: {
  url: () => string;
  accountId: string;
  appSecret: string;
  notifications: number;
  /** The statuses' time (UNIX seconds): within the service's clock's last 7 days. */
  timestamp: number;
  tag: string;
  concurrency?: number;
  /** Pause between one sender's notifications. */
  paceMs?: number;
  retryMs?: number;
}) {
  const { notifications, concurrency = 8, paceMs = 5, retryMs = 50 } = options;
  const tally: StreamTally = { notifications, delivered: 0, lost: 0, answers: {}, withRetryAfter: 0, noConnection: 0 };
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const settled = () => {
    const n = tally.delivered + tally.lost;
    for (const w of waiters.filter((w) => n >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const body = (i: number) =>
    JSON.stringify(
      statusNotification(options.accountId, '16315551000', [
        { id: `wamid.${options.tag}.${i}`, status: 'sent', timestamp: options.timestamp, recipient: '919812345678', category: 'utility' },
      ]),
    );
  const deliver = async (i: number) => {
    const text = body(i);
    const headers = { 'content-type': 'application/json', 'x-hub-signature-256': signBody(text, options.appSecret) };
    for (;;) {
      try {
        const res = await fetch(options.url(), { method: 'POST', headers, body: text });
        await res.arrayBuffer();
        tally.answers[res.status] = (tally.answers[res.status] ?? 0) + 1;
        if (res.status === 503 && Number(res.headers.get('retry-after')) > 0) tally.withRetryAfter++;
        if (res.status === 200) return void tally.delivered++;
        if (res.status >= 400 && res.status < 500) return void tally.lost++;
      } catch {
        tally.noConnection++;
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  };
  let next = 0;
  const done = Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < notifications) {
        await deliver(next++);
        settled();
        await new Promise((r) => setTimeout(r, paceMs));
      }
    }),
  ).then(() => tally);
  return {
    tally,
    done,
    reached: (n: number) => new Promise<void>((resolve) => (tally.delivered + tally.lost >= n ? resolve() : waiters.push({ n, resolve }))),
  };
}

/** A port free right now, for a service that must come back on the same one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
