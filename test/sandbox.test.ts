import { DateTime } from 'luxon';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsResponseSchema } from '../src/graph/client.js';
import { SANDBOX_TOKEN, sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';

const NOW = Date.UTC(2026, 10, 25, 10, 15);
const ACME = '104729384756102';
const INITECH = '112233445566778';
let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => NOW, callsPerHour: 1000 });
});
afterAll(() => sandbox.close());

async function get(id: string, fields: string, token: string | null = SANDBOX_TOKEN) {
  const url = new URL(`${sandbox.url}/v23.0/${id}`);
  url.searchParams.set('fields', fields);
  const res = await request(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, any> };
}

const nowS = NOW / 1000;

describe('sandbox Graph', () => {
  it('answers the reference shape and aligns DAY buckets to midnight US Pacific', async () => {
    const { status, body } = await get(ACME, `analytics.start(${nowS - 10 * 86_400}).end(${nowS}).granularity(DAY)`);
    expect(status).toBe(200);
    const parsed = analyticsResponseSchema.parse(body);
    expect(parsed.id).toBe(ACME);
    expect(parsed.analytics!.granularity).toBe('DAY');
    expect(parsed.analytics!.phone_numbers).toEqual(['16315551000', '16315551001', '918045551234']);
    for (const p of parsed.analytics!.data_points.slice(1)) {
      const local = DateTime.fromSeconds(p.start, { zone: 'America/Los_Angeles' });
      expect(local.toFormat('HH:mm')).toBe('00:00');
      expect(p.delivered).toBeLessThanOrEqual(p.sent);
    }
  });

  it('omits buckets with no traffic', async () => {
    const { body } = await get(INITECH, `analytics.start(${nowS - 2 * 86_400}).end(${nowS}).granularity(HALF_HOUR)`);
    const points = body.analytics.data_points as Array<{ start: number; sent: number }>;
    expect(points.every((p) => p.sent > 0)).toBe(true);
    expect(points.length).toBeLessThan(96); // quiet night half hours are missing
  });

  it('honours phone number and country filters', async () => {
    const range = `analytics.start(${nowS - 3 * 86_400}).end(${nowS - 86_400}).granularity(DAY)`;
    const sum = (b: Record<string, any>) => (b.analytics.data_points as Array<{ sent: number }>).reduce((s, p) => s + p.sent, 0);
    const all = sum((await get(ACME, range)).body);
    const phones = await Promise.all(
      ['16315551000', '16315551001', '918045551234'].map((n) => get(ACME, `${range}.phone_numbers(["${n}"])`)),
    );
    expect(phones.map((p) => sum(p.body)).reduce((a, b) => a + b, 0)).toBe(all);
    const india = await get(ACME, `${range}.country_codes(["IN"])`);
    expect(india.body.analytics.country_codes).toEqual(['IN']);
    expect(sum(india.body)).toBeGreaterThan(0);
    expect(sum(india.body)).toBeLessThan(all);
  });

  it('checks the Bearer token and answers like Graph', async () => {
    const missing = await get(ACME, 'id', null);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 104, type: 'OAuthException' });
    const wrong = await get(ACME, 'id', 'not-the-token');
    expect(wrong.body.error.code).toBe(190);
    expect(wrong.body.error.fbtrace_id).toEqual(expect.any(String));
    const expired = await get(ACME, 'id', 'sandbox-expired-token');
    expect(expired.body.error).toMatchObject({ code: 190, error_subcode: 463 });
  });

  it('refuses unknown objects, fields, granularities and future ends', async () => {
    expect((await get('999999999999', 'id')).body.error).toMatchObject({ code: 100, error_subcode: 33 });
    expect((await get(ACME, 'nonsense')).body.error.message).toMatch(/nonexisting field \(nonsense\)/);
    expect((await get(ACME, `analytics.start(${nowS - 86_400}).end(${nowS}).granularity(WEEK)`)).body.error.code).toBe(100);
    expect((await get(ACME, `analytics.start(${nowS - 86_400}).end(${nowS + 86_400}).granularity(DAY)`)).body.error.message).toMatch(
      /end must be a time in the past/,
    );
    expect((await get(ACME, `analytics.start(${nowS - 86_400}).end(${nowS}).granularity(MONTH)`)).body.error.message).toMatch(
      /at least one month/,
    );
  });

  it('takes MONTH over a calendar month or more in the WABA zone, and nothing shorter', async () => {
    const pacific = (iso: string) => DateTime.fromISO(iso, { zone: 'America/Los_Angeles' }).toSeconds();
    const month = async (from: string, to: string) =>
      (await get(ACME, `analytics.start(${pacific(from)}).end(${pacific(to)}).granularity(MONTH)`)).body;
    // February: 28 days, and a month.
    expect((await month('2026-02-01', '2026-03-01')).analytics.granularity).toBe('MONTH');
    // 28 days of June, or June less a minute: not a month.
    expect((await month('2026-06-03', '2026-07-01')).error).toMatchObject({ code: 100 });
    expect((await month('2026-06-01', '2026-06-30T23:59')).error.message).toBe(
      '(#100) The time range must be at least one month for granularity MONTH',
    );
    expect((await month('2026-06-01', '2026-07-01')).analytics.granularity).toBe('MONTH');
  });

  it('shows deliveries still arriving for the newest buckets', async () => {
    const { body } = await get(ACME, `analytics.start(${nowS - 6 * 3600}).end(${nowS}).granularity(HALF_HOUR)`);
    const points = body.analytics.data_points as Array<{ sent: number; delivered: number }>;
    const rate = (p: { sent: number; delivered: number }) => p.delivered / p.sent;
    expect(rate(points.at(-1)!)).toBeLessThan(rate(points[0]!) - 0.1);
  });

  it('rate-limits a WABA past its hourly budget with usage headers', async () => {
    const small = await startSandbox({ accounts: sampleAccounts(NOW), now: () => NOW, callsPerHour: 3 });
    try {
      const call = async () => {
        const res = await request(`${small.url}/v23.0/${ACME}?fields=id`, { headers: { authorization: `Bearer ${SANDBOX_TOKEN}` } });
        return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, any> };
      };
      await call();
      await call();
      const third = await call();
      const usage = JSON.parse(third.headers['x-business-use-case-usage'] as string);
      expect(usage[ACME][0].call_count).toBe(100);
      const fourth = await call();
      expect(fourth.body.error.code).toBe(80008);
      expect(JSON.parse(fourth.headers['x-business-use-case-usage'] as string)[ACME][0].estimated_time_to_regain_access).toBeGreaterThan(0);
    } finally {
      await small.close();
    }
  });
});
