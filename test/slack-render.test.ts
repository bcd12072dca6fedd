import { describe, expect, it } from 'vitest';
import { digestFormView } from '../src/chat/slack/digestForm.js';
import { homeView } from '../src/chat/slack/homeView.js';
import { alertMessage, errorText, reportMessage } from '../src/chat/slack/render.js';
import { ruleFormView } from '../src/chat/slack/ruleForm.js';
import { ConfigError, UsageError } from '../src/errors.js';
import { buildReport } from '../src/report/build.js';
import { registerSecret } from '../src/secrets.js';
import type { DataPoint } from '../src/vocabulary/series.js';
import { blockKitViolations, viewViolations } from './fakes/slack.js';

const start = Date.UTC(2026, 10, 17) / 1000;
const points: DataPoint[] = Array.from({ length: 21 }, (_, i) => ({
  start: start - 14 * 86_400 + i * 86_400,
  end: start - 13 * 86_400 + i * 86_400,
  sent: 1000 + i,
  delivered: 970,
}));
function report(items: number) {
  return buildReport({
    account: { id: '104729384756102', name: 'acme', displayName: 'A'.repeat(200) },
    range: { start, end: start + 7 * 86_400 },
    timezone: 'UTC',
    granularity: 'day',
    nowMs: (start + 30 * 86_400) * 1000,
    settleMs: 0,
    points,
    breakdown: { by: 'phone', items: Array.from({ length: items }, (_, i) => ({ key: `1415555${1000 + i}`, points })) },
  });
}

describe('Block Kit rendering', () => {
  it('stays within Slack limits for a long title and 200 breakdown rows', () => {
    const message = reportMessage(report(200), { fileId: 'F1' });
    expect(blockKitViolations(message as unknown as Record<string, unknown>)).toEqual([]);
    const headerBlock = message.blocks[0] as { text: { text: string } };
    expect(headerBlock.text.text.length).toBeLessThanOrEqual(150);
    expect(headerBlock.text.text.endsWith('…')).toBe(true);
    expect(JSON.stringify(message.blocks)).toContain('…and 185 more');
  });

  it('shows a QuickChart URL as an image block', () => {
    const message = reportMessage(report(2), { url: 'https://quickchart.io/chart?c=%7B%7D' });
    expect(message.blocks.find((b) => b.type === 'image')).toMatchObject({ image_url: 'https://quickchart.io/chart?c=%7B%7D' });
  });

  it('draws an alert from the alert alone: who did what once clicked, buttons that carry only the key', () => {
    const content = {
      key: 'k'.repeat(16),
      shortId: 'A-7K3F',
      accountId: '1',
      accountName: 'Acme <&>',
      timezone: 'Asia/Kolkata',
      openedAt: Date.UTC(2026, 10, 24, 8, 15),
      anomalies: [
        {
          severity: 'critical' as const,
          explanation: 'Delivery on +1 631 555 1000 fell to 74.9%.',
          kind: 'delivery_drop' as const,
          scope: { kind: 'phone' as const, key: '16315551000', label: '+1 631 555 1000' },
          start: Date.UTC(2026, 10, 24, 7, 30) / 1000,
          end: Date.UTC(2026, 10, 24, 8, 30) / 1000,
          ongoing: true,
          observed: 0.749,
          expected: 0.963,
        },
      ],
    };
    const plain = alertMessage(content);
    const acked = alertMessage({
      ...content,
      status: { action: 'acknowledged', by: 'U1', at: Date.UTC(2026, 10, 24, 8, 35), timezone: 'Asia/Kolkata' },
    });
    expect(plain.blocks.filter((b) => b.block_id === 'alert_status')).toHaveLength(0);
    const status = acked.blocks.find((b) => b.block_id === 'alert_status') as { elements: Array<{ text: string }> };
    expect(status.elements[0]!.text).toBe(':white_check_mark: Acknowledged by <@U1> at 14:05\u00a0IST');
    // What, where, since when, in the account's zone with its short name.
    expect(JSON.stringify(plain.blocks)).toContain(
      '+1\u00a0631\u00a0555\u00a01000 at 74.9% (expected 96.3%) since 13:00\u00a0IST, ongoing',
    );
    const buttons = (m: typeof plain) =>
      (m.blocks.find((b) => b.type === 'actions') as { elements: Array<{ value: string; text: { text: string } }> }).elements;
    expect(buttons(plain).map((e) => e.text.text)).toEqual(['Acknowledge', 'Mute 1h', 'Mute 24h', 'Show by phone number']);
    expect(buttons(acked).map((e) => e.text.text)).toEqual(['Undo', 'Show by phone number']);
    expect(buttons(acked).map((e) => JSON.parse(e.value))).toEqual(Array(2).fill({ key: 'k'.repeat(16) }));
    expect(acked.text).toContain('Acme &lt;&amp;&gt;');
    expect(blockKitViolations(acked as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('renders a resolution without buttons: once "Resolved", with how long it lasted and what recovered', () => {
    const message = alertMessage({
      key: 'k',
      shortId: 'A-7K3F',
      accountId: '1',
      accountName: 'Acme',
      timezone: 'Europe/Berlin',
      resolved: true,
      firstBucketStart: Date.UTC(2026, 10, 24, 12, 0) / 1000,
      lastBadEnd: Date.UTC(2026, 10, 24, 16, 30) / 1000,
      anomalies: [
        {
          severity: 'warning',
          explanation: 'Delivery on +1 631 555 1000 is back to 96.1%.',
          kind: 'delivery_drop',
          scope: { kind: 'phone', key: '16315551000', label: '+1 631 555 1000' },
          observed: 0.961,
          expected: 0.963,
        },
      ],
    });
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    const text = JSON.stringify(message.blocks);
    expect(text.match(/Resolved/g)).toHaveLength(1);
    expect(text).toContain('Lasted 4h 30m: Tue 24 Nov 13:00–17:30\u00a0CET');
    expect(text).toContain('+1\u00a0631\u00a0555\u00a01000 back to 96.1% (expected 96.3%)');
  });

  it('turns errors into one line without secrets, and setup problems into words for chat', () => {
    registerSecret('xoxb-very-secret-token');
    expect(errorText(new UsageError('bad value xoxb-very-secret-token', 'fix it'))).toBe(':warning: bad value [redacted] — fix it');
    // Which variable is missing is the operator's business: it is in the log, not in the channel.
    expect(errorText(new ConfigError('accounts[0].token', 'environment variable ACME_TOKEN is not set', 'export ACME_TOKEN'))).toBe(
      ':warning: waba-pulse is missing part of its setup for that; whoever runs it can see what in its log.',
    );
    expect(errorText(new Error('boom at /srv/app.js:1'))).toBe(
      ':warning: Something went wrong on our side; it has been logged. Try again in a minute.',
    );
  });
});

describe('the settings views at Block Kit limits', () => {
  const many = Array.from({ length: 150 }, (_, i) => ({ value: `account-${i}`, label: `Account ${i} ${'x'.repeat(100)}` }));

  it('trims an App Home of 60 busy channels to 100 blocks, saying where the rest is', () => {
    const home = homeView({
      conversations: Array.from({ length: 60 }, (_, i) => ({
        conversation: `C0${i}`,
        accounts: ['*Acme* (`acme`): 97.0% of 1,000 delivered yesterday'],
        openAlerts: [],
        rules: [{ id: `r-${i}`, origin: 'chat' as const, summary: 'drop · acme', version: 1, updatedBy: 'U1' }],
        digests: [{ id: `d-${i}`, origin: 'chat' as const, summary: 'Acme · daily at 09:00 UTC', version: 1, updatedBy: 'U1' }],
      })),
      changes: [],
    });
    expect(home.blocks).toHaveLength(100);
    expect(JSON.stringify(home.blocks.at(-1))).toContain('more than fits here: `waba-pulse check` lists every rule and digest');
    expect(viewViolations(home)).toEqual([]);
  });

  it('keeps both forms within limits with 150 accounts to choose from and long values', () => {
    const rule = ruleFormView({
      accounts: many,
      values: { account: 'account-140', name: 'n'.repeat(500) },
      metadata: {},
      preview: 'p'.repeat(5000),
    });
    const digest = digestFormView({
      accounts: many,
      values: { account: 'account-140', timezone: 'Europe/Berlin' },
      metadata: { digestId: 'd', version: 1 },
    });
    expect(viewViolations(rule)).toEqual([]);
    expect(viewViolations(digest)).toEqual([]);
    // The account chosen stays chosen even past the 100 offered.
    expect((digest.blocks as any[]).find((b) => b.block_id === 'digest_account').element.initial_option.value).toBe('account-140');
  });
});
