import { describe, expect, it } from 'vitest';
import { anomalyKey } from '../../src/alerts/judge/anomalyKey.js';
import { judgeHealth, recentHealthNote } from '../../src/alerts/judge/health.js';
import type { HealthEventRecord, HealthField } from '../../src/vocabulary/health.js';
import { readHealthChange } from '../../src/whatsapp/healthEvents.js';

/**
 * The health judge, table by table: every event that opens a problem, and the event that undoes
 * it — read from Meta-shaped changes through the webhook route's own reader.
 */
const ACME = '104729384756102';
const T0 = Date.UTC(2026, 10, 23, 3, 30) / 1000;
const NOW_MS = (T0 + 3600) * 1000;

function event(field: HealthField, value: unknown, at: number): HealthEventRecord {
  const read = readHealthChange(ACME, at, field, value, at);
  if (!read.ok) throw new Error(read.detail);
  return read.event;
}

const number = (event: string, extra: Record<string, unknown> = {}) => ({
  field: 'phone_number_quality_update' as const,
  value: { display_phone_number: '16315551001', event, ...extra },
});
const template = (event: string) => ({
  field: 'message_template_status_update' as const,
  value: {
    event,
    message_template_id: 1021457788120003,
    message_template_name: 'winter_sale',
    message_template_language: 'en',
    reason: event === 'PAUSED' ? 'LOW_QUALITY' : null,
  },
});
const account = (value: Record<string, unknown>) => ({ field: 'account_update' as const, value });

type Change = { field: HealthField; value: unknown };
const cases: Array<{ name: string; opens: Change; key: string; severity: string; says: RegExp; undo: Change; undone: RegExp }> = [
  {
    name: 'a number flagged (quality fell below GREEN)',
    opens: number('FLAGGED', { current_limit: 'TIER_10K' }),
    key: 'number_flagged|phone|16315551001',
    severity: 'warning',
    says: /^\+1 631 555 1001 flagged: its quality rating fell below GREEN \(limit TIER_10K\)$/,
    undo: number('UNFLAGGED', { current_limit: 'TIER_10K' }),
    undone: /unflagged: its quality is back up/,
  },
  {
    name: 'its messaging limit lowered',
    opens: number('DOWNGRADE', { old_limit: 'TIER_10K', current_limit: 'TIER_2K' }),
    key: 'limit_lowered|phone|16315551001',
    severity: 'warning',
    says: /messaging limit lowered TIER_10K → TIER_2K$/,
    undo: number('UPGRADE', { old_limit: 'TIER_2K', current_limit: 'TIER_10K' }),
    undone: /messaging limit raised to TIER_10K/,
  },
  {
    name: 'its messaging limit lowered to 250 (critical)',
    opens: number('DOWNGRADE', { old_limit: 'TIER_1K', current_limit: 'TIER_250' }),
    key: 'limit_lowered|phone|16315551001',
    severity: 'critical',
    says: /TIER_1K → TIER_250/,
    undo: number('UPGRADE', { old_limit: 'TIER_250', current_limit: 'TIER_1K' }),
    undone: /raised to TIER_1K/,
  },
  {
    name: 'a number restricted',
    opens: account({
      event: 'ACCOUNT_RESTRICTION',
      phone_number: '16315551001',
      restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING' }],
    }),
    key: 'number_restricted|phone|16315551001',
    severity: 'critical',
    says: /\+1 631 555 1001 is restricted: restricted biz initiated messaging/,
    undo: account({ event: 'ACCOUNT_RESTRICTION', phone_number: '16315551001', restriction_info: [] }),
    undone: /restriction lifted/,
  },
  {
    name: 'the account restricted',
    opens: account({ event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION' }] }),
    key: 'account_restricted|account|',
    severity: 'critical',
    says: /^The account is restricted: restricted add phone number action$/,
    undo: account({ event: 'ACCOUNT_RESTRICTION', restriction_info: [] }),
    undone: /The account: restriction lifted/,
  },
  {
    name: 'the account disabled (banned)',
    opens: account({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE' } }),
    key: 'account_disabled|account|',
    severity: 'critical',
    says: /^The account is disabled \(banned\)$/,
    undo: account({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'REINSTATE' } }),
    undone: /The account is reinstated/,
  },
  {
    name: 'the account scheduled to be disabled',
    opens: account({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'SCHEDULE_FOR_DISABLE' } }),
    key: 'account_disabled|account|',
    severity: 'critical',
    says: /scheduled to be disabled/,
    undo: account({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'REINSTATE' } }),
    undone: /reinstated/,
  },
  {
    name: 'a template paused',
    opens: template('PAUSED'),
    key: 'template_paused|template|1021457788120003',
    severity: 'critical',
    says: /^Template winter_sale \(en\) paused \(low quality\)$/,
    undo: template('REINSTATED'),
    undone: /Template winter_sale \(en\) approved again/,
  },
  {
    name: 'a template disabled',
    opens: template('DISABLED'),
    key: 'template_disabled|template|1021457788120003',
    severity: 'warning',
    says: /^Template winter_sale \(en\) disabled$/,
    undo: template('APPROVED'),
    undone: /approved again/,
  },
  {
    name: 'a template disabled, then deleted',
    opens: template('DISABLED'),
    key: 'template_disabled|template|1021457788120003',
    severity: 'warning',
    says: /disabled/,
    undo: template('DELETED'),
    undone: /Template winter_sale \(en\) deleted/,
  },
];

describe('the health judge', () => {
  it.each(cases)('opens on $name, and resolves when it is undone', (c) => {
    const opened = event(c.opens.field, c.opens.value, T0);
    const open = judgeHealth([opened], NOW_MS);
    expect(open.ongoing).toHaveLength(1);
    const [problem] = open.ongoing;
    expect(anomalyKey(problem!)).toBe(c.key);
    expect(problem).toMatchObject({ severity: c.severity, start: T0, end: NOW_MS / 1000 });
    expect(problem!.explanation).toMatch(c.says);

    const undo = event(c.undo.field, c.undo.value, T0 + 600);
    // Given in any order (the store reads newest first): folded oldest first.
    const after = judgeHealth([undo, opened], NOW_MS);
    expect(after.ongoing).toEqual([]);
    expect(after.undone).toHaveLength(1);
    expect(after.undone[0]).toMatchObject({ key: c.key, since: T0, at: T0 + 600 });
    expect(after.undone[0]!.explanation).toMatch(c.undone);
    // Where the stretch ended: at the undo.
    expect(after.recent.find((a) => anomalyKey(a) === c.key)).toMatchObject({ start: T0, end: T0 + 600 });
  });

  it('keeps a problem open from its first event through repeats, and raises nothing on an undo of nothing', () => {
    const first = event('phone_number_quality_update', number('DOWNGRADE', { old_limit: 'TIER_10K', current_limit: 'TIER_2K' }).value, T0);
    const again = event(
      'phone_number_quality_update',
      number('DOWNGRADE', { old_limit: 'TIER_2K', current_limit: 'TIER_1K' }).value,
      T0 + 60,
    );
    const [lowered] = judgeHealth([again, first], NOW_MS).ongoing;
    expect(lowered).toMatchObject({ start: T0 });
    expect(lowered!.explanation).toMatch(/TIER_10K → TIER_1K$/);
    const stray = event('phone_number_quality_update', number('UPGRADE', { current_limit: 'TIER_10K' }).value, T0);
    expect(judgeHealth([stray], NOW_MS)).toMatchObject({ ongoing: [], undone: [] });
  });

  it('lifts a restriction when its expiration passes', () => {
    const restricted = event(
      'account_update',
      account({
        event: 'ACCOUNT_RESTRICTION',
        restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: T0 + 1800 }],
      }).value,
      T0,
    );
    expect(judgeHealth([restricted], (T0 + 1799) * 1000).ongoing).toHaveLength(1);
    const later = judgeHealth([restricted], (T0 + 1800) * 1000);
    expect(later.ongoing).toEqual([]);
    expect(later.undone[0]).toMatchObject({ at: T0 + 1800, explanation: 'The account: restriction expired' });
  });

  it('opens nothing on news that is no problem: onboarding, a tier update, a template approved, a quality score', () => {
    const events = [
      event('phone_number_quality_update', number('ONBOARDING').value, T0),
      event('phone_number_quality_update', number('THROUGHPUT_UPGRADE').value, T0),
      event('message_template_status_update', template('APPROVED').value, T0),
      event(
        'message_template_quality_update',
        {
          previous_quality_score: 'GREEN',
          new_quality_score: 'YELLOW',
          message_template_id: 1,
          message_template_name: 'a',
          message_template_language: 'en',
        },
        T0,
      ),
      event('account_update', { event: 'VOLUME_BASED_PRICING_TIER_UPDATE', volume_tier_info: { tier: '1:100' } }, T0),
    ];
    expect(judgeHealth(events, NOW_MS).ongoing).toEqual([]);
  });
});

describe("a drop alert's health line", () => {
  const flagged = event('phone_number_quality_update', number('FLAGGED').value, T0);
  const paused = event('message_template_status_update', template('PAUSED').value, T0 + 600);
  const fell = event(
    'message_template_quality_update',
    {
      previous_quality_score: 'YELLOW',
      new_quality_score: 'RED',
      message_template_id: 1021457788120003,
      message_template_name: 'winter_sale',
      message_template_language: 'en',
    },
    T0 + 300,
  );
  const rose = event(
    'message_template_quality_update',
    {
      previous_quality_score: 'RED',
      new_quality_score: 'YELLOW',
      message_template_id: 9,
      message_template_name: 'b',
      message_template_language: 'en',
    },
    T0 + 900,
  );

  it("names the alert's own number first, then the newest flag, quality fall or pause of the day", () => {
    expect(recentHealthNote([flagged, paused, fell, rose], NOW_MS, ['16315551001'])).toEqual({
      what: 'Number +1 631 555 1001 was flagged (quality below GREEN)',
      at: T0,
      more: 2,
    });
    expect(recentHealthNote([flagged, paused, fell], NOW_MS, [])).toMatchObject({ what: 'Template winter_sale (en) was paused', more: 2 });
    expect(recentHealthNote([fell], NOW_MS, [])).toMatchObject({ what: 'Template winter_sale (en) fell to RED', more: 0 });
  });

  it('says nothing of a day-old event, nor of a quality that rose', () => {
    expect(recentHealthNote([flagged], (T0 + 86_400) * 1000, [])).toBeUndefined();
    expect(recentHealthNote([rose], NOW_MS, [])).toBeUndefined();
  });
});
