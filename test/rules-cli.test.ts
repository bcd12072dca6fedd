import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../src/cli/main.js';
import { buildConfig } from '../src/configure.js';
import { openStore } from '../src/store/sql.js';
import { capturedOutput } from './helpers/output.js';

const NOW = Date.UTC(2026, 10, 25, 10, 15);
const TOKEN = 'EAAG-rules-cli-SECRET-41';
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-rules-cli-'));
const DATABASE_URL = `sqlite:${join(dir, 'store.db')}`;
const ACCOUNTS = {
  accounts: [
    { id: '104729384756102', name: 'acme-retail', token: '${ACME_TOKEN}', timezone: 'Asia/Kolkata' },
    { id: '109876543210987', name: 'globex-support', token: '${ACME_TOKEN}' },
  ],
};
const configPath = join(dir, 'waba-pulse.yaml');

async function cli(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const { stdout, stderr, out, err } = capturedOutput();
  const env = {
    WABA_PULSE_CONFIG: configPath,
    ACME_TOKEN: TOKEN,
    SLACK_BOT_TOKEN: 'xoxb-r',
    SLACK_SIGNING_SECRET: 's',
    DATABASE_URL,
    ...extra,
  };
  const code = await runCli(args, { stdout, stderr, env, cwd: dir, now: () => NOW });
  expect(out() + err()).not.toContain(TOKEN);
  return { code, out: out(), err: err() };
}

const chat = { platform: 'slack' as const, conversation: 'C0CHAT' };
let kept: string;
let broken: string;
beforeAll(async () => {
  writeFileSync(
    configPath,
    `${JSON.stringify({ ...ACCOUNTS, alerts: [{ name: 'nightly', account: 'acme-retail', targets: [{ slack: { channel: 'C0OPS' } }] }] })}\n`,
  );
  const store = await openStore(DATABASE_URL);
  const first = await store.rules.createRule(
    {
      owner: chat,
      definition: {
        account: 'acme-retail',
        minSent: 50,
        rateFloor: 0.9,
        scope: { countries: ['IN'] },
        targets: [{ slack: { channel: 'C0CHAT' } }],
      },
      by: 'U1',
    },
    NOW - 3_600_000,
  );
  await store.rules.updateRule(first.id, 1, { ...first.definition, sensitivity: 'high' }, 'U2', NOW - 60_000);
  kept = first.id;
  broken = (
    await store.rules.createRule(
      { owner: chat, definition: { account: 'gone-co', targets: [{ slack: { channel: 'C0CHAT' } }] }, by: 'U3' },
      NOW,
    )
  ).id;
  await store.close();
});

describe('waba-pulse rules export', () => {
  it('prints the chat-made rules as an alerts: fragment that the config reads back as the same rules', async () => {
    const { code, out } = await cli(['rules', 'export']);
    expect(code).toBe(0);
    expect(out).toContain(`# ${kept}: slack C0CHAT, version 2, made by U1 2026-11-25T09:15:00Z, last changed by U2 2026-11-25T10:14:00Z`);
    const fragment = parse(out) as { alerts: unknown[] };
    expect(fragment.alerts).toHaveLength(2);
    // Pasted into the file (the rule whose account is gone left out), it is the same rule as a config rule.
    const config = buildConfig({ ...ACCOUNTS, alerts: [fragment.alerts[0]] }, { ACME_TOKEN: TOKEN });
    expect(config.alerts[0]).toMatchObject({
      account: 'acme-retail',
      minSent: 50,
      rateFloor: 0.9,
      sensitivity: 'high',
      scope: { countries: ['IN'] },
      targets: [chat],
    });
  });

  it('prints JSON with versions and who made them, and refuses an unknown format with exit 2', async () => {
    const json = await cli(['rules', 'export', '--format', 'json']);
    const { rules } = JSON.parse(json.out) as { rules: Array<{ id: string; version: number; updatedBy: string; updatedAt: string }> };
    expect(rules.map((r) => [r.id, r.version, r.updatedBy, r.updatedAt])).toEqual([
      [kept, 2, 'U2', '2026-11-25T10:14:00Z'],
      [broken, 1, 'U3', '2026-11-25T10:15:00Z'],
    ]);
    const bad = await cli(['rules', 'export', '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format "xml" is not a format here — use yaml or json');
  });

  it('says there are none when there is no store yet, creating none', async () => {
    const { code, out } = await cli(['rules', 'export'], { DATABASE_URL: `sqlite:${join(dir, 'absent', 'none.db')}` });
    expect(code).toBe(0);
    expect(parse(out)).toEqual({ alerts: [] });
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });
});

describe('waba-pulse check lists both kinds of rule', () => {
  it('the config file rules as read-only, the chat-made ones as serve runs or skips them', async () => {
    const { code, out } = await cli(['check']);
    expect(code).toBe(0);
    expect(out).toContain('✓ alerts[0] nightly: drop on acme-retail (config file, read-only in chat)');
    expect(out).toContain(`✓ chat rule ${kept}: drop on acme-retail → slack C0CHAT (version 2, by U2)`);
    expect(out).toContain(`! chat rule ${broken} (slack C0CHAT) is skipped by serve: account: unknown account "gone-co"`);
    expect(out).toContain('✓ chat-made digests: none');
  });
});

describe('waba-pulse runs --changes', () => {
  it('prints who changed which rule or digest, when, before → after, newest first', async () => {
    const store = await openStore(DATABASE_URL);
    await store.preferences.createDigest(
      { ...chat, accountId: '104729384756102', every: 'daily', at: '09:00', timezone: 'Asia/Kolkata', by: 'phone', createdBy: 'U4' },
      NOW + 60_000,
    );
    await store.close();
    const { code, out } = await cli(['runs', '--changes']);
    expect(code).toBe(0);
    expect(out.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(
        /^2026-11-25 10:16Z {2}create {2}digest [0-9a-f]{8} {2}slack C0CHAT {2}by U4 {2}— made: acme-retail daily at 09:00 Asia\/Kolkata by phone$/,
      ),
      `2026-11-25 10:15Z  create  rule ${broken}  slack C0CHAT  by U3  — made: drop gone-co`,
      `2026-11-25 10:14Z  update  rule ${kept}  slack C0CHAT  by U2  — sensitivity — → high`,
      `2026-11-25 09:15Z  create  rule ${kept}  slack C0CHAT  by U1  — made: drop acme-retail`,
    ]);
  });
});

describe('waba-pulse check lists the chat-made digests beside the config file’s', () => {
  it('each as the scheduler runs it and when next, or why it would not', async () => {
    // After runs --changes above: its daily digest of acme-retail in C0CHAT is in the store.
    const store = await openStore(DATABASE_URL);
    const made = (extra: Record<string, unknown>, by: string) =>
      store.preferences.createDigest(
        { ...chat, accountId: '104729384756102', every: 'daily', at: '08:00', timezone: 'UTC', createdBy: by, ...extra } as never,
        NOW,
      );
    const [daily] = await store.preferences.listSubscriptions(chat);
    const weekly = await made({ every: 'weekly', weekday: 5 }, 'U5');
    const gone = await made({ accountId: '333333333333333' }, 'U6');
    const teams = await made({ platform: 'teams', conversation: '19:ops@thread.v2' }, 'aad-7');
    await store.close();
    const withDigest = join(dir, 'with-digest.yaml');
    writeFileSync(
      withDigest,
      `${JSON.stringify({ ...ACCOUNTS, digests: [{ account: 'acme-retail', every: 'weekly', targets: [{ slack: { channel: 'C0CHAT' } }] }] })}\n`,
    );
    const { code, out } = await cli(['check'], { WABA_PULSE_CONFIG: withDigest });
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines).toContain(
      '✓ digests[0]: acme-retail weekly on Monday at 09:00 Asia/Kolkata → slack C0CHAT; next Mon 30 Nov 09:00 (Asia/Kolkata)',
    );
    expect(lines).toContain(
      `✓ chat digest ${daily!.id}: acme-retail daily at 09:00 Asia/Kolkata by phone → slack C0CHAT; next Thu 26 Nov 09:00 (version 1, by U4)`,
    );
    expect(lines).toContain(
      `! chat digest ${weekly.id} (slack C0CHAT) is not run: digests[0] in the config file posts the weekly digest of that account there`,
    );
    expect(lines).toContain(`! chat digest ${gone.id} (slack C0CHAT) fails when due: account 333333333333333 is no longer in the config`);
    expect(lines).toContain(
      `! chat digest ${teams.id} → teams 19:ops@thread.v2: Microsoft Teams is not set up in this environment: nothing is posted there`,
    );
  });
});
