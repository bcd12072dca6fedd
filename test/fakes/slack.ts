import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { waitFor } from '../helpers/waitFor.js';

/** One call the fake Slack received. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  authorization?: string | undefined;
  /** Block Kit limit violations found in the payload (Slack would refuse it). */
  violations: string[];
}

type Fault = { status: number; retryAfter?: number; error?: string };

/**
 * A loopback Slack: the Web API methods waba-pulse uses (auth.test, chat.*, the files.uploadV2
 * trio, users.conversations, conversations.info, usergroups.users.list, views.*), response_url
 * endpoints, recorded calls, Block Kit limits checked as Slack checks them, and injectable failures (a 429 with Retry-After, a method that does not answer, latency).
 */
export async function startFakeSlack(options: { latencyMs?: number } = {}) {
  const calls: SlackCall[] = [];
  const responses: Array<{ id: string; body: Record<string, unknown>; violations: string[] }> = [];
  const uploads: Array<{ id: string; bytes: number }> = [];
  const faults = new Map<string, Fault[]>();
  // Methods that get no answer until released: Slack's API unreachable, as seen from a client.
  const held = new Map<string, Array<() => void>>();
  // Who is in which channel (users.conversations), and the views open now by id (views.update checks their hash).
  const members = new Map<string, string[]>();
  // Channels as conversations.info answers them to the bot (unlisted: public), and user groups' members.
  const channels = new Map<string, { private?: boolean; botMember?: boolean; archived?: boolean }>();
  const groups = new Map<string, string[]>();
  const views = new Map<string, { hash: string; view: Record<string, unknown> }>();
  let counter = 0;

  const read = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await read(req);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith('/upload/')) {
      uploads.push({ id: url.pathname.slice(8), bytes: raw.length });
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(`OK - ${raw.length}`);
    }
    if (url.pathname.startsWith('/respond/')) {
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      responses.push({ id: url.pathname.slice(9), body, violations: blockKitViolations(body) });
      return send(200, { ok: true });
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const args = parseArgs(raw.toString('utf8'), req.headers['content-type'] ?? '');
    const call: SlackCall = {
      method,
      args,
      authorization: req.headers.authorization,
      violations: [...blockKitViolations(args), ...viewViolations(args.view)],
    };
    calls.push(call);
    const waiting = held.get(method);
    if (waiting) await new Promise<void>((resolve) => waiting.push(resolve));
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    const fault = faults.get(method)?.shift();
    if (fault) {
      return send(
        fault.status,
        { ok: false, error: fault.error ?? 'ratelimited' },
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
      );
    }
    if (call.violations.length) return send(200, { ok: false, error: 'invalid_blocks', errors: call.violations });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    switch (method) {
      case 'apps.connections.open':
        return send(200, { ok: true, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link` });
      case 'auth.test':
        return send(200, {
          ok: true,
          url: 'https://fake.slack.test/',
          team: 'Fake',
          user: 'waba-pulse',
          team_id: 'T0FAKE',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        });
      case 'chat.postMessage':
      case 'chat.update':
        return send(200, {
          ok: true,
          channel: args.channel,
          ts: method === 'chat.update' ? args.ts : `1700000000.${String(++counter).padStart(6, '0')}`,
          message: { text: args.text },
        });
      case 'users.conversations': {
        // Two to a page, so callers must follow the cursor as they would on a big workspace.
        const all = members.get(String(args.user)) ?? [];
        const from = Number(args.cursor ?? 0);
        const next = from + 2 < all.length ? String(from + 2) : '';
        return send(200, {
          ok: true,
          channels: all.slice(from, from + 2).map((id) => ({ id })),
          response_metadata: { next_cursor: next },
        });
      }
      case 'conversations.info': {
        const c = channels.get(String(args.channel)) ?? {};
        // Slack hides a private channel from a bot not in it.
        if (c.private && !c.botMember) return send(200, { ok: false, error: 'channel_not_found' });
        return send(200, {
          ok: true,
          channel: { id: args.channel, is_private: Boolean(c.private), is_member: Boolean(c.botMember), is_archived: Boolean(c.archived) },
        });
      }
      case 'usergroups.users.list': {
        const users = groups.get(String(args.usergroup));
        return users ? send(200, { ok: true, users }) : send(200, { ok: false, error: 'no_such_subteam' });
      }
      case 'views.publish':
        return send(200, { ok: true, view: { id: `VHOME${args.user_id}`, ...(args.view as object) } });
      case 'views.open': {
        const id = `V${String(++counter).padStart(8, '0')}`;
        const hash = `h${counter}`;
        views.set(id, { hash, view: args.view as Record<string, unknown> });
        return send(200, { ok: true, view: { id, hash, ...(args.view as object) } });
      }
      case 'views.update': {
        const open = views.get(String(args.view_id));
        if (!open) return send(200, { ok: false, error: 'not_found' });
        if (args.hash !== undefined && args.hash !== open.hash) return send(200, { ok: false, error: 'hash_conflict' });
        open.hash = `h${++counter}`;
        open.view = args.view as Record<string, unknown>;
        return send(200, { ok: true, view: { id: args.view_id, hash: open.hash, ...open.view } });
      }
      case 'chat.postEphemeral':
        return send(200, { ok: true, message_ts: `1700000000.${String(++counter).padStart(6, '0')}` });
      case 'files.getUploadURLExternal': {
        const id = `F${String(++counter).padStart(8, '0')}`;
        return send(200, { ok: true, upload_url: `${base}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const files = JSON.parse(String(args.files ?? '[]')) as Array<{ id: string; title?: string }>;
        return send(200, { ok: true, files: files.map((f) => ({ id: f.id, title: f.title, mimetype: 'image/png' })) });
      }
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  });
  // Socket Mode: the app connects here, gets "hello", then envelopes; it answers with acks.
  const sockets: WebSocket[] = [];
  const acks: Array<Record<string, unknown>> = [];
  const wss = new WebSocketServer({ server, path: '/link' });
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data) => acks.push(JSON.parse(String(data)) as Record<string, unknown>));
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A0FAKE' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    responseUrl: (id: string) => `http://127.0.0.1:${port}/respond/${id}`,
    calls,
    responses,
    /** Put a person in channels (what users.conversations answers). */
    setMembership(user: string, channels: string[]) {
      members.set(user, channels);
    },
    /** How a channel looks to the bot (conversations.info): private, the bot in it, archived. */
    setChannel(id: string, channel: { private?: boolean; botMember?: boolean; archived?: boolean }) {
      channels.set(id, channel);
    },
    /** A user group's members (usergroups.users.list). */
    setUserGroup(id: string, users: string[]) {
      groups.set(id, users);
    },
    /** The modal open now under `id`, as last opened or updated, with its hash. */
    openView: (id: string) => views.get(id),
    /** The ids of the modals opened, oldest first. */
    openedViews: () => [...views.keys()],
    uploads,
    socket: {
      acks,
      connected: () => sockets.length > 0,
      send(envelope: Record<string, unknown>) {
        for (const ws of sockets) ws.send(JSON.stringify(envelope));
      },
    },
    /** Answer nothing to `method` (the request hangs) until `release`. */
    hold(method: string) {
      if (!held.has(method)) held.set(method, []);
    },
    release(method: string) {
      const waiting = held.get(method) ?? [];
      held.delete(method);
      for (const resolve of waiting) resolve();
    },
    failNext(method: string, fault: Fault) {
      faults.set(method, [...(faults.get(method) ?? []), fault]);
    },
    waitFor: <T>(find: () => T | undefined, timeoutMs?: number) => waitFor(find, 'the fake Slack', timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A request as Slack sends one to /slack/events: form-encoded (events: JSON), stamped with the real time (as Slack's are) and signed. */
export function slackSignedRequest(
  body: string,
  signingSecret: string,
  ts = Math.floor(Date.now() / 1000),
  contentType = 'application/x-www-form-urlencoded',
): RequestInit {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
    },
    body,
  };
}

function parseArgs(body: string, contentType: string): Record<string, unknown> {
  if (!body) return {};
  if (contentType.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    out[k] = ((k === 'blocks' || k === 'attachments') && v.startsWith('[')) || (k === 'view' && v.startsWith('{')) ? JSON.parse(v) : v;
  }
  return out;
}

/** Slack's rules for views: at most 100 blocks; a modal with input blocks needs a submit button and a title of 24 characters at most. */
export function viewViolations(view: unknown): string[] {
  if (!view || typeof view !== 'object') return [];
  const v = view as { type?: string; blocks?: Array<{ type?: string; block_id?: string }>; submit?: unknown; title?: { text?: string } };
  const out: string[] = [];
  if ((v.blocks?.length ?? 0) > 100) out.push(`view: ${v.blocks!.length} blocks > 100`);
  if (v.type === 'modal') {
    if (v.blocks?.some((b) => b.type === 'input') && !v.submit) out.push('view: must define submit to use an input block');
    if ((v.title?.text?.length ?? 0) > 24) out.push('view: title > 24 characters');
  }
  // Each block as in a message (text limits, mrkdwn escaping); a view may hold 100 of them, not 50.
  out.push(...blockKitViolations({ blocks: v.blocks ?? [], text: 'view' }).filter((x) => !x.endsWith('blocks > 50')));
  // A select offers at most 100 options; an input's label is at most 2000 characters.
  type Input = {
    element?: { options?: Array<{ value?: string }>; initial_option?: { value?: string } };
    label?: { text?: string };
    block_id?: string;
  };
  for (const b of (v.blocks ?? []) as Input[]) {
    if ((b.element?.options?.length ?? 0) > 100) out.push(`view: ${b.block_id} offers ${b.element!.options!.length} options > 100`);
    const initial = b.element?.initial_option?.value;
    if (initial !== undefined && !b.element?.options?.some((o) => o.value === initial))
      out.push(`view: ${b.block_id} initial_option is not one of its options`);
    if ((b.label?.text?.length ?? 0) > 2000) out.push(`view: ${b.block_id} label > 2000`);
  }
  const ids = (v.blocks ?? []).flatMap((b) => (b.block_id ? [b.block_id] : []));
  if (new Set(ids).size !== ids.length) out.push('view: duplicate block_id');
  return out;
}

/** Slack's published Block Kit limits, checked independently of the product's own clipping. */
export function blockKitViolations(payload: Record<string, unknown>): string[] {
  const v: string[] = [];
  const blocks = payload.blocks as Array<Record<string, any>> | undefined;
  if (!blocks) return v;
  if (!payload.text) v.push('no text fallback');
  if (blocks.length > 50) v.push(`${blocks.length} blocks > 50`);
  blocks.forEach((b, i) => {
    if (b.type === 'header' && b.text?.text?.length > 150) v.push(`block ${i}: header ${b.text.text.length} > 150`);
    if (b.type === 'section') {
      if (b.text?.text?.length > 3000) v.push(`block ${i}: section text ${b.text.text.length} > 3000`);
      if (b.fields?.length > 10) v.push(`block ${i}: ${b.fields.length} fields > 10`);
      for (const f of b.fields ?? []) if (f.text?.length > 2000) v.push(`block ${i}: field ${f.text.length} > 2000`);
      if (!b.text && !b.fields) v.push(`block ${i}: section without text or fields`);
    }
    if (b.type === 'context' && b.elements?.length > 10) v.push(`block ${i}: ${b.elements.length} context elements > 10`);
    if (b.type === 'image') {
      if (!b.alt_text || b.alt_text.length > 2000) v.push(`block ${i}: image alt_text missing or > 2000`);
      if (Boolean(b.image_url) === Boolean(b.slack_file)) v.push(`block ${i}: image needs exactly one of image_url, slack_file`);
      if (b.image_url?.length > 3000) v.push(`block ${i}: image_url > 3000`);
    }
    if (b.type === 'actions') {
      if (b.elements?.length > 25) v.push(`block ${i}: ${b.elements.length} actions > 25`);
      for (const e of b.elements ?? []) {
        if (e.value?.length > 2000) v.push(`block ${i}: button value > 2000`);
        if (e.text?.text?.length > 75) v.push(`block ${i}: button text ${e.text.text.length} > 75`);
      }
    }
    // Our own rules for reading on a phone, and Slack's for mrkdwn: a monospace row of at most
    // 36 characters (wider ones wrap into half lines), and &, < and > escaped except in Slack's
    // own <@user>, <#channel>, <!here> and <url|text> forms.
    const texts = [b.text, ...(b.fields ?? []), ...(b.type === 'context' ? (b.elements ?? []) : [])].filter((t) => t?.type === 'mrkdwn');
    for (const t of texts) {
      for (const block of String(t.text).match(/```[\s\S]*?```/g) ?? []) {
        for (const row of block.replace(/```/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').split('\n')) {
          if ([...row].length > 36) v.push(`block ${i}: monospace row of ${[...row].length} characters > 36: ${row}`);
        }
      }
      const bare = String(t.text).replace(/<(@[UW][A-Z0-9]+|#C[A-Z0-9]+|![a-z]+|https?:[^>|]+(\|[^>]*)?)>/g, '');
      if (/[<>]/.test(bare)) v.push(`block ${i}: unescaped < or > in mrkdwn`);
      if (/&(?!amp;|lt;|gt;)/.test(bare)) v.push(`block ${i}: unescaped & in mrkdwn`);
    }
  });
  return v;
}
