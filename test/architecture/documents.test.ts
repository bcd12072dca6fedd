import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AlertContent } from '../../src/alerts/model.js';
import type { SettleStats } from '../../src/analytics/settle.js';
import { type AlertDocument, documents, readDocument, type SettleStatsDocument } from '../../src/store/documents.js';

/**
 * The store keeps its own types for the JSON it reads back, so it imports nothing of the layers
 * above it (layers.test.ts); these hold them in step with the types those layers use. `npm test`
 * type-checks this file: a field added on one side only fails it.
 */
describe('what the store keeps is what the layers above it use', () => {
  it('an alert as kept is an alert as drawn, both ways', () => {
    expectTypeOf<AlertContent>().toExtend<AlertDocument>();
    expectTypeOf<AlertDocument>().toExtend<AlertContent>();
    expectTypeOf<keyof AlertContent>().toEqualTypeOf<keyof AlertDocument>();
  });

  it('settle statistics as kept are those the analytics learn from', () => {
    expectTypeOf<SettleStats>().toEqualTypeOf<SettleStatsDocument>();
  });
});

describe('an alert read back from the store', () => {
  const alert: AlertContent = {
    key: 'k1',
    shortId: 'A-7K3F',
    accountId: '102290129340398',
    accountName: 'Acme',
    anomalies: [{ severity: 'critical', explanation: 'Delivery fell to 81.0%' }],
    timezone: 'Europe/Berlin',
    healthNote: { what: 'Number +1 555 000 0003 was flagged (quality below GREEN)', at: 1_764_900_000, more: 1 },
  };

  it('keeps the health news it mentions', () => {
    expect(readDocument(documents.alert, JSON.stringify(alert), 'alert k1')).toEqual(alert);
  });

  it('leaves off a health note that does not read, and still redraws', () => {
    const stored = JSON.stringify({ ...alert, healthNote: { what: 7 } });
    const { healthNote, ...rest } = alert;
    expect(healthNote).toBeDefined();
    expect(readDocument(documents.alert, stored, 'alert k1')).toEqual({ ...rest, healthNote: undefined });
  });
});
