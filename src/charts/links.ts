import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Chart images served by waba-pulse itself at `PUBLIC_BASE_URL/charts/<id>.png`, for chat cards
 * that must reference an image by URL (Teams cards cannot carry a large PNG). The URL is
 * unguessable (random id), expires, and is signed, so a tampered or stale link gets 403.
 */
export interface ChartLinkOptions {
  /** PUBLIC_BASE_URL: where chat clients reach this service. */
  baseUrl: string;
  /** HMAC key; random per process unless given (several replicas behind one URL need one key). */
  key?: Buffer | undefined;
  ttlMs?: number;
  now: () => number;
  /** Charts kept at most; the oldest go first. */
  capacity?: number;
}

export type ChartFetch = { status: 200; png: Buffer } | { status: 403 | 404 };

export class ChartLinks {
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly capacity: number;
  private readonly charts = new Map<string, { png: Buffer; expires: number }>();

  private baseUrl: string;

  constructor(options: ChartLinkOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.key = options.key ?? randomBytes(32);
    this.ttlMs = options.ttlMs ?? 7 * 86_400_000;
    this.now = options.now;
    this.capacity = options.capacity ?? 2_000;
  }

  private sign(id: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${id}.${expires}`).digest('base64url');
  }

  /** Once the server knows its port, when no PUBLIC_BASE_URL was given. */
  setBaseUrl(url: string): void {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  /** Keep a PNG and return its signed, expiring URL. */
  publish(png: Buffer): string {
    const id = randomBytes(16).toString('hex');
    const expires = Math.floor((this.now() + this.ttlMs) / 1000);
    if (this.charts.size >= this.capacity) this.charts.delete(this.charts.keys().next().value!);
    this.charts.set(id, { png, expires });
    return `${this.baseUrl}/charts/${id}.png?exp=${expires}&sig=${this.sign(id, expires)}`;
  }

  /** Answer a request for `/charts/<id>.png?exp=..&sig=..`. */
  fetch(id: string, exp: string | undefined, sig: string | undefined): ChartFetch {
    const expires = Number(exp);
    if (!sig || !Number.isInteger(expires)) return { status: 403 };
    const expected = Buffer.from(this.sign(id, expires));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { status: 403 };
    if (expires * 1000 < this.now()) return { status: 403 };
    const chart = this.charts.get(id);
    return chart ? { status: 200, png: chart.png } : { status: 404 };
  }
}
