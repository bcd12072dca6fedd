import { afterEach, describe, expect, it } from 'vitest';
import {
  GraphAuthError,
  GraphPermissionError,
  GraphRateLimitError,
  GraphRequestError,
  GraphTimeoutError,
  GraphUnavailableError,
} from '../src/errors.js';
import { planChunks } from '../src/graph/chunks.js';
import { type GraphAccount, GraphClient } from '../src/graph/client.js';
import { analyticsField } from '../src/graph/fields.js';
import { analyticsBody, graphError, startFakeGraph } from './fakes/graph.js';

const TOKEN = 'EAAGtestSECRETtoken0123456789';
const account: GraphAccount = {
  id: '123456789012345',
  name: 'acme',
  token: TOKEN,
  tokenEnv: 'ACME_TOKEN',
  wabaTimezone: 'America/Los_Angeles',
  settleMs: 7_200_000,
};
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const day = { start: Date.UTC(2026, 10, 20, 8) / 1000, end: Date.UTC(2026, 10, 24, 8) / 1000 };
const ok = { body: analyticsBody([{ start: day.start, end: day.start + 86_400, sent: 10, delivered: 9 }]) };

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanup.map((c) => c()));
  cleanup = [];
});

async function setup(script: Parameters<typeof startFakeGraph>[0], options: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}) {
  const fake = await startFakeGraph(script);
  const sleeps: number[] = [];
  const client = new GraphClient({
    apiUrl: fake.url,
    version: 'v23.0',
    now: () => NOW,
    retryBaseMs: 1,
    rateLimitBaseMs: 1,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  cleanup.push(
    () => client.close(),
    () => fake.close(),
  );
  return { fake, client, sleeps };
}

describe('request building', () => {
  it('sends the path, the fields expression and the token as a Bearer header only', async () => {
    const { fake, client } = await setup([ok]);
    await client.fetchAnalytics(account, {
      range: day,
      granularity: 'DAY',
      phoneNumbers: ['16315551000'],
      countryCodes: ['IN', 'US'],
      productTypes: [0, 2],
    });
    const seen = fake.requests[0]!;
    expect(seen.path).toBe('/v23.0/123456789012345');
    expect(seen.fields).toBe(
      `analytics.start(${day.start}).end(${day.end}).granularity(DAY).phone_numbers(["16315551000"]).country_codes(["IN","US"]).product_types([0,2])`,
    );
    expect(seen.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.url.search).not.toContain(TOKEN);
    expect(seen.url.searchParams.has('access_token')).toBe(false);
    // Brackets and quotes are percent-encoded on the wire.
    expect(seen.url.search).toContain('%5B%2216315551000%22%5D');
  });

  it('builds the bare field without filters', () => {
    expect(analyticsField({ start: 1641024000, end: 1651094880, granularity: 'DAY' })).toBe(
      'analytics.start(1641024000).end(1651094880).granularity(DAY)',
    );
  });

  it('clamps a future end to now and a range past the one-year lookback, saying so', async () => {
    const { fake, client } = await setup([ok]);
    const nowS = NOW / 1000;
    const result = await client.fetchAnalytics(account, {
      range: { start: nowS - 400 * 86_400, end: nowS + 86_400 },
      granularity: 'MONTH',
    });
    const fields = fake.requests[0]!.fields!;
    expect(fields).toContain(`.end(${nowS})`);
    expect(fields).toContain(`analytics.start(${nowS - 365 * 86_400})`);
    expect(result.notes.join(' ')).toMatch(/End moved to now/);
    expect(result.notes.join(' ')).toMatch(/one year/);
  });

  it('asks for days when a MONTH range is shorter than a month once cut at now, and says it did', async () => {
    const { fake, client } = await setup([ok]);
    const nowS = NOW / 1000;
    // Five weeks asked, three of them in the future: what is left is too short for MONTH.
    const result = await client.fetchAnalytics(account, {
      range: { start: nowS - 14 * 86_400, end: nowS + 21 * 86_400 },
      granularity: 'MONTH',
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.fields).toBe(`analytics.start(${nowS - 14 * 86_400}).end(${nowS}).granularity(DAY)`);
    expect(result.granularity).toBe('DAY');
    // A month and more is asked by MONTH, in one request.
    const long = await client.fetchAnalytics(account, { range: { start: nowS - 31 * 86_400, end: nowS }, granularity: 'MONTH' });
    expect(fake.requests[1]!.fields).toContain('.granularity(MONTH)');
    expect(long.granularity).toBe('MONTH');
  });
});

describe('retries', () => {
  for (const [label, answer] of [
    ['613 (rate limit)', { status: 400, body: graphError(613, 'Calls to this api have exceeded the rate limit.') }],
    ['80004 (WhatsApp rate limit)', { status: 400, body: graphError(80004, 'Too many messages sent from this phone number') }],
    ['HTTP 500', { status: 500, body: graphError(1, 'An unknown error occurred') }],
    ['code 2 (temporary)', { status: 400, body: graphError(2, 'Service temporarily unavailable') }],
  ] as const) {
    it(`retries ${label} and then succeeds`, async () => {
      const { fake, client, sleeps } = await setup([answer, answer, ok]);
      const result = await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
      expect(fake.requests).toHaveLength(3);
      expect(result.points).toHaveLength(1);
      expect(sleeps).toHaveLength(2);
    });
  }

  it('does not retry an expired token (190) and names the account, Graph message and fbtrace_id', async () => {
    const { fake, client } = await setup([
      { status: 400, body: graphError(190, 'Error validating access token: Session has expired', { error_subcode: 463 }) },
    ]);
    const err = await client.fetchAnalytics(account, { range: day, granularity: 'DAY' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphAuthError);
    expect(fake.requests).toHaveLength(1);
    const e = err as GraphAuthError;
    expect(e.code).toBe('E_GRAPH_AUTH');
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('account "acme" (123456789012345)');
    expect(e.message).toContain('#190/463');
    expect(e.message).toContain('fbtrace_id AbCdEf123');
    expect(e.hint).toContain('ACME_TOKEN');
  });

  it('does not retry an invalid request (100)', async () => {
    const { fake, client } = await setup([{ status: 400, body: graphError(100, 'Unsupported get request.') }]);
    await expect(client.fetchAnalytics(account, { range: day, granularity: 'DAY' })).rejects.toBeInstanceOf(GraphRequestError);
    expect(fake.requests).toHaveLength(1);
  });

  it('maps missing permissions (10, 200-299) without retrying', async () => {
    const { fake, client } = await setup([
      { status: 403, body: graphError(200, '(#200) Requires whatsapp_business_management permission') },
    ]);
    await expect(client.fetchAnalytics(account, { range: day, granularity: 'DAY' })).rejects.toBeInstanceOf(GraphPermissionError);
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up after maxAttempts on a persistent 500', async () => {
    const { fake, client } = await setup([{ status: 502, body: { error: { message: 'Bad gateway' } } }], { maxAttempts: 3 });
    await expect(client.fetchAnalytics(account, { range: day, granularity: 'DAY' })).rejects.toBeInstanceOf(GraphUnavailableError);
    expect(fake.requests).toHaveLength(3);
  });

  it('waits as long as Retry-After says', async () => {
    const { client, sleeps } = await setup([
      { status: 400, body: graphError(4, 'Application request limit reached'), headers: { 'retry-after': '7' } },
      ok,
    ]);
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    expect(sleeps).toEqual([7000]);
  });

  it('really sleeps with the default timer (Retry-After: 1)', async () => {
    const fake = await startFakeGraph([
      { status: 400, body: graphError(17, 'User request limit reached'), headers: { 'retry-after': '1' } },
      ok,
    ]);
    const client = new GraphClient({ apiUrl: fake.url, now: () => NOW });
    cleanup.push(
      () => client.close(),
      () => fake.close(),
    );
    await client.fetchAnalytics(account, { range: { start: day.start, end: day.end }, granularity: 'DAY' });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('fails fast with a rate-limit error when the wait would exceed maxWait', async () => {
    const { fake, client, sleeps } = await setup(
      [{ status: 400, body: graphError(80008, 'Too many calls'), headers: { 'retry-after': '3600' } }],
      { maxWaitMs: 60_000 },
    );
    await expect(client.fetchAnalytics(account, { range: day, granularity: 'DAY' })).rejects.toBeInstanceOf(GraphRateLimitError);
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('times out a request that takes too long and retries it', async () => {
    const { fake, client } = await setup([{ ...ok, delayMs: 1_000 }], { timeoutMs: 100, maxAttempts: 2 });
    const err = await client.fetchAnalytics(account, { range: day, granularity: 'DAY' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphTimeoutError);
    expect((err as Error).message).toContain('did not answer within 100 ms');
    expect(fake.requests).toHaveLength(2);
  });

  it('reports an unreachable Graph as unavailable, with the host', async () => {
    const client = new GraphClient({ apiUrl: 'http://127.0.0.1:1', maxAttempts: 1, now: () => NOW });
    cleanup.push(() => client.close());
    const err = await client.fetchAnalytics(account, { range: day, granularity: 'DAY' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphUnavailableError);
    expect((err as Error).message).toMatch(/cannot reach Graph at 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  });

  it('never puts the token in an error, even when Graph echoes it', async () => {
    const { client } = await setup([{ status: 400, body: graphError(100, `Malformed access token ${TOKEN}`) }]);
    const err = (await client.fetchAnalytics(account, { range: day, granularity: 'DAY' }).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).toContain('[redacted]');
  });
});

describe('usage headers and the call budget', () => {
  it('waits when X-Business-Use-Case-Usage says access returns later', async () => {
    const usage = JSON.stringify({
      [account.id]: [
        { type: 'whatsapp_business_management', call_count: 100, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 1 },
      ],
    });
    const { fake, client, sleeps } = await setup([{ ...ok, headers: { 'x-business-use-case-usage': usage } }, ok], { maxWaitMs: 120_000 });
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    expect(fake.requests).toHaveLength(2);
    expect(sleeps).toEqual([60_000]);
  });

  it('paces calls once reported usage passes 80%', async () => {
    const usage = JSON.stringify({ call_count: 85, total_cputime: 10, total_time: 10 });
    const { client, sleeps } = await setup([{ ...ok, headers: { 'x-app-usage': usage } }], { callsPerHour: 200 });
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    // One call per 3600 s / 200 = 18 s once past the soft limit.
    expect(sleeps).toEqual([18_000]);
  });

  it('spaces paced calls that wait at the same time one interval apart', async () => {
    const usage = JSON.stringify({ call_count: 85, total_cputime: 10, total_time: 10 });
    const { client, sleeps } = await setup([{ ...ok, headers: { 'x-app-usage': usage } }], { callsPerHour: 200 });
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    await Promise.all([1, 2, 3].map(() => client.fetchAnalytics(account, { range: day, granularity: 'DAY' })));
    expect(sleeps).toEqual([18_000, 36_000, 54_000]);
  });

  it('refuses to start a call when its own budget for the WABA is spent', async () => {
    const { fake, client } = await setup([ok], { callsPerHour: 2, maxWaitMs: 1_000 });
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' }).catch(() => undefined);
    const err = await client.fetchAnalytics(account, { range: day, granularity: 'DAY' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphRateLimitError);
    expect((err as Error).message).toMatch(/call budget for this WABA is spent/);
    expect(fake.requests.length).toBeLessThanOrEqual(2);
  });

  it("keeps Graph's own code, message and fbtrace_id when its rate limit outlasts the wait", async () => {
    const usage = JSON.stringify({ call_count: 100, total_cputime: 40, total_time: 60 });
    const { client } = await setup(
      [{ status: 400, body: graphError(4, 'Application request limit reached'), headers: { 'x-app-usage': usage } }],
      { maxWaitMs: 30_000, maxAttempts: 3 },
    );
    const err = (await client.fetchAnalytics(account, { range: day, granularity: 'DAY' }).catch((e: unknown) => e)) as GraphRateLimitError;
    expect(err).toBeInstanceOf(GraphRateLimitError);
    expect(err.message).toBe(
      'account "acme" (123456789012345): Graph is rate limiting this app or WABA; access returns in about 1 min (#4, "Application request limit reached", fbtrace_id AbCdEf123)',
    );
    expect(err.graphCode).toBe(4);
    expect(err.fbtraceId).toBe('AbCdEf123');
  });

  it('ignores malformed usage headers', async () => {
    const { client, sleeps } = await setup([{ ...ok, headers: { 'x-app-usage': '{not json', 'x-business-use-case-usage': '[]' } }]);
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    expect(sleeps).toEqual([]);
  });
});

describe('duplicated buckets', () => {
  it('passes every bucket on as Graph sent it, duplicates included, for the report to count or refuse', async () => {
    const point = { start: day.start, end: day.start + 86_400, sent: 10, delivered: 9 };
    const { client } = await setup([{ body: analyticsBody([point, point, { ...point, delivered: 8 }]) }]);
    const result = await client.fetchAnalytics(account, { range: day, granularity: 'DAY' });
    expect(result.points).toHaveLength(3);
  });
});

describe('chunking', () => {
  it('splits a long half-hour range into aligned chunks and merges the answers', async () => {
    const start = Date.UTC(2026, 10, 1, 0, 0) / 1000;
    const end = start + 20 * 86_400;
    const { fake, client } = await setup(
      (req) => {
        const s = Number(/start\((\d+)\)/.exec(req.fields!)![1]);
        const e = Number(/end\((\d+)\)/.exec(req.fields!)![1]);
        // One point at each chunk's first and last half hour; Graph repeats none across chunks.
        return {
          body: analyticsBody([
            { start: s, end: s + 1800, sent: 5, delivered: 5 },
            { start: e - 1800, end: e, sent: 3, delivered: 2 },
          ]),
        };
      },
      { halfHourChunkMs: 7 * 86_400_000 },
    );
    const result = await client.fetchAnalytics(account, { range: { start, end }, granularity: 'HALF_HOUR' });
    expect(fake.requests).toHaveLength(3);
    const ranges = fake.requests
      .map((r) => [Number(/start\((\d+)\)/.exec(r.fields!)![1]), Number(/end\((\d+)\)/.exec(r.fields!)![1])])
      .sort((a, b) => a[0]! - b[0]!);
    expect(ranges[0]![0]).toBe(start);
    expect(ranges[2]![1]).toBe(end);
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
      expect(ranges[i]![0]! % 1800).toBe(0);
    }
    expect(result.points).toHaveLength(6);
    expect(result.points.map((p) => p.start)).toEqual([...result.points.map((p) => p.start)].sort((a, b) => a - b));
    expect(result.requests).toBe(3);
  });

  it('cuts DAY chunks at midnight in the WABA time zone', () => {
    const start = Date.UTC(2026, 0, 1, 8) / 1000; // midnight PST
    const chunks = planChunks({ start, end: start + 200 * 86_400 }, 'DAY', 'America/Los_Angeles', 90 * 86_400);
    expect(chunks.length).toBe(3);
    for (const c of chunks.slice(1)) {
      const hour = new Date(c.start * 1000).getUTCHours();
      expect([7, 8]).toContain(hour); // PDT or PST midnight
    }
  });
});
