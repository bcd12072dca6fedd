import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { sampleAccounts } from '../src/sandbox/accounts.js';
import { type RunningSandbox, startSandbox } from '../src/sandbox/server.js';
import { capturedOutput } from './helpers/output.js';

const NOW = Date.UTC(2026, 10, 25, 10, 15);
// The sandbox accepts this token here; it must never be printed.
const SECRET = 'EAAG-sandbox-SECRET-7f3a9c';
/** A Meta-shaped app secret: 32 hexadecimal characters. */
const APP_SECRET = '71c0e2a4b6d8f0123456789abcdef012';
const dir = mkdtempSync(join(tmpdir(), 'waba-pulse-cli-'));
let sandbox: RunningSandbox;

const CONFIG = `
accounts:
  - id: "104729384756102"
    name: acme-retail
    displayName: Acme Retail
    token: \${ACME_TOKEN}
    timezone: Asia/Kolkata
  - id: "109876543210987"
    name: globex-support
    displayName: Globex Support
    token: \${GLOBEX_TOKEN}
    timezone: Europe/Berlin
  - id: "112233445566778"
    name: initech-alerts
    tokenEnv: INITECH_TOKEN
    timezone: America/New_York
`;

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

let configPath: string;
beforeAll(async () => {
  sandbox = await startSandbox({ accounts: sampleAccounts(NOW), now: () => NOW, token: SECRET, callsPerHour: 10_000 });
  configPath = writeConfig('waba-pulse.yaml', CONFIG);
});
afterAll(() => sandbox.close());

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    WABA_PULSE_CONFIG: configPath,
    GRAPH_API_URL: sandbox.url,
    ACME_TOKEN: SECRET,
    GLOBEX_TOKEN: SECRET,
    INITECH_TOKEN: SECRET,
    ...extra,
  };
}

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const { stdout, stderr, out, err } = capturedOutput();
  const code = await runCli(args, { stdout, stderr, env: env(extraEnv), cwd: dir, now: () => NOW });
  expect(out() + err()).not.toContain(SECRET);
  return { code, out: out(), err: err() };
}

describe('waba-pulse report', () => {
  it('prints a text report for yesterday by phone number, with the incident', async () => {
    const { code, out } = await cli(['report', '--account', 'acme-retail', '--from', '2026-11-24', '--to', '2026-11-24', '--by', 'phone']);
    expect(code).toBe(0);
    expect(out).toContain('Acme Retail — WhatsApp delivery, Tue 24 Nov 2026 (Asia/Kolkata)');
    expect(out).toMatch(/Sent [\d,]+ · Delivered [\d,]+ · Delivery rate \d+\.\d%/);
    expect(out).toContain('Delivery on +1 631 555 1000 fell to');
    expect(out).toContain('By phone number:');
  });

  it('prints the JSON contract', async () => {
    const { code, out } = await cli(['report', '--account', '104729384756102', '--last', '7d', '--by', 'country', '--format', 'json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.account).toEqual({ id: '104729384756102', name: 'acme-retail', displayName: 'Acme Retail' });
    expect(json.range).toEqual({ start: '2026-11-18T00:00:00+05:30', end: '2026-11-25T00:00:00+05:30', timezone: 'Asia/Kolkata' });
    expect(json.granularity).toBe('day');
    expect(json.series).toHaveLength(7);
    const sent = json.series.reduce((s: number, p: { sent: number }) => s + p.sent, 0);
    expect(json.totals.sent).toBe(sent);
    expect(json.totals.deliveryRate).toBeCloseTo(json.totals.delivered / json.totals.sent, 6);
    for (const p of json.series)
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['start', 'end', 'sent', 'delivered', 'deliveryRate']));
    expect(json.breakdown.by).toBe('country');
    expect(json.breakdown.items.map((i: { key: string }) => i.key)).toEqual(['IN', 'US', 'BR', 'ID']);
    expect(json.comparisons.previousPeriod.range.start).toBe('2026-11-11T00:00:00+05:30');
    const drop = json.anomalies.find((a: { scope: { key: string } }) => a.scope.key === 'IN');
    expect(drop).toMatchObject({ kind: 'delivery_drop', severity: expect.stringMatching(/warning|critical/) });
    // Every time in the document in the account's zone, when it was made included.
    expect(json.freshness.generatedAt).toBe('2026-11-25T15:45:00+05:30');
    for (const a of json.anomalies)
      expect(Object.keys(a)).toEqual(
        expect.arrayContaining(['kind', 'start', 'end', 'scope', 'observed', 'expected', 'severity', 'explanation']),
      );
  });

  it('clamps a range partly past the one-year lookback: the report and its title start on the first day Graph serves', async () => {
    const args = ['report', '--account', 'acme-retail', '--from', '2025-11-01', '--to', '2025-12-05'];
    const json = await cli([...args, '--format', 'json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    // NOW is 25 Nov 2026 15:45 in Kolkata: a year back is 25 Nov 2025 15:45, so the first whole day is the 26th.
    expect(report.range.start).toBe('2025-11-26T00:00:00+05:30');
    expect(report.series[0].start).toBe('2025-11-26T00:00:00+05:30');
    expect(report.notes).toContain('Start moved to 2025-11-26: Graph keeps one year of messaging analytics.');
    // The ten days before are past the lookback too: no comparison with zeros Graph cannot serve.
    expect(report.comparisons.previousPeriod).toBeNull();
    expect(report.notes).toContain("Not compared with the previous period: it starts before Graph's one-year lookback.");
    const text = await cli(args);
    expect(text.out.split('\n')[0]).toBe('Acme Retail — WhatsApp delivery, 26 Nov – 5 Dec 2025 (Asia/Kolkata)');
    expect(text.out).not.toContain('vs previous period');
  });

  it('fills quiet half hours with zeros and a null rate', async () => {
    const { code, out } = await cli([
      'report',
      '--account',
      'initech-alerts',
      '--from',
      '2026-11-23',
      '--to',
      '2026-11-23',
      '--granularity',
      'half_hour',
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.series).toHaveLength(48);
    const empty = json.series.filter((p: { sent: number }) => p.sent === 0);
    expect(empty.length).toBeGreaterThan(0);
    expect(empty.every((p: { deliveryRate: null }) => p.deliveryRate === null)).toBe(true);
  });

  it("marks today's newest buckets as settling", async () => {
    const { out } = await cli(['report', '--account', 'acme-retail', '--last', '6h', '--format', 'json']);
    const json = JSON.parse(out);
    expect(json.series.at(-1).settled).toBe(false);
    expect(json.series[0].settled).toBe(true);
    expect(json.freshness.unsettledBuckets).toBeGreaterThan(0);
  });

  it('writes chart.png, summary.txt and report.json with --out', async () => {
    const out = join(dir, 'out-report');
    const { code, err } = await cli(['report', '--account', 'globex-support', '--last', '7d', '--out', out]);
    expect(code).toBe(0);
    expect(err).toContain('chart.png');
    expect(readdirSync(out).sort()).toEqual(['chart.png', 'report.json', 'summary.txt']);
    expect(readFileSync(join(out, 'chart.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).account.name).toBe('globex-support');
  });
});

describe('waiting for the call budget', () => {
  it("says on stderr how long it waits and why, past 80% of a WABA's budget", async () => {
    // Graph reports 80% of this WABA's budget used (100 calls an hour, 80 spent): calls are paced,
    // at our own budget's interval (7,200 an hour: 0.5 s apart), and the waits add up past a second.
    const busy = await startSandbox({ accounts: sampleAccounts(NOW), now: () => NOW, token: SECRET, callsPerHour: 100 });
    try {
      const config = writeConfig('paced.yaml', `${CONFIG}graph:\n  callsPerHour: 7200\n`);
      for (let i = 0; i < 80; i++)
        await fetch(`${busy.url}/v23.0/104729384756102?fields=id`, { headers: { authorization: `Bearer ${SECRET}` } });
      // By phone number: the numbers' requests go out after the account's answer has said how busy it is.
      const { code, err } = await cli(['report', '--account', 'acme-retail', '--last', '7d', '--by', 'phone'], {
        WABA_PULSE_CONFIG: config,
        GRAPH_API_URL: busy.url,
      });
      expect(code).toBe(0);
      // One line, not one per call: the command's clock stands still here.
      expect(err).toMatch(
        /^waba-pulse: waiting 1 s before the next Graph call for acme-retail: Graph reports \d+% of its rate limit used; calls are paced past 80%\.\n$/,
      );
    } finally {
      await busy.close();
    }
  });
});

describe('--version', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(await cli(['--version'])).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });
});

describe('bad input exits 2 with one line naming the value', () => {
  const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    [
      'missing config',
      ['report', '--account', 'acme-retail'],
      { WABA_PULSE_CONFIG: join(dir, 'absent.yaml') },
      /config file .*absent\.yaml not found/,
    ],
    ['malformed config', ['report', '--account', 'acme-retail'], { WABA_PULSE_CONFIG: 'BAD_YAML' }, /malformed YAML/],
    ['unknown account', ['report', '--account', 'acme-retial'], {}, /unknown account "acme-retial" — did you mean "acme-retail"\?/],
    [
      'unknown time zone',
      ['report', '--account', 'acme-retail'],
      { WABA_PULSE_CONFIG: 'BAD_TZ' },
      /accounts\[0\]\.timezone: unknown time zone "Asia\/Kolkatta" — did you mean "Asia\/Kolkata"\?/,
    ],
    [
      '--from after --to',
      ['report', '--account', 'acme-retail', '--from', '2026-11-20', '--to', '2026-11-10'],
      {},
      /--from 2026-11-20 is not before --to 2026-11-10/,
    ],
    ['a range in the future', ['report', '--account', 'acme-retail', '--from', '2027-01-01', '--to', '2027-01-31'], {}, /is in the future/],
    ['unknown granularity', ['report', '--account', 'acme-retail', '--granularity', 'weekly'], {}, /unknown granularity "weekly"/],
    [
      'non-numeric WABA id',
      ['report', '--account', 'acme-retail'],
      { WABA_PULSE_CONFIG: 'BAD_ID' },
      /accounts\[0\]\.id: "acme" is not a WABA id/,
    ],
    [
      'missing token variable',
      ['report', '--account', 'acme-retail'],
      { ACME_TOKEN: '' },
      /accounts\[0\]\.token: environment variable ACME_TOKEN is not set/,
    ],
    ['bad date', ['report', '--account', 'acme-retail', '--from', 'yesterday-ish'], {}, /--from "yesterday-ish" is not a date/],
    ['unknown format', ['report', '--account', 'acme-retail', '--format', 'xml'], {}, /unknown --format "xml"/],
    ['unknown option', ['report', '--acount', 'acme-retail'], {}, /unknown option '--acount'/],
    [
      'a flag given twice',
      ['report', '--account', 'acme-retail', '--by', 'phone', '--by', 'country'],
      {},
      /^waba-pulse: --by is given twice \("phone", then "country"\) — give it once\./,
    ],
    ['missing --account', ['report'], {}, /--account is required/],
    [
      'a range wholly past the one-year lookback',
      ['report', '--account', 'acme-retail', '--from', '2022-01-01', '--to', '2022-04-27'],
      {},
      /the range ends 2022-04-27, before Graph's one-year lookback: the oldest day Graph still serves is 2025-11-25\. Pick a range after 2025-11-25\./,
    ],
    [
      'half-hourly beyond 31 days',
      ['report', '--account', 'acme-retail', '--last', '365d', '--granularity', 'half_hour'],
      {},
      /half-hourly over 365 days is too fine/,
    ],
    [
      'a YAML bomb',
      ['report', '--account', 'acme-retail'],
      { WABA_PULSE_CONFIG: 'BOMB' },
      /bomb\.yaml uses YAML aliases \(\*name\) more than 100 times/,
    ],
    [
      'a WABA id past 2^64',
      ['report', '--account', 'acme-retail'],
      { WABA_PULSE_CONFIG: 'HUGE_ID' },
      /accounts\[0\]\.id: "18446744073709551616" is not a WABA id/,
    ],
    [
      'a megabyte of account name',
      ['report', '--account', `x${'y'.repeat(1_000_000)}`],
      {},
      /^waba-pulse: unknown account "xy{98}…"\. Configured accounts/,
    ],
  ];

  beforeAll(() => {
    writeConfig('bad-yaml.yaml', 'accounts:\n  - id: "1"\n    name: [oops\n');
    writeConfig('bad-tz.yaml', CONFIG.replace('Asia/Kolkata', 'Asia/Kolkatta'));
    writeConfig('bad-id.yaml', CONFIG.replace('"104729384756102"', 'acme'));
    writeConfig('huge-id.yaml', CONFIG.replace('"104729384756102"', '"18446744073709551616"'));
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
      ['h', 'g'],
    ])
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    writeConfig('bomb.yaml', `${laughs.join('\n')}\n${CONFIG}`);
  });

  for (const [label, args, extra, pattern] of cases) {
    it(label, async () => {
      const paths: Record<string, string> = {
        BAD_YAML: join(dir, 'bad-yaml.yaml'),
        BAD_TZ: join(dir, 'bad-tz.yaml'),
        BAD_ID: join(dir, 'bad-id.yaml'),
        HUGE_ID: join(dir, 'huge-id.yaml'),
        BOMB: join(dir, 'bomb.yaml'),
      };
      const config = extra.WABA_PULSE_CONFIG;
      const { code, out, err } = await cli(args, { ...extra, ...(config && paths[config] ? { WABA_PULSE_CONFIG: paths[config] } : {}) });
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err).toMatch(pattern);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).toMatch(/^waba-pulse: /);
      expect(err).not.toMatch(/\n\s+at /); // no stack trace without --debug
    });
  }
});

describe('Graph failures exit 1 naming the account, what Graph said and what to do', () => {
  it('expired token', async () => {
    const { code, err } = await cli(['report', '--account', 'acme-retail'], { ACME_TOKEN: 'sandbox-expired-token' });
    expect(code).toBe(1);
    expect(err).toMatch(
      /^waba-pulse: account "acme-retail" \(104729384756102\): Graph refused the access token \(#190\/463, "Error validating access token: Session has expired.*", fbtrace_id [\w-]+\)\. Create a new access token .* and update ACME_TOKEN\.\n$/,
    );
  });

  it('missing permission', async () => {
    const { code, err } = await cli(['report', '--account', 'globex-support'], { GLOBEX_TOKEN: 'sandbox-no-permission-token' });
    expect(code).toBe(1);
    expect(err).toMatch(
      /account "globex-support" \(109876543210987\): the access token lacks a permission .*#200.*whatsapp_business_management/,
    );
  });

  it('Graph down', async () => {
    const { code, err } = await cli(['report', '--account', 'acme-retail'], { GRAPH_API_URL: 'http://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(err).toMatch(
      /account "acme-retail" \(104729384756102\): cannot reach Graph at 127\.0\.0\.1:1 \(ECONNREFUSED\)\. Check the network and GRAPH_API_URL/,
    );
  });

  it('shows a stack trace only with --debug, still without the token', async () => {
    const { code, err } = await cli(['--debug', 'report', '--account', 'acme-retail'], { GRAPH_API_URL: 'http://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(err).toMatch(/\n\s+at /);
    // The error's stable code, as the README's table names it.
    expect(err).toMatch(/\nwaba-pulse: account "acme-retail".*\ncode: E_GRAPH_UNAVAILABLE\n/);
    expect(err).not.toContain(SECRET);
  });
});

describe('duplicated buckets from Graph', () => {
  it('counts an exact duplicate once and says so; refuses one bucket answered twice differently, exit 1', async () => {
    const { startFakeGraph } = await import('./fakes/graph.js');
    const start = Date.parse('2026-11-20T00:00:00+05:30') / 1000;
    const point = { start, end: start + 1800, sent: 100, delivered: 97 };
    let answer = [point, point];
    const graph = await startFakeGraph((req) => {
      const from = Number(/start\((\d+)\)/.exec(req.fields!)![1]);
      const to = Number(/end\((\d+)\)/.exec(req.fields!)![1]);
      const inRange = answer.filter((p) => p.start >= from && p.start < to);
      return { body: { analytics: { phone_numbers: [], granularity: 'HALF_HOUR', data_points: inRange }, id: '104729384756102' } };
    });
    try {
      const args = [
        'report',
        '--account',
        'acme-retail',
        '--from',
        '2026-11-20',
        '--to',
        '2026-11-20',
        '--granularity',
        'half_hour',
        '--format',
        'json',
      ];
      const exact = await cli(args, { GRAPH_API_URL: graph.url });
      expect(exact.code).toBe(0);
      const json = JSON.parse(exact.out) as { totals: { sent: number }; notes: string[] };
      expect(json.totals.sent).toBe(100);
      expect(json.notes).toContain('1 duplicated bucket was counted once.');
      answer = [point, { ...point, delivered: 90 }];
      const conflicting = await cli(args, { GRAPH_API_URL: graph.url });
      expect(conflicting.code).toBe(1);
      expect(conflicting.err).toBe(
        'waba-pulse: bucket 2026-11-19T18:30:00Z appears twice with different counts (100/97 and 100/90). The source answered the same bucket twice; fetch the range again.\n',
      );
    } finally {
      await graph.close();
    }
  });
});

describe('waba-pulse check', () => {
  // A chat platform set up, as serve needs one (or status webhooks) to start.
  const check = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    cli(args, { SLACK_BOT_TOKEN: 'xoxb-check-bot', SLACK_SIGNING_SECRET: 'check-signing', ...extra });

  it('refuses what serve refuses with nothing to serve, and says which targets nothing will reach', async () => {
    const { code, out } = await cli(['check'], {
      WABA_PULSE_CONFIG: writeConfig(
        'targets.yaml',
        `${CONFIG}digests:\n  - { account: acme-retail, targets: [{ teams: { conversation: "19:x@thread.tacv2" } }] }\n`,
      ),
    });
    expect(code).toBe(2);
    expect(out).toContain('✗ env: nothing to serve: no chat platform is configured — set SLACK_BOT_TOKEN');
    expect(out).toContain(
      '! digests[0] → teams 19:x@thread.tacv2: Microsoft Teams is not set up in this environment: nothing is posted there',
    );
    const served = await cli(['serve'], { WABA_PULSE_CONFIG: join(dir, 'targets.yaml') });
    expect(served).toMatchObject({ code: 2, err: expect.stringContaining('nothing to serve: no chat platform is configured') });
  });

  it('prints one problem in the same list format as several, with the value and the fix', async () => {
    const path = writeConfig(
      'one-problem.yaml',
      `${CONFIG}alerts:\n  - { account: acme-retail, checkEvery: 2m, targets: [{ slack: { channel: C1 } }] }\n`,
    );
    const { code, out } = await check(['check'], { WABA_PULSE_CONFIG: path });
    expect(code).toBe(2);
    expect(out).toBe(
      `✗ 1 problem in the config:\n  alerts[0].checkEvery: "2m" is under 5m for a graph rule — Graph answers half-hourly: use 5m or more, or source: webhooks for minute checks — fix ${path}\n`,
    );
  });

  it('passes a good config and environment', async () => {
    const { code, out } = await check(['check']);
    expect(code).toBe(0);
    expect(out).toContain('3 account(s)');
    expect(out).toContain('✓ acme-retail: token from ACME_TOKEN');
  });

  it('says whether status webhooks are on, and refuses what serve would: a secret without a verify token, webhook rules without either', async () => {
    const path = writeConfig(
      'webhook-rules.yaml',
      `${CONFIG}alerts:
  - account: acme-retail
    source: webhooks
    targets: [{ slack: { channel: C0OPS } }]
`,
    );
    const on = await check(['check'], { WABA_PULSE_CONFIG: path, WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: 'verify-2d' });
    expect(on.code).toBe(0);
    expect(on.out).toContain(
      '✓ status webhooks: on, at /whatsapp/webhook on the serve port (signatures checked with WHATSAPP_APP_SECRET); 1 alert rule(s) judge them',
    );
    expect(on.out).not.toContain(APP_SECRET);
    const half = await check(['check'], { WABA_PULSE_CONFIG: path, WHATSAPP_APP_SECRET: APP_SECRET });
    expect(half.code).toBe(2);
    expect(half.out).toContain(
      '✗ env.WHATSAPP_VERIFY_TOKEN: is not set, but WHATSAPP_APP_SECRET is — set it to the verify token typed into the webhook settings',
    );
    const none = await check(['check'], { WABA_PULSE_CONFIG: path });
    expect(none.code).toBe(2);
    expect(none.out).toContain('✗ alerts: 1 rule(s) judge webhooks (source: webhooks or kind: health), but WHATSAPP_APP_SECRET is not set');
    // Without webhook rules, no variables is simply off: nothing said.
    const off = await check(['check']);
    expect(off.out).not.toContain('status webhooks');
  });

  it("refuses what serve refuses, in the same line: a DATABASE_URL that is not PostgreSQL or SQLite, an app secret shorter than Meta's", async () => {
    const mysql = { DATABASE_URL: 'mysql://waba:hunter2-db-pass@db.internal:3306/waba' };
    const refusedUrl =
      'waba-pulse: env.DATABASE_URL: "mysql://***@db.internal:3306/waba" is not a PostgreSQL or SQLite URL. Use postgres://user@host:5432/db, or sqlite:./data/waba-pulse.db.\n';
    const served = await check(['serve'], mysql);
    expect([served.code, served.err]).toEqual([2, refusedUrl]);
    // check says the same in its list of problems.
    const checked = await check(['check'], mysql);
    expect([checked.code, checked.out]).toEqual([
      2,
      '✗ 1 problem in the config:\n  env.DATABASE_URL: "mysql://***@db.internal:3306/waba" is not a PostgreSQL or SQLite URL — use postgres://user@host:5432/db, or sqlite:./data/waba-pulse.db\n',
    ]);
    expect(served.out + served.err + checked.out + checked.err).not.toContain('hunter2-db-pass');
    expect((await check(['check'], { DATABASE_URL: 'sqlite:' })).code).toBe(2);
    expect((await check(['check'], { DATABASE_URL: 'postgres://waba@127.0.0.1:9/waba' })).code).toBe(0);

    const short = { WHATSAPP_APP_SECRET: 'x', WHATSAPP_VERIFY_TOKEN: 'verify-2d' };
    const refusedSecret =
      "env.WHATSAPP_APP_SECRET: is 1 character long, shorter than a Meta app secret (32 hexadecimal characters) — set it to the Meta app's secret (App settings → Basic → App secret)";
    const checkedSecret = await check(['check'], short);
    expect(checkedSecret.code).toBe(2);
    expect(checkedSecret.out).toContain(`✗ ${refusedSecret}`);
    const servedSecret = await cli(['serve'], short);
    expect([servedSecret.code, servedSecret.err]).toEqual([
      2,
      "waba-pulse: env.WHATSAPP_APP_SECRET: is 1 character long, shorter than a Meta app secret (32 hexadecimal characters). Set it to the Meta app's secret (App settings → Basic → App secret).\n",
    ]);
    expect((await check(['check'], { ...short, WHATSAPP_APP_SECRET: APP_SECRET.slice(1) })).out).toContain('is 31 characters long');
  });

  it('says when each configured digest next goes out, to each target', async () => {
    const path = writeConfig(
      'digests.yaml',
      `${CONFIG}digests:
  - account: acme-retail
    at: "07:30"
    by: country
    targets: [{ slack: { channel: C0MORNING } }, { teams: { conversation: "19:ops@thread.tacv2" } }]
  - account: globex-support
    every: weekly
    day: fri
    at: "16:00"
    timezone: America/Chicago
    targets: [{ slack: { channel: C0WEEKLY } }]
`,
    );
    const { code, out } = await check(['check'], { WABA_PULSE_CONFIG: path });
    expect(code).toBe(0);
    expect(out).toContain('3 account(s), 2 digest(s)');
    // NOW is Wed 25 Nov 10:15 UTC = 15:45 in Kolkata: today's 07:30 is past, so tomorrow.
    expect(out).toContain(
      '✓ digests[0]: acme-retail daily at 07:30 Asia/Kolkata by country → slack C0MORNING; next Thu 26 Nov 07:30 (Asia/Kolkata)',
    );
    expect(out).toContain(
      '✓ digests[0]: acme-retail daily at 07:30 Asia/Kolkata by country → teams 19:ops@thread.tacv2; next Thu 26 Nov 07:30 (Asia/Kolkata)',
    );
    expect(out).toContain(
      '✓ digests[1]: globex-support weekly on Friday at 16:00 America/Chicago → slack C0WEEKLY; next Fri 27 Nov 16:00 (America/Chicago)',
    );
  });

  it('lists every problem of a bad config', async () => {
    const path = writeConfig('many-problems.yaml', 'accounts:\n  - id: x\n    name: "a b"\n    token: ${T}\n    timezone: Mars/Olympus\n');
    const { code, out } = await check(['check'], { WABA_PULSE_CONFIG: path });
    expect(code).toBe(2);
    expect(out).toContain('✗ 3 problems in the config:');
    expect(out).toContain('accounts[0].id: "x" is not a WABA id');
    expect(out).toContain('accounts[0].timezone: unknown time zone "Mars/Olympus"');
  });

  it('names missing token variables', async () => {
    const { code, out } = await check(['check'], { INITECH_TOKEN: '' });
    expect(code).toBe(2);
    expect(out).toContain('✗ accounts[2].token: environment variable INITECH_TOKEN is not set');
  });

  it('--online says which tokens Graph refuses and why', async () => {
    const { code, out } = await check(['check', '--online'], { GLOBEX_TOKEN: 'sandbox-expired-token' });
    expect(code).toBe(1);
    expect(out).toContain('✓ acme-retail (104729384756102): Graph accepted the token');
    expect(out).toMatch(/✗ account "globex-support" \(109876543210987\): Graph refused the access token \(#190\/463/);
  });

  it('--online tries the tokens it has even when the rest is not ready to serve (exit 2 for the rest)', async () => {
    const { code, out } = await cli(['check', '--online'], { INITECH_TOKEN: '' });
    expect(code).toBe(2);
    expect(out).toContain('✗ accounts[2].token: environment variable INITECH_TOKEN is not set');
    expect(out).toContain('✗ env: nothing to serve: no chat platform is configured');
    expect(out).toContain('✓ acme-retail (104729384756102): Graph accepted the token');
    expect(out).toContain('✓ globex-support (109876543210987): Graph accepted the token');
    expect(out).not.toContain('initech-alerts (');
  });
});

describe('waba-pulse demo', () => {
  it('writes a chart, a summary and the JSON for every sample account', { timeout: 90_000 }, async () => {
    const out = join(dir, 'demo');
    const { code, out: stdout } = await cli(['demo', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toContain('Acme Retail (Asia/Kolkata)');
    expect(stdout).toMatch(/Done: \d+ Graph requests/);
    for (const account of ['acme-retail', 'globex-support', 'initech-alerts']) {
      for (const period of ['daily', 'weekly']) {
        expect(readdirSync(join(out, account, period)).sort()).toEqual(['chart.png', 'failures.png', 'report.json', 'summary.txt']);
      }
    }
    const daily = JSON.parse(readFileSync(join(out, 'acme-retail', 'daily', 'report.json'), 'utf8'));
    expect(
      daily.anomalies.some((a: { kind: string; scope: { key: string } }) => a.kind === 'delivery_drop' && a.scope.key === '16315551000'),
    ).toBe(true);
    // The console lists them worst first, the headline incident among them, and counts the rest.
    const listed = stdout.split('Acme Retail (Asia/Kolkata)')[1]!.split('weekly digest')[0]!;
    const first = /\[(critical|warning)\] (.*)/.exec(listed)!;
    expect(first[2]).toBe(daily.anomalies[0].explanation);
    expect(daily.anomalies[0].scope.key).toBe('16315551000');
    if (daily.anomalies.length > 3)
      expect(listed).toContain(`…and ${daily.anomalies.length - 3} more in ${join(out, 'acme-retail', 'daily', 'summary.txt')}`);
    const globex = JSON.parse(readFileSync(join(out, 'globex-support', 'daily', 'report.json'), 'utf8'));
    expect(
      globex.anomalies.some((a: { kind: string; scope: { key: string } }) => a.kind === 'volume_drop' && a.scope.key === '4930555101'),
    ).toBe(true);
    // Why messages failed, from the sandbox's signed status webhooks of the day, counted once each:
    // as many `sent` statuses as Graph counts sent messages, and the hour of held-back marketing.
    expect(stdout).toMatch(
      /status webhooks: [\d,]+ statuses of yesterday's messages in [\d,]+ signed notifications \(\d+ sent twice, counted once\)/,
    );
    expect(daily.failures.sent).toBe(daily.totals.sent);
    expect(daily.failures.byCode.map((c: { code: number }) => c.code)).toContain(131049);
    expect(daily.failures.byCode[0]).toMatchObject({
      code: 131026,
      title: expect.stringMatching(/^Undeliverable/),
      advice: expect.any(String),
    });
    expect(daily.failures.byScope.by).toBe('phone');
    // Initech's marketing burst, as the README tells it; said once, though its one number carries all of it.
    const initech = JSON.parse(readFileSync(join(out, 'initech-alerts', 'daily', 'report.json'), 'utf8'));
    expect(initech.anomalies.map((a: { kind: string; scope: { kind: string } }) => `${a.kind} ${a.scope.kind}`)).toEqual([
      'volume_spike account',
    ]);
    // The weekly digest's failures cover only yesterday (the demo sends yesterday's webhooks):
    // said where they are shown, each figure named by its source, the unplaceable numbers as such.
    const weekly = JSON.parse(readFileSync(join(out, 'acme-retail', 'weekly', 'report.json'), 'utf8'));
    expect(weekly.failures.since).toBe(daily.range.start);
    expect(weekly.notes.join(' ')).not.toMatch(/Failure reasons cover only/);
    const summary = readFileSync(join(out, 'acme-retail', 'weekly', 'summary.txt'), 'utf8');
    expect(summary).toMatch(/^Sent [\d,]+ · Delivered [\d,]+ · Delivery rate [\d.]+% \(Graph analytics\)$/m);
    expect(summary).toMatch(
      /^Why messages failed \(status webhooks, only since Tue 24 Nov 00:00\): [\d,]+ failed, [\d.]+% of the [\d,]+ messages the webhooks saw sent$/m,
    );
    expect(summary).not.toContain('Unknown Region');
    expect(summary).not.toContain('Top movers');
    // The digests are the sandbox config's: daily by phone number, weekly by country.
    expect(JSON.parse(readFileSync(join(out, 'acme-retail', 'weekly', 'report.json'), 'utf8')).breakdown.by).toBe('country');
    expect(daily.breakdown.by).toBe('phone');
    // Health, cost and templates of each account's week, composed as `health` and `report --view` compose them.
    for (const account of ['acme-retail', 'globex-support', 'initech-alerts'])
      expect(readdirSync(join(out, account, 'account')).sort()).toEqual([
        'cost.json',
        'cost.txt',
        'health.json',
        'health.txt',
        'templates.json',
        'templates.txt',
      ]);
    const health = JSON.parse(readFileSync(join(out, 'acme-retail', 'account', 'health.json'), 'utf8'));
    expect(health.events.map((e: { event: string }) => e.event)).toEqual(['DOWNGRADE', 'REINSTATED', 'PAUSED', 'RED', 'YELLOW', 'FLAGGED']);
    expect(stdout).toMatch(/, and \d+ health notifications of the week\n/);
    expect(stdout).toContain("cost (last 7 days): not reported (a partner's credit line)");
    expect(stdout).toMatch(/! Marketing spend spiked to USD [\d.]+ on Tue 24 Nov/);
    expect(stdout).toMatch(/templates \(last 7 days\): busiest \w+, [\d,]+ sent, \d+% delivered, \d+% read, \d+% clicked/);
    expect(JSON.parse(readFileSync(join(out, 'globex-support', 'account', 'templates.json'), 'utf8')).templatesEnabled).toBe(false);
  });
});

describe('waba-pulse sandbox', () => {
  it('serves Graph on the port asked for until told to stop', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c) => (out += c));
    const controller = new AbortController();
    const stop = () => controller.abort();
    const running = runCli(['sandbox', '--port', '0'], {
      stdout,
      stderr: new PassThrough(),
      env: {},
      cwd: dir,
      now: () => NOW,
      signal: controller.signal,
    });
    while (!out.includes('Ctrl-C')) await new Promise((r) => setTimeout(r, 10));
    const url = /Graph-compatible API at (http:\/\/\S+)/.exec(out)![1]!;
    const res = await fetch(`${url}/v23.0/104729384756102?fields=id`, { headers: { authorization: 'Bearer sandbox-token' } });
    expect(await res.json()).toEqual({ id: '104729384756102' });
    stop();
    expect(await running).toBe(0);
  });

  it('exits 1 on a port in use, as serve does', async () => {
    const { code, err } = await cli(['sandbox', '--port', String(new URL(sandbox.url).port)]);
    expect(code).toBe(1);
    expect(err).toBe(
      `waba-pulse: port ${new URL(sandbox.url).port} is in use. Pick another --port (0 for any free one), or stop what is listening on it.\n`,
    );
  });

  it('refuses a bad port', async () => {
    const { code, err } = await cli(['sandbox', '--port', '99999']);
    expect(code).toBe(2);
    expect(err).toMatch(/--port "99999" is not a whole number from 0 to 65535/);
  });
});

describe('waba-pulse serve', () => {
  it('says which variables are missing when no chat platform is configured', async () => {
    const { code, err } = await cli(['serve']);
    expect(code).toBe(2);
    expect(err).toBe(
      'waba-pulse: env: nothing to serve: no chat platform is configured. Set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) for Slack, and/or MICROSOFT_APP_ID with MICROSOFT_APP_PASSWORD for Teams, and/or WHATSAPP_APP_SECRET with WHATSAPP_VERIFY_TOKEN for status webhooks; see .env.example.\n',
    );
  });

  it('names the missing signing secret or app token', async () => {
    const { code, err } = await cli(['serve'], { SLACK_BOT_TOKEN: 'xoxb-test-123456' });
    expect(code).toBe(2);
    expect(err).toMatch(
      /env\.SLACK_SIGNING_SECRET: is not set \(nor SLACK_APP_TOKEN\)\. Set SLACK_SIGNING_SECRET for HTTP mode, or SLACK_APP_TOKEN/,
    );
    expect(err).not.toContain('xoxb-test-123456');
  });
});

describe('the installed binary', () => {
  const run = promisify(execFile);
  const bin = ['--import', 'tsx', new URL('../src/cli.ts', import.meta.url).pathname];

  it('exits 2 for bad input and prints JSON on success', async () => {
    const failure = await run(process.execPath, [...bin, 'report', '--account', 'nobody'], { env: { ...process.env, ...env() } }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((failure as { code: number }).code).toBe(2);
    expect((failure as { stderr: string }).stderr).toMatch(/unknown account "nobody"/);
    // The process is given the fixture's clock, as every process under test is: never today's date.
    const ok = await run(process.execPath, [...bin, 'report', '--account', 'initech-alerts', '--last', '7d', '--format', 'json'], {
      env: { ...process.env, ...env({ WABA_PULSE_CLOCK: new Date(NOW).toISOString() }) },
    });
    const report = JSON.parse(ok.stdout);
    expect(report.account.name).toBe('initech-alerts');
    expect(report.range.end).toMatch(/^2026-11-25T/);
    expect(ok.stdout + ok.stderr).not.toContain(SECRET);
  });

  it('ends quietly with exit 0 when the reader closes the pipe early (| head -c 100)', async () => {
    const child = spawn(
      process.execPath,
      [...bin, 'report', '--account', 'acme-retail', '--last', '7d', '--granularity', 'half_hour', '--by', 'phone', '--format', 'json'],
      { env: { ...process.env, ...env({ WABA_PULSE_CLOCK: new Date(NOW).toISOString() }) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    // Close the pipe before the report is written, as `head -c 100` does after its 100 bytes.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it('refuses a WABA_PULSE_CLOCK that is not a time, in one line with exit 2', async () => {
    const failure = (await run(process.execPath, [...bin, 'report', '--account', 'acme-retail'], {
      env: { ...process.env, ...env({ WABA_PULSE_CLOCK: 'yesterday-ish' }) },
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim().split('\n')).toHaveLength(1);
    expect(failure.stderr).toContain('WABA_PULSE_CLOCK="yesterday-ish" is not a time');
  });
});
