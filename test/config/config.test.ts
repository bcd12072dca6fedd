import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAccount } from '../../src/config/load.js';
import { accountToken } from '../../src/config/tokens.js';
import { buildConfig, loadConfig } from '../../src/configure.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { thrown } from '../helpers/thrown.js';

const base = {
  accounts: [
    { id: '104729384756102', name: 'acme', token: '${ACME_TOKEN}', timezone: 'Asia/Kolkata' },
    { id: '109876543210987', name: 'globex', tokenEnv: 'GLOBEX_TOKEN', timezone: 'Europe/Berlin' },
  ],
};

function configError(doc: unknown, env: NodeJS.ProcessEnv = {}): ConfigError {
  return thrown(() => buildConfig(doc, env), ConfigError);
}

const TOKEN = 'EAAGm0PBZAsZCnBAKZAbcd1234EfGhIjKlMnOpQrStUvWxYz';

describe('config validation', () => {
  it('loads a good config with defaults', () => {
    const config = buildConfig(base, {});
    expect(config.accounts[0]).toMatchObject({
      id: '104729384756102',
      name: 'acme',
      tokenEnv: 'ACME_TOKEN',
      timezone: 'Asia/Kolkata',
      wabaTimezone: 'America/Los_Angeles',
      settleMs: 7_200_000,
    });
    expect(config.graph).toMatchObject({ apiUrl: 'https://graph.facebook.com', version: 'v23.0', concurrency: 4, callsPerHour: 200 });
  });

  it('names the path and the bad time zone, with a suggestion', () => {
    const doc = structuredClone(base);
    doc.accounts[1]!.timezone = 'Europe/Berln';
    const err = configError(doc);
    expect(err.message).toBe('accounts[1].timezone: unknown time zone "Europe/Berln" — did you mean "Europe/Berlin"?');
    expect(err.exitCode).toBe(2);
  });

  it('refuses a non-numeric WABA id', () => {
    const doc = structuredClone(base);
    doc.accounts[0]!.id = 'acme-123';
    expect(configError(doc).message).toMatch(/^accounts\[0\]\.id: "acme-123" is not a WABA id/);
  });

  it('refuses a literal token without echoing it', () => {
    const doc = structuredClone(base);
    doc.accounts[0]!.token = 'EAAGliteralSecretValue';
    const err = configError(doc);
    expect(err.message).toMatch(/^accounts\[0\]\.token: must be a reference like \$\{ACME_WABA_TOKEN\}/);
    expect(err.message).not.toContain('EAAGliteralSecretValue');
  });

  it.each([
    ['tokenEnv', { tokenEnv: TOKEN, token: undefined }],
    ['token', { token: `\${${TOKEN}}` }],
    ['id', { id: TOKEN }],
  ])('never echoes a token pasted into %s, and names the key instead', (key, pasted) => {
    const doc = structuredClone(base);
    Object.assign(doc.accounts[0]!, pasted);
    const err = configError(doc);
    expect(err.message.startsWith(`accounts[0].${key}: `)).toBe(true);
    for (const line of [err.message, err.hint ?? '', ...err.problems]) expect(line).not.toContain(TOKEN.slice(4, 24));
  });

  it('echoes the bad value of a schema problem and says what to write', () => {
    const rule = { account: 'acme', targets: [{ slack: { channel: 'C1' } }] };
    const problems = (alert: object) => configError({ ...base, alerts: [{ ...rule, ...alert }] }).problems;
    expect(problems({ rateFloor: 90 })).toEqual([
      'alerts[0].rateFloor: "90" is over the maximum, 1 — a rate is a fraction: write 0.9 for 90%',
    ]);
    expect(problems({ minSent: 'abc' })).toEqual(['alerts[0].minSent: "abc" is not a number']);
    expect(problems({ minSent: 2.5 })).toEqual(['alerts[0].minSent: "2.5" is not a whole number']);
    expect(problems({ drillDown: ['phone', 'city'] })).toEqual(['alerts[0].drillDown[1]: "city" is not one of phone, country']);
    expect(problems({ checkEvery: '2m' })).toEqual([
      'alerts[0].checkEvery: "2m" is under 5m for a graph rule — Graph answers half-hourly: use 5m or more, or source: webhooks for minute checks',
    ]);
    // Every problem of the rule at once, not the one a wrong neighbour would hide.
    expect(problems({ checkEvery: '2m', remindEvery: '45d' })).toEqual([
      'alerts[0].remindEvery: "45d" is out of range — write e.g. 30m, 2h or 1d, from 15m to 30d',
      'alerts[0].checkEvery: "2m" is under 5m for a graph rule — Graph answers half-hourly: use 5m or more, or source: webhooks for minute checks',
    ]);
    expect(problems({ checkEvery: '30s' })).toEqual([
      'alerts[0].checkEvery: "30s" is out of range — write e.g. 30m, 2h or 1d, from 1m to 1d (5m or more for a graph rule)',
    ]);
  });

  it('asks for a token when none is given', () => {
    const doc = { accounts: [{ id: '104729384756102', name: 'acme' }] };
    expect(configError(doc).message).toMatch(/^accounts\[0\]\.token: missing/);
  });

  it('catches unknown keys, duplicate names and references to unknown accounts', () => {
    expect(configError({ ...base, acounts: [] }).message).toMatch(/unknown key "acounts"/);
    const dup = structuredClone(base);
    dup.accounts[1]!.name = 'ACME';
    expect(configError(dup).message).toMatch(/^accounts\[1\]\.name: "ACME" is already used by accounts\[0\]/);
    const digest = { ...base, digests: [{ account: 'acm', targets: [{ slack: { channel: 'C1' } }] }] };
    expect(configError(digest).message).toBe('digests[0].account: unknown account "acm" — did you mean "acme"?');
  });

  it('collects every problem for check, and counts them in the one line', () => {
    const doc = { accounts: [{ id: 'x', name: 'a b', token: '${T}', timezone: 'Mars/Olympus' }] };
    const err = configError(doc);
    expect(err.problems).toHaveLength(3);
    expect(err.message).toMatch(/\(and 2 more problems: run waba-pulse check\)$/);
  });

  it('validates environment settings', () => {
    expect(configError(base, { CHART_RENDERER: 'svg' }).message).toBe('env.CHART_RENDERER: "svg" is not a chart renderer');
    expect(configError(base, { GRAPH_API_VERSION: '23' }).message).toBe('env.GRAPH_API_VERSION: "23" is not a Graph API version');
    expect(configError(base, { GRAPH_API_URL: 'ftp://x' }).message).toBe('env.GRAPH_API_URL: "ftp://x" is not an http(s) URL');
    expect(buildConfig(base, { GRAPH_API_URL: 'http://127.0.0.1:9/', GRAPH_API_VERSION: 'v21.0' }).graph).toMatchObject({
      apiUrl: 'http://127.0.0.1:9',
      version: 'v21.0',
    });
  });

  it('reads tokens only from the environment, naming a missing variable', () => {
    const config = buildConfig(base, {});
    const err = thrown(() => accountToken(config.accounts[0]!, {}), ConfigError);
    expect(err.message).toBe('accounts[0].token: environment variable ACME_TOKEN is not set (account "acme")');
    expect(accountToken(config.accounts[0]!, { ACME_TOKEN: 'abcdefgh' })).toBe('abcdefgh');
  });

  it('finds accounts by id or name and suggests on a typo', () => {
    const config = buildConfig(base, {});
    expect(findAccount(config, '109876543210987').name).toBe('globex');
    expect(findAccount(config, 'GLOBEX').name).toBe('globex');
    expect(() => findAccount(config, 'globx')).toThrow(UsageError);
    expect(() => findAccount(config, 'globx')).toThrow('unknown account "globx" — did you mean "globex"?');
  });
});

describe('config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-config-'));

  it('reports a missing file', () => {
    expect(() => loadConfig({}, join(dir, 'nope.yaml'))).toThrow(/config file .*nope\.yaml not found/);
  });

  it('reports malformed YAML with line and column', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'accounts:\n  - id: "1234567"\n    name: [unclosed\n');
    expect(() => loadConfig({}, path)).toThrow(/bad\.yaml:\d+:\d+: malformed YAML/);
  });

  it('keeps long numeric ids exact when quoted and refuses them when YAML rounds them', () => {
    const path = join(dir, 'ids.yaml');
    writeFileSync(path, 'accounts:\n  - id: 123456789012345678\n    name: big\n    token: ${T}\n');
    expect(() => loadConfig({}, path)).toThrow(/lost precision as a YAML number — quote the id/);
    writeFileSync(path, 'accounts:\n  - id: "123456789012345678"\n    name: big\n    token: ${T}\n');
    expect(loadConfig({}, path).accounts[0]!.id).toBe('123456789012345678');
  });

  it('loads the example config shipped in the repository', async () => {
    const config = loadConfig({}, new URL('../../waba-pulse.example.yaml', import.meta.url).pathname);
    expect(config.accounts.map((a) => a.name)).toEqual(['acme-retail', 'globex-support', 'initech-alerts']);
    expect(config.digests.length).toBeGreaterThan(0);
    expect(config.alerts.length).toBeGreaterThan(0);
    // Its digests' and rules' channels may see their accounts: chat answers there out of the box.
    const { visibleAccounts } = await import('../../src/config/access.js');
    const { configDigests } = await import('../../src/jobs/digests.js');
    for (const d of configDigests(config))
      expect(visibleAccounts(config, { ...d.target, user: 'U1' }).map((a) => a.id)).toContain(d.accountId);
  });
});

describe('health alert rules (kind: health)', () => {
  const accounts = [{ id: '104729384756102', name: 'acme', token: '${T}' }];
  const targets = [{ slack: { channel: 'C1' } }];

  it('take an account, targets and a reminder interval, checked every minute', () => {
    const config = buildConfig({ accounts, alerts: [{ kind: 'health', account: 'acme', remindEvery: '2h', targets }] }, {});
    expect(config.alerts[0]).toEqual({
      kind: 'health',
      account: 'acme',
      remindEvery: 7_200_000,
      checkEvery: 60_000,
      targets: [{ platform: 'slack', conversation: 'C1' }],
    });
    // A rule without kind is a drop rule, as before.
    expect(buildConfig({ accounts, alerts: [{ account: 'acme', targets }] }, {}).alerts[0]).toMatchObject({
      kind: 'drop',
      source: 'graph',
    });
  });

  it("refuse a drop rule's settings by name, and an unknown kind, each in one line", () => {
    const minSent = thrown(
      () => buildConfig({ accounts, alerts: [{ kind: 'health', account: 'acme', minSent: 10, targets }] }, {}),
      ConfigError,
    );
    expect(minSent.message).toBe(
      'alerts[0].minSent: a health rule takes no minSent — it judges the health webhooks every minute; remove minSent, or drop kind: health for a delivery rule',
    );
    const kind = thrown(() => buildConfig({ accounts, alerts: [{ kind: 'healthy', account: 'acme', targets }] }, {}), ConfigError);
    expect(kind.message).toBe('alerts[0].kind: "healthy" is not an alert kind — use drop (the default) or health');
  });

  it('need WHATSAPP_APP_SECRET, as rules on status webhooks do', async () => {
    const { webhookSettings } = await import('../../src/whatsapp/settings.js');
    const config = buildConfig({ accounts, alerts: [{ kind: 'health', account: 'acme', targets }] }, {});
    expect(thrown(() => webhookSettings(config), ConfigError).message).toMatch(
      /1 rule\(s\) judge webhooks .* WHATSAPP_APP_SECRET is not set/,
    );
  });
});
