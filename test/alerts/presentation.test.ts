import { describe, expect, it } from 'vitest';
import type { AlertContent, AlertLine } from '../../src/alerts/model.js';
import { alertSummary, followUpText, incidents, statusText } from '../../src/alerts/presentation.js';
import { breakable, compactCount, compactPoints, reportHeadline } from '../../src/chat/presentation.js';
import { buildReport } from '../../src/report/build.js';
import { clockSpan, zoneName } from '../../src/report/format.js';
import type { DataPoint } from '../../src/vocabulary/series.js';

const T = (iso: string) => Date.parse(iso) / 1000;
const NB = '\u00a0';

describe('times people read', () => {
  it('name zones as people know them, and fall back to an offset', () => {
    expect(zoneName(T('2026-11-24T08:00:00Z'), 'Asia/Kolkata')).toBe('IST');
    expect(zoneName(T('2026-11-24T08:00:00Z'), 'Europe/Berlin')).toBe('CET');
    expect(zoneName(T('2026-07-24T08:00:00Z'), 'Europe/Berlin')).toBe('CEST');
    expect(zoneName(T('2026-11-24T08:00:00Z'), 'America/New_York')).toBe('EST');
    expect(zoneName(T('2026-11-24T08:00:00Z'), 'UTC')).toBe('UTC');
    expect(zoneName(T('2026-11-24T08:00:00Z'), 'Asia/Kathmandu')).toMatch(/^GMT\+5:45$|^NPT$/);
  });

  it('span a stretch with its date, and the end date only when it is another day', () => {
    expect(clockSpan(T('2026-11-24T07:30:00Z'), T('2026-11-24T12:00:00Z'), 'Asia/Kolkata')).toBe(`Tue 24 Nov 13:00–17:30${NB}IST`);
    expect(clockSpan(T('2026-11-24T20:00:00Z'), T('2026-11-25T02:00:00Z'), 'Asia/Kolkata')).toBe(`Wed 25 Nov 01:30–07:30${NB}IST`);
    expect(clockSpan(T('2026-11-24T17:00:00Z'), T('2026-11-24T20:00:00Z'), 'Asia/Kolkata')).toBe(
      `Tue 24 Nov 22:30–Wed 25 Nov 01:30${NB}IST`,
    );
  });
});

describe('figures for narrow columns', () => {
  it('compact counts and points', () => {
    expect([5_966, 20_044, 247_173, 1_250_000].map(compactCount)).toEqual(['5,966', '20.0k', '247k', '1.3M']);
    expect([-21.14, 0.7, 0.01].map(compactPoints)).toEqual(['▼21.1', '▲0.7', '→0.0']);
  });

  it('break a 150-character word so it wraps', () => {
    const broken = breakable(`Acme ${'x'.repeat(150)}`);
    expect(broken.replaceAll('\u200b', '')).toBe(`Acme ${'x'.repeat(150)}`);
    expect(broken.split('\u200b').every((part) => part.length <= 17)).toBe(true);
  });
});

describe('the report headline', () => {
  const day = (start: number, sent: number, delivered: number): DataPoint => ({ start, end: start + 86_400, sent, delivered });
  const build = (sent: number, rate: number, previousRate: number) => {
    const start = T('2026-11-24T00:00:00Z');
    const points = Array.from({ length: 15 }, (_, i) => {
      const s = start - (14 - i) * 86_400;
      const r = i === 14 ? rate : previousRate;
      return day(s, sent, Math.round(sent * r));
    });
    return buildReport({
      account: { id: '1', name: 'acme', displayName: 'Acme' },
      range: { start, end: start + 86_400 },
      timezone: 'UTC',
      granularity: 'day',
      nowMs: (start + 3 * 86_400) * 1000,
      settleMs: 0,
      points,
    });
  };

  it('puts the rate first and colours a real drop', () => {
    const h = reportHeadline(build(40_000, 0.94, 0.965));
    expect(h.rate).toBe('94.0%');
    expect(h.change).toEqual({ text: `▼${NB}2.5${NB}pp`, tone: 'bad', against: 'vs previous period' });
  });

  it('does not alarm on a small account: 18 messages are not a trend', () => {
    const h = reportHeadline(build(18, 17 / 18, 1));
    expect(h.change).toMatchObject({ tone: 'neutral', note: 'small volume (18 messages): not a trend' });
  });
});

describe('alerts as incidents', () => {
  const base: AlertContent = {
    key: 'k'.repeat(16),
    shortId: 'A-7K3F',
    accountId: '1',
    accountName: 'Acme Retail',
    timezone: 'Asia/Kolkata',
    openedAt: Date.parse('2026-11-24T08:30:00Z'),
    anomalies: [],
  };
  const line = (
    kind: 'phone' | 'country' | 'account',
    label: string,
    observed: number,
    start = '2026-11-24T07:30:00Z',
    extra: Partial<AlertLine> = {},
  ) =>
    ({
      severity: 'critical',
      explanation: `Delivery on ${label} fell.`,
      kind: 'delivery_drop',
      scope: { kind, key: kind === 'account' ? null : label, label },
      start: T(start),
      end: T('2026-11-24T08:30:00Z'),
      ongoing: true,
      observed,
      expected: 0.963,
      ...extra,
    }) satisfies AlertLine;

  it('name one incident by its most specific scope and list the rest under it', () => {
    const list = incidents({
      ...base,
      anomalies: [line('account', 'all traffic', 0.861), line('country', 'IN (India)', 0.82), line('phone', '+1 631 555 1000', 0.749)],
    });
    expect(list).toEqual([
      {
        headline: `+1${NB}631${NB}555${NB}1000 at 74.9% (expected 96.3%) since 13:00${NB}IST, ongoing`,
        severity: 'critical',
        related: [`IN${NB}(India) 82.0%`, 'All traffic 86.1%'],
        new: false,
      },
    ]);
  });

  it('say what failed and what to do under a failure headline, and carry the code into the preview', () => {
    const alert = {
      ...base,
      anomalies: [
        line('country', 'IN (India)', 0.118, '2026-11-24T04:30:00Z', {
          kind: 'failure_burst',
          expected: 0.031,
          code: 131049,
          severity: 'warning',
        }),
        line('account', 'all traffic', 0.106, '2026-11-24T04:30:00Z', {
          kind: 'failure_burst',
          expected: 0.028,
          code: 131049,
          severity: 'warning',
        }),
      ],
    } satisfies AlertContent;
    const [incident] = incidents(alert);
    expect(incident).toMatchObject({
      headline: `IN${NB}(India) failing 11.8% (usually 3.1%) since 10:00${NB}IST, ongoing`,
      detail: expect.stringMatching(/^131049 rising: Held back .* Do not resend at once: retry after 24 hours/),
      related: ['All traffic failing 10.6%'],
    });
    expect(alertSummary(alert)).toBe(`Failures rising · Acme Retail: ${incident!.headline} · 131049 Marketing limit (held back)`);
  });

  it('keep drops at different times apart, and say when one ended', () => {
    const list = incidents({
      ...base,
      anomalies: [
        line('phone', '+1 631 555 1000', 0.749),
        line('phone', '+1 631 555 1001', 0.8, '2026-11-23T10:00:00Z', { end: T('2026-11-23T12:00:00Z'), ongoing: false }),
      ],
    });
    expect(list.map((i) => i.headline)).toEqual([
      `+1${NB}631${NB}555${NB}1000 at 74.9% (expected 96.3%) since 13:00${NB}IST, ongoing`,
      `+1${NB}631${NB}555${NB}1001 at 80.0% (expected 96.3%) since Mon 23 Nov 15:30${NB}IST, until 17:30${NB}IST`,
    ]);
  });

  it('lead with the incident the headline rule puts first, whatever order the lines came in', () => {
    const list = incidents({
      ...base,
      anomalies: [
        line('phone', '+1 631 555 1001', 0.9, '2026-11-23T10:00:00Z', { end: T('2026-11-23T12:00:00Z'), ongoing: false }),
        line('phone', '+1 631 555 1000', 0.749),
      ],
    });
    expect(list[0]!.headline).toMatch(/^\+1.631.555.1000 at 74\.9%/);
  });

  it('word the status and the thread replies the same everywhere', () => {
    expect(
      statusText(
        {
          action: 'muted',
          by: 'U1',
          at: Date.parse('2026-11-24T08:35:00Z'),
          mutedUntil: Date.parse('2026-11-24T09:35:00Z'),
          timezone: 'Asia/Kolkata',
        },
        'Alice',
      ),
    ).toBe(`Muted until 15:05${NB}IST by Alice`);
    const update = followUpText(
      { ...base, anomalies: [line('phone', '+1 631 555 1000', 0.749), { ...line('country', 'IN (India)', 0.82), new: true }] },
      'update',
    );
    expect(update).toBe(`New in A-7K3F:\n• IN${NB}(India) at 82.0% (expected 96.3%) since 13:00${NB}IST, ongoing`);
    const escalated = followUpText(
      { ...base, anomalies: [line('phone', '+1 631 555 1000', 0.749), { ...line('country', 'IN (India)', 0.82), new: true }] },
      'escalate',
    );
    expect(escalated).toBe(`A-7K3F is now critical:\n• IN${NB}(India) at 82.0% (expected 96.3%) since 13:00${NB}IST, ongoing`);
    // Resumed: everything it says again, not only what is new.
    const resumed = followUpText({ ...base, anomalies: [line('phone', '+1 631 555 1000', 0.749)] }, 'resume');
    expect(resumed).toMatch(/^Open again \(A-7K3F\), resolved too soon:\n• \+1\u00a0631\u00a0555\u00a01000 at 74\.9%/);
    const resolved = followUpText(
      {
        ...base,
        resolved: true,
        firstBucketStart: T('2026-11-24T07:30:00Z'),
        lastBadEnd: T('2026-11-24T12:00:00Z'),
        anomalies: [{ ...line('phone', '+1 631 555 1000', 0.961), kind: 'delivery_drop' }],
      },
      'resolve',
    );
    expect(resolved).toBe(
      `Resolved (A-7K3F). Lasted 4h 30m: Tue 24 Nov 13:00–17:30${NB}IST. +1${NB}631${NB}555${NB}1000 back to 96.1% (expected 96.3%).`,
    );
  });
});
