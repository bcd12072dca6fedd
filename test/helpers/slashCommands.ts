import { createHmac } from 'node:crypto';
import type { RunningService } from '../../src/serve/service.js';
import type { startFakeSlack } from '../fakes/slack.js';

/**
 * `/waba …` as Slack sends it to a running service: a signed form POST whose answer comes on the
 * command's response_url at the fake Slack.
 */
export function slashCommands(slack: Awaited<ReturnType<typeof startFakeSlack>>, signingSecret: string) {
  let asked = 0;
  return {
    /** Sends one command; resolves with its id once the service acknowledged it. */
    async ask(service: RunningService, text: string, channel = 'C0OPS'): Promise<string> {
      const id = `ask${++asked}`;
      const body = new URLSearchParams({
        token: 'legacy',
        team_id: 'T0FAKE',
        channel_id: channel,
        user_id: `U0P${asked}`,
        command: '/waba',
        text,
        response_url: slack.responseUrl(id),
        trigger_id: `${asked}.1`,
      }).toString();
      // Slack signs with its own clock, and Bolt checks the signature against the real one.
      const ts = Math.floor(Date.now() / 1000);
      const res = await fetch(`${service.url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`,
        },
        body,
      });
      await res.text();
      if (res.status !== 200) throw new Error(`the service answered ${res.status} to "${text}"`);
      return id;
    },
    /** The answer on a command's response_url; its blocks without the chart (a new upload each time). */
    async answer(id: string): Promise<{ inChannel: boolean; text: string; blocks: string }> {
      const found = await slack.waitFor(() => slack.responses.find((r) => r.id === id && !r.body.delete_original), 60_000);
      const blocks = ((found.body.blocks ?? []) as Array<{ type: string }>).filter((b) => b.type !== 'image');
      return { inChannel: found.body.response_type === 'in_channel', text: String(found.body.text ?? ''), blocks: JSON.stringify(blocks) };
    },
  };
}
