import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { signBody } from '../whatsapp/signature.js';
import type { PricingCategory, SandboxAccount } from './accountModel.js';
import { businessOf, healthChange, pauses } from './business.js';
import { DEFAULT_WABA_TIMEZONE, Ledger } from './ledger.js';
import { hash, seedOf, TrafficModel, uniform } from './traffic.js';

/**
 * The sandbox as Meta's webhook sender: for its synthetic traffic, every message's `sent`, then
 * `delivered` (and sometimes `read`) or `failed` with a realistic error code, as WhatsApp status
 * notifications signed with the app secret and POSTed to a callback URL — retried with backoff
 * on anything but 200, as Meta does, and (optionally) delivered twice. The counts agree with the
 * sandbox's Graph analytics: a message Graph counts as undelivered is one that failed here (or
 * was never confirmed).
 */

/** Failure codes of undelivered messages outside incidents, with their weights. */
const FAILURE_MIX: ReadonlyArray<[number, number]> = [
  [131026, 0.45],
  [131047, 0.12],
  [131049, 0.12],
  [131050, 0.08],
  [130472, 0.06],
  [131056, 0.05],
  [131048, 0.04],
  [131000, 0.04],
  [135000, 0.04], // a code waba-pulse has no words for: shown with Meta's own title
];
const TITLES: Record<number, string> = {
  131026: 'Message undeliverable',
  131047: 'Re-engagement message',
  131049: 'This message was not delivered to maintain healthy ecosystem engagement.',
  131050: 'User has stopped marketing messages',
  130472: "User's number is part of an experiment",
  131056: 'Pair rate limit hit',
  131048: 'Spam rate limit hit',
  131000: 'Something went wrong',
  135000: 'Generic user error',
  132015: 'Template is paused',
};

/** A plausible mobile number per country, for recipient ids (only their country is ever read). */
const RECIPIENT_PREFIX: Record<string, string> = {
  IN: '9198',
  US: '1415',
  BR: '55119',
  ID: '62812',
  DE: '49151',
  AT: '43664',
  CA: '1416',
  GB: '447911',
  MX: '52155',
};

export interface StatusRecord {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp: number;
  recipient: string;
  category: PricingCategory;
  code?: number | undefined;
}

/** A WhatsApp Business Account notification carrying statuses of one of our numbers. */
export function statusNotification(accountId: string, phone: string, statuses: readonly StatusRecord[]): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: accountId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: phone, phone_number_id: `1${phone.slice(-14)}` },
              statuses: statuses.map((s) => ({
                id: s.id,
                status: s.status,
                timestamp: String(s.timestamp),
                recipient_id: s.recipient,
                ...(s.status === 'sent' ? { pricing: { billable: true, pricing_model: 'PMP', category: s.category } } : {}),
                ...(s.status === 'failed'
                  ? {
                      errors: [
                        { code: s.code, title: TITLES[s.code ?? 0] ?? 'Error', error_data: { details: TITLES[s.code ?? 0] ?? 'Error' } },
                      ],
                    }
                  : {}),
              })),
            },
          },
        ],
      },
    ],
  };
}

export { signBody } from '../whatsapp/signature.js';

let regions: Intl.DisplayNames | undefined;

/**
 * The account's health notifications of [from, to): its timeline's changes (a number flagged, the
 * messaging limit lowered, a template's quality and status) and the days its utility or
 * authentication volume moved into the next pricing tier — each as Meta sends it, one change a
 * notification, stamped with the moment it happened.
 */
export function healthNotifications(
  account: SandboxAccount,
  ledger: Ledger,
  from: number,
  to: number,
): Array<{ at: number; body: Record<string, unknown> }> {
  const changes = businessOf(account)
    .changes.filter((c) => c.at >= from && c.at < to)
    .map((c) => ({ at: c.at, change: healthChange(account, c) }));
  regions ??= new Intl.DisplayNames(['en'], { type: 'region' });
  for (const tier of ledger.tierChanges(from, to, to))
    changes.push({
      at: tier.at,
      change: {
        field: 'account_update',
        value: {
          event: 'VOLUME_BASED_PRICING_TIER_UPDATE',
          volume_tier_info: {
            effective_month: tier.month,
            pricing_category: tier.category.toUpperCase(),
            region: regions.of(tier.country) ?? tier.country,
            tier: tier.tier,
            tier_update_time: tier.at,
          },
        },
      },
    });
  return changes
    .sort((a, b) => a.at - b.at)
    .map(({ at, change }) => ({
      at,
      body: { object: 'whatsapp_business_account', entry: [{ id: account.id, time: at, changes: [change] }] },
    }));
}

const HALF_HOUR = 1800;

function pick<T>(items: ReadonlyArray<[T, number]>, u: number): T {
  let acc = 0;
  for (const [item, weight] of items) {
    acc += weight;
    if (u < acc) return item;
  }
  return items[items.length - 1]![0];
}

/**
 * Every status of the account's messages sent in [from, to) (UNIX seconds), in time order
 * per number. Deterministic: the same window gives the same messages and ids.
 */
export function accountStatuses(account: SandboxAccount, model: TrafficModel, from: number, to: number): Map<string, StatusRecord[]> {
  const seed = seedOf(account.id);
  const paused = pauses(account).filter((p) => p.start < to && p.end > from);
  const byPhone = new Map<string, StatusRecord[]>();
  for (let t = Math.floor(from / HALF_HOUR) * HALF_HOUR; t < to; t += HALF_HOUR) {
    const cells = model.cellsOf(t);
    account.phones.forEach((phone, pi) => {
      const out = byPhone.get(phone.number) ?? [];
      byPhone.set(phone.number, out);
      account.countries.forEach((country, ci) => {
        const cell = (pi * account.countries.length + ci) * 2;
        const sent = cells[cell]!;
        const delivered = cells[cell + 1]!;
        const bursts = account.incidents.filter(
          (i) =>
            i.kind === 'failure_burst' &&
            i.start < t + HALF_HOUR &&
            t < i.end &&
            (!i.phone || i.phone === phone.number) &&
            (!i.country || i.country === country.code),
        );
        const shares = model.categoryShares(t, phone.number, country.code);
        // Which messages are undelivered: the burst's category first, then the rest by hash.
        const messages = Array.from({ length: sent }, (_, k) => {
          const category = pick(shares, uniform(seed, t, pi, ci, k, 61));
          const at = t + Math.floor((k / Math.max(1, sent)) * HALF_HOUR);
          const burst = bursts.find(
            (b) => at >= b.start && at < b.end && (b.category ?? 'marketing') === category && uniform(seed, t, pi, ci, k, 62) < b.factor,
          );
          return { k, category, burst, order: burst ? -1 : uniform(seed, t, pi, ci, k, 63) };
        });
        const undelivered = new Set(
          [...messages]
            .sort((a, b) => a.order - b.order)
            .slice(0, sent - delivered)
            .map((m) => m.k),
        );
        for (const m of messages) {
          const at = t + Math.floor((m.k / Math.max(1, sent)) * HALF_HOUR);
          if (at < from || at >= to) continue;
          const id = `wamid.${Buffer.from(`${account.id}:${t}:${pi}:${ci}:${m.k}`).toString('base64url')}`;
          const recipient = `${RECIPIENT_PREFIX[country.code] ?? '1415'}${String(hash(seed, t, pi, ci, m.k) % 10_000_000).padStart(7, '0')}`;
          const base = { id, recipient, category: m.category };
          // (Of the undelivered, a fifth are never confirmed either way: "sent" is all anyone hears.)
          const fails = undelivered.has(m.k) && (m.burst !== undefined || uniform(seed, t, pi, ci, m.k, 65) < 0.8);
          // Most failures are decided before sending, and come as "failed" alone; a few after "sent".
          if (!fails || uniform(seed, t, pi, ci, m.k, 67) < 0.3) out.push({ ...base, status: 'sent', timestamp: at });
          if (!undelivered.has(m.k)) {
            out.push({ ...base, status: 'delivered', timestamp: at + 2 });
            if (uniform(seed, t, pi, ci, m.k, 64) < 0.4) out.push({ ...base, status: 'read', timestamp: at + 40 });
          } else if (fails) {
            const code = m.burst?.code ?? pick(FAILURE_MIX, uniform(seed, t, pi, ci, m.k, 66));
            out.push({ ...base, status: 'failed', timestamp: at + 3, code });
          }
        }
        // A paused template cannot be sent: its messages of the pause are attempted and fail at
        // once (132015), never "sent" — Graph's analytics, which count sent messages, do not see them.
        for (const pause of paused) {
          const pauseFrom = Math.max(t, pause.start);
          const pauseTo = Math.min(t + HALF_HOUR, pause.end);
          if (pauseTo <= pauseFrom) continue;
          const share = shares.find(([c]) => c === pause.template.category)?.[1] ?? 0;
          const attempts = Math.round(sent * share * pause.template.share * ((pauseTo - pauseFrom) / HALF_HOUR));
          for (let k = 0; k < attempts; k++) {
            const at = pauseFrom + Math.floor((k / attempts) * (pauseTo - pauseFrom));
            if (at < from || at >= to) continue;
            out.push({
              id: `wamid.${Buffer.from(`${account.id}:${t}:${pi}:${ci}:p${pause.template.id}:${k}`).toString('base64url')}`,
              recipient: `${RECIPIENT_PREFIX[country.code] ?? '1415'}${String(hash(seed, t, pi, ci, k, 68) % 10_000_000).padStart(7, '0')}`,
              category: pause.template.category,
              status: 'failed',
              timestamp: at,
              code: 132015,
            });
          }
        }
      });
    });
  }
  for (const list of byPhone.values()) list.sort((a, b) => a.timestamp - b.timestamp);
  return byPhone;
}

export interface EmitterOptions {
  /** Send `read` statuses too (about 40% of delivered messages); default true. */
  reads?: boolean;
  /** Send the health notifications of the window too (numbers, templates, pricing tiers); default true. */
  health?: boolean;
  /** Send the statuses of the window; default true (false: health notifications alone). */
  statuses?: boolean;
  accounts: readonly SandboxAccount[];
  url: string;
  appSecret: string;
  /** Statuses per notification (Meta sends one or a few; backfills use more). */
  batch?: number;
  /** Share of notifications delivered twice, as Meta sometimes does. */
  duplicateRate?: number;
  concurrency?: number;
  /** Give up on a notification after this long of retrying (Meta keeps trying for hours). */
  retryForMs?: number;
  log?: Logger;
}

export interface EmitSummary {
  notifications: number;
  statuses: number;
  /** Statuses by status and failure code, as sent (each once). */
  byStatus: Record<string, number>;
  failuresByCode: Record<string, number>;
  /** Failed messages with no `sent` status: what the store counts as `unsent`. */
  failedUnsent: number;
  retries: number;
  duplicates: number;
  /** Health notifications sent (one change each), by field. */
  health: Record<string, number>;
}

/** Past the minute's turn before a tick reads the clock. */
const TICK_MARGIN_MS = 25;
const MAX_CATCH_UP_MINUTES = 60;

export class StatusWebhookEmitter {
  private readonly models: Map<string, TrafficModel>;
  private readonly ledgers: Map<string, Ledger>;
  private readonly agent: Agent;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private closing: Promise<void> | undefined;
  /** Cuts a retry's back-off short when stopped. */
  private readonly stopping = new AbortController();

  constructor(private readonly options: EmitterOptions) {
    this.models = new Map(options.accounts.map((a) => [a.id, new TrafficModel(a)]));
    this.ledgers = new Map(options.accounts.map((a) => [a.id, new Ledger(a, this.models.get(a.id)!, DEFAULT_WABA_TIMEZONE)]));
    this.agent = new Agent({ connections: options.concurrency ?? 8, keepAliveTimeout: 10_000 });
  }

  /**
   * Send every status of the messages sent in [from, to) (UNIX seconds; one window, or one per
   * account): each notification until it is answered 200.
   */
  async emit(
    from: number | ((account: SandboxAccount) => [number, number]),
    to?: number,
    /** A backfill sends more statuses per notification than live traffic, and reports how far it is. */
    options: { batch?: number; onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<EmitSummary> {
    const summary: EmitSummary = {
      notifications: 0,
      statuses: 0,
      byStatus: {},
      failuresByCode: {},
      failedUnsent: 0,
      retries: 0,
      duplicates: 0,
      health: {},
    };
    const limit = pLimit(this.options.concurrency ?? 8);
    const batch = options.batch ?? this.options.batch ?? 1;
    const work: Array<Promise<void>> = [];
    let delivered = 0;
    for (const account of this.options.accounts) {
      const [start, end] = typeof from === 'function' ? from(account) : [from, to!];
      if (this.options.health !== false)
        for (const { body } of healthNotifications(account, this.ledgers.get(account.id)!, start, end)) {
          const field = (body.entry as Array<{ changes: Array<{ field: string }> }>)[0]!.changes[0]!.field;
          summary.health[field] = (summary.health[field] ?? 0) + 1;
          const text = JSON.stringify(body);
          work.push(
            limit(async () => {
              summary.retries += await this.deliver(text);
            }),
          );
        }
      if (this.options.statuses === false) continue;
      const byPhone = accountStatuses(account, this.models.get(account.id)!, start, end);
      for (const [phone, all] of byPhone) {
        const statuses = this.options.reads === false ? all.filter((s) => s.status !== 'read') : all;
        // (A message's statuses all come in the window of its sending.)
        const sentIds = new Set(statuses.filter((s) => s.status === 'sent').map((s) => s.id));
        summary.failedUnsent += statuses.filter((s) => s.status === 'failed' && !sentIds.has(s.id)).length;
        for (let i = 0; i < statuses.length; i += batch) {
          const chunk = statuses.slice(i, i + batch);
          for (const s of chunk) {
            summary.statuses++;
            summary.byStatus[s.status] = (summary.byStatus[s.status] ?? 0) + 1;
            if (s.status === 'failed') summary.failuresByCode[String(s.code)] = (summary.failuresByCode[String(s.code)] ?? 0) + 1;
          }
          const body = JSON.stringify(statusNotification(account.id, phone, chunk));
          const twice = uniform(seedOf(body.slice(0, 200)), i, 67) < (this.options.duplicateRate ?? 0);
          work.push(
            limit(async () => {
              summary.retries += await this.deliver(body);
              summary.notifications++;
              delivered += chunk.length;
              options.onProgress?.(delivered, summary.statuses);
              if (twice) {
                summary.retries += await this.deliver(body);
                summary.duplicates++;
              }
            }),
          );
        }
      }
    }
    await Promise.all(work);
    return summary;
  }

  /** POST until 200, backing off (250 ms doubling to 30 s); returns the retries it took. */
  private async deliver(body: string): Promise<number> {
    const log = this.options.log ?? silentLogger;
    const started = performance.now();
    let wait = 250;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await request(this.options.url, {
          method: 'POST',
          dispatcher: this.agent,
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, this.options.appSecret) },
          body,
        });
        await res.body.text();
        if (res.statusCode === 200) return attempt;
        // Meta does not retry what the receiver calls bad: a 4xx other than 429 is dropped.
        if (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 429) {
          log.warn({ status: res.statusCode }, 'sandbox webhook refused by the receiver');
          return attempt;
        }
      } catch {
        // not reachable: retried like a 5xx
      }
      if (this.stopped || performance.now() - started > (this.options.retryForMs ?? 6 * 3_600_000)) return attempt;
      try {
        await sleep(wait, undefined, { signal: this.stopping.signal });
      } catch {
        return attempt;
      }
      wait = Math.min(30_000, wait * 2);
    }
  }

  /**
   * Every minute, the statuses of the minute that just ended; `onEmitted` hears each minute's
   * summary. Minutes are counted from a cursor, not read off the clock at each tick: a timer may
   * fire a millisecond before the wall clock turns the minute (it runs on the monotonic clock),
   * and a stalled loop must catch up rather than skip a minute.
   */
  start(now: () => number, onEmitted?: (summary: EmitSummary, minuteEnd: number) => void): void {
    if (this.stopped) return;
    let cursor = Math.floor(now() / 60_000) * 60;
    const schedule = () => {
      this.timer = setTimeout(tick, 60_000 - (now() % 60_000) + TICK_MARGIN_MS);
    };
    const tick = () => {
      if (this.stopped) return;
      const end = Math.floor(now() / 60_000) * 60;
      // After a longer stall only the last hour is caught up; a restart with --webhook-backfill covers more.
      cursor = Math.max(cursor, end - MAX_CATCH_UP_MINUTES * 60);
      for (; cursor < end; cursor += 60) {
        const from = cursor;
        this.running = this.running
          .then(() => this.emit(from, from + 60))
          .then((summary) => onEmitted?.(summary, from + 60))
          .catch(() => undefined);
      }
      schedule();
    };
    schedule();
  }

  /** Idempotent: a second call waits for the first. */
  stop(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.agent.close();
  }
}
