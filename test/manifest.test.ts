import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

describe('the Slack app manifest', () => {
  const manifest = parse(readFileSync(new URL('../manifest/slack/manifest.yaml', import.meta.url), 'utf8')) as Record<string, any>;

  it('declares the slash command and interactivity on /slack/events', () => {
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({ command: '/waba', url: 'https://pulse.example.com/slack/events' }),
    ]);
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://pulse.example.com/slack/events' });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('asks for the bot scopes the app uses and no more', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([
      'channels:read',
      'chat:write',
      'chat:write.public',
      'commands',
      'files:write',
      'groups:read',
      'usergroups:read',
    ]);
  });

  it('has the message shortcut that opens the alert rule form', () => {
    expect(manifest.features.shortcuts).toEqual([
      expect.objectContaining({ type: 'message', callback_id: 'waba_new_rule', name: 'New alert rule' }),
    ]);
    for (const s of manifest.features.shortcuts) expect(s.description.length).toBeLessThanOrEqual(80);
  });

  it('has the App Home tab and its app_home_opened event on /slack/events', () => {
    expect(manifest.features.app_home).toMatchObject({ home_tab_enabled: true });
    expect(manifest.settings.event_subscriptions).toEqual({
      request_url: 'https://pulse.example.com/slack/events',
      bot_events: ['app_home_opened'],
    });
  });
});

describe('the Teams app package', async () => {
  const { fillTeamsManifest } = await import('../src/chat/teams/package.js');
  const { teamsManifestSchema } = await import('../src/chat/teams/manifest.js');
  const { COMMAND_NAMES } = await import('../src/command/grammar.js');
  const { ConfigError } = await import('../src/errors.js');
  const { thrown } = await import('./helpers/thrown.js');
  const appId = '11111111-2222-3333-4444-555555555555';

  it('fills the app id and chart host into a manifest that meets the schema rules', () => {
    const manifest = JSON.parse(fillTeamsManifest({ MICROSOFT_APP_ID: appId, PUBLIC_BASE_URL: 'https://pulse.acme.test' }));
    expect(teamsManifestSchema.safeParse(manifest).success).toBe(true);
    // Links to where serve runs, whose privacy and terms pages exist (test/teams.test.ts fetches them).
    expect(manifest.developer).toMatchObject({
      websiteUrl: 'https://pulse.acme.test/',
      privacyUrl: 'https://pulse.acme.test/privacy',
      termsOfUseUrl: 'https://pulse.acme.test/terms',
    });
    expect(manifest.id).toBe(appId);
    expect(manifest.bots[0].botId).toBe(appId);
    expect(manifest.bots[0].scopes).toEqual(['personal', 'team', 'groupChat']);
    expect(manifest.validDomains).toEqual(['pulse.acme.test']);
    // Teams' menu holds 10 commands: every one but `unmute`, which `mute` names (help lists all).
    expect(manifest.bots[0].commandLists[0].commands.map((c: { title: string }) => c.title)).toEqual(
      COMMAND_NAMES.filter((name) => name !== 'unmute'),
    );
  });

  it('refuses to package without a valid app id', () => {
    expect(thrown(() => fillTeamsManifest({}), ConfigError).message).toBe('env.MICROSOFT_APP_ID: is not set');
    expect(thrown(() => fillTeamsManifest({ MICROSOFT_APP_ID: 'not-a-guid' }), ConfigError).message).toBe(
      'env.MICROSOFT_APP_ID: "not-a-guid" is not a GUID',
    );
  });

  it('ships a 192×192 colour icon and a 32×32 white-on-transparent outline', async () => {
    const { loadImage, createCanvas } = await import('@napi-rs/canvas');
    const color = await loadImage(readFileSync(new URL('../manifest/teams/color.png', import.meta.url)));
    expect([color.width, color.height]).toEqual([192, 192]);
    const outline = await loadImage(readFileSync(new URL('../manifest/teams/outline.png', import.meta.url)));
    expect([outline.width, outline.height]).toEqual([32, 32]);
    const canvas = createCanvas(32, 32);
    const g = canvas.getContext('2d');
    g.drawImage(outline, 0, 0);
    const pixels = g.getImageData(0, 0, 32, 32).data;
    let transparent = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] === 0) transparent++;
      else expect([pixels[i], pixels[i + 1], pixels[i + 2]]).toEqual([255, 255, 255]);
    }
    expect(transparent).toBeGreaterThan(512);
  });

  it('zips manifest and icons with `waba-pulse teams-package`', async () => {
    const { runCli } = await import('../src/cli/main.js');
    const { PassThrough } = await import('node:stream');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { unzipSync } = await import('fflate');
    const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-teams-'));
    const out = join(dir, 'package.zip');
    const code = await runCli(['teams-package', '--out', out], {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      now: Date.now,
      env: { MICROSOFT_APP_ID: appId },
      cwd: dir,
    });
    expect(code).toBe(0);
    const files = unzipSync(readFileSync(out));
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(JSON.parse(Buffer.from(files['manifest.json']!).toString()).id).toBe(appId);
  });
});
