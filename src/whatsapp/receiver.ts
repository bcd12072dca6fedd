import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from '../log.js';
import type { StoreWith } from '../store/types.js';
import { StatusIngest } from './ingest.js';
import { WEBHOOK_PATH } from './settings.js';
import { webhookRouter } from './webhook.js';

/**
 * The webhook endpoint on a server of its own, on loopback: what the demo (and the samples in
 * the docs) send the sandbox's status webhooks to, through the same route `serve` mounts.
 */
export async function startStatusReceiver(options: {
  store: StoreWith<'statuses' | 'health'>;
  accounts: readonly string[];
  appSecret: string;
  log: Logger;
  now: () => number;
}): Promise<{ url: string; ingest: StatusIngest; close(): Promise<void> }> {
  const now = options.now;
  const ingest = new StatusIngest(options.store, now);
  const web = express();
  web.set('env', 'production');
  web.use(
    webhookRouter({
      settings: { appSecret: options.appSecret, verifyToken: 'unused' },
      ingest,
      accounts: new Set(options.accounts),
      log: options.log,
      now,
      health: options.store.health,
    }),
  );
  const server: Server = createServer(web);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`,
    ingest,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
