import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

describe('the Slack app manifest', () => {
  const manifest = parse(readFileSync(new URL('../manifest/slack/manifest.yaml', import.meta.url), 'utf8')) as Record<string, any>;

  it('declares the slash command and interactivity on /slack/events', () => {
    expect(manifest.features.slash_commands).toEqual([expect.objectContaining({ command: '/waba', url: 'https://pulse.example.com/slack/events' })]);
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://pulse.example.com/slack/events' });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('asks for the bot scopes the app uses and no more', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(['chat:write', 'chat:write.public', 'commands', 'files:write']);
  });
});
