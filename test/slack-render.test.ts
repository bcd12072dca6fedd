import { describe, expect, it } from 'vitest';
import { alertMessage, errorText, reportMessage } from '../src/chat/slack/render.js';
import { ConfigError } from '../src/errors.js';
import { buildReport } from '../src/report/build.js';
import { registerSecret } from '../src/secrets.js';
import type { DataPoint } from '../src/series.js';
import { blockKitViolations } from './fakes/slack.js';

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

  it('draws an alert from the alert alone: a status line when given, buttons that carry only the key', () => {
    const content = { key: 'k'.repeat(16), shortId: 'A-7K3F', accountId: '1', accountName: 'Acme <&>', timezone: 'UTC', anomalies: [] };
    const plain = alertMessage(content);
    const acked = alertMessage(content, 'Acknowledged by <@U1>');
    expect(plain.blocks.filter((b) => b.block_id === 'alert_status')).toHaveLength(0);
    expect(acked.blocks.filter((b) => b.block_id === 'alert_status')).toHaveLength(1);
    const actions = acked.blocks.find((b) => b.type === 'actions') as { elements: Array<{ value: string }> };
    expect(actions.elements.map((e) => JSON.parse(e.value))).toEqual(Array(4).fill({ key: 'k'.repeat(16) }));
    expect(acked.text).toContain('Acme &lt;&amp;&gt;');
  });

  it('renders a resolution without buttons', () => {
    const message = alertMessage({
      key: 'k',
      shortId: 'A-7K3F',
      accountId: '1',
      accountName: 'Acme',
      timezone: 'UTC',
      resolved: true,
      anomalies: [{ severity: 'warning', explanation: 'Resolved: delivery back to 97.8% since 14:30 (UTC).' }],
    });
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(message.blocks[0])).toContain('✅ Resolved: Acme');
    expect(message.text).toBe('Delivery alert resolved for Acme: Resolved: delivery back to 97.8% since 14:30 (UTC).');
  });

  it('turns errors into one line without secrets', () => {
    registerSecret('xoxb-very-secret-token');
    expect(errorText(new ConfigError('env.X', 'bad value xoxb-very-secret-token', 'fix it'))).toBe(
      ':warning: env.X: bad value [redacted] — fix it',
    );
    expect(errorText(new Error('boom at /srv/app.js:1'))).toBe(
      ':warning: Something went wrong on our side; it has been logged. Try again in a minute.',
    );
  });
});
