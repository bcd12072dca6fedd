import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { analyticsResponseSchema } from '../src/graph/client.js';
import { buildReport } from '../src/report/build.js';
import { reportJson } from '../src/report/json.js';

// The verbatim sample response of the Graph reference page (../shared/reference/).
const referencePath = fileURLToPath(new URL('../../shared/reference/seed-response.json', import.meta.url));
const fallbackPath = fileURLToPath(new URL('./fixtures/seed-response.json', import.meta.url));

function loadReference(): unknown {
  for (const path of [referencePath, fallbackPath]) {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // try the next copy
    }
  }
  throw new Error('reference response not found');
}

describe('the reference response', () => {
  const parsed = analyticsResponseSchema.parse(loadReference());
  const points = parsed.analytics!.data_points;
  const tz = 'America/Los_Angeles';
  // The request of the reference page: 2022-01-01 08:00 UTC (midnight PST) to 1651094880.
  const report = buildReport({
    account: { id: parsed.id, name: 'reference', displayName: 'Reference' },
    range: { start: 1641024000, end: DateTime.fromSeconds(1651094880, { zone: tz }).startOf('day').plus({ days: 1 }).toSeconds() },
    timezone: tz,
    granularity: 'day',
    nowMs: Date.UTC(2022, 5, 1),
    settleMs: 2 * 3_600_000,
    points,
  });

  it('parses exactly: 5 buckets, their phone numbers and granularity', () => {
    expect(points).toHaveLength(5);
    expect(parsed.analytics!.granularity).toBe('DAY');
    expect(parsed.analytics!.phone_numbers).toEqual(['PHONE-NUMBER']);
    expect(parsed.id).toBe('WHATSAPP-BUSINESS-ACCOUNT-ID');
  });

  it('totals 8 sent, 8 delivered, a 100% delivery rate', () => {
    expect(report.totals).toEqual({ sent: 8, delivered: 8, deliveryRate: 1 });
  });

  it('fills the omitted days with zeros and a null rate', () => {
    // 1 Jan .. 27 Apr 2022 is 117 days; only 5 had traffic.
    expect(report.series).toHaveLength(117);
    const empty = report.series.filter((p) => p.sent === 0);
    expect(empty).toHaveLength(112);
    expect(empty.every((p) => p.deliveryRate === null && p.delivered === 0)).toBe(true);
  });

  it('shows the buckets as the right calendar days in America/Los_Angeles', () => {
    const json = reportJson(report);
    const days = json.series.filter((p) => p.sent > 0).map((p) => [p.start.slice(0, 10), p.sent]);
    expect(days).toEqual([
      ['2022-03-15', 1],
      ['2022-03-31', 4],
      ['2022-04-01', 1],
      ['2022-04-18', 1],
      ['2022-04-19', 1],
    ]);
    // Buckets start at local midnight: 08:00 UTC before the DST change, 07:00 UTC after.
    expect(json.series[0]!.start).toBe('2022-01-01T00:00:00-08:00');
    expect(json.series.find((p) => p.start.startsWith('2022-03-15'))!.start).toBe('2022-03-15T00:00:00-07:00');
    // The day of the spring-forward change is 23 hours long.
    const dst = report.series.find((p) => DateTime.fromSeconds(p.start, { zone: tz }).toISODate() === '2022-03-13')!;
    expect(dst.end - dst.start).toBe(23 * 3600);
  });
});
