/**
 * Online: each generated account replayed through `waba-pulse backtest`'s code — the alert rule
 * checked every 30 minutes on a simulated clock with drill-downs by number and country, young
 * buckets showing only the deliveries the settle curve says had arrived (varying by bucket
 * within its spread) — and the episodes it raised turned into alarms for scoring.
 */
import { DEFAULT_SETTLE_CURVE } from '../../src/analytics/settle.js';
import { buildConfig } from '../../src/configure.js';
import type { AnalyticsRequest, AnalyticsResult, AnalyticsSource, GraphAccount } from '../../src/graph/client.js';
import { runBacktest } from '../../src/jobs/backtest.js';
import { filterKey } from '../../src/jobs/replaySource.js';
import { type EvalAccount, scopeSeries } from './generate.js';
import type { Alarm } from './score.js';

const HALF_HOUR = 1800;
const phoneId = (p: number) => `1555${String(p).padStart(6, '0')}`;

/** The generated account as Graph would answer it, any filter the checks ask for. */
function generatedSource(account: EvalAccount, start: number): AnalyticsSource {
  const series = scopeSeries(account, start);
  const phones = account.phones.map((_, p) => phoneId(p));
  const codes = account.countries.map((c) => c.code);
  const byKey = new Map<string, AnalyticsResult['points']>();
  for (const s of series) {
    const filter =
      s.kind === 'phone'
        ? { phoneNumbers: [phoneId(s.index!)], countryCodes: [], productTypes: [] }
        : s.kind === 'country'
          ? { phoneNumbers: [], countryCodes: [codes[s.index!]!], productTypes: [] }
          : { phoneNumbers: [], countryCodes: [], productTypes: [] };
    byKey.set(
      filterKey(filter),
      s.points.filter((p) => p.sent > 0),
    );
  }
  // A single number or country has no scope of its own in the generator: it is the account.
  if (phones.length === 1)
    byKey.set(
      filterKey({ phoneNumbers: phones, countryCodes: [], productTypes: [] }),
      byKey.get(filterKey({ phoneNumbers: [], countryCodes: [], productTypes: [] }))!,
    );
  if (codes.length === 1)
    byKey.set(
      filterKey({ phoneNumbers: [], countryCodes: codes, productTypes: [] }),
      byKey.get(filterKey({ phoneNumbers: [], countryCodes: [], productTypes: [] }))!,
    );
  return {
    async fetchAnalytics(_account: GraphAccount, req: AnalyticsRequest): Promise<AnalyticsResult> {
      const points = (byKey.get(filterKey(req)) ?? []).filter((p) => p.start >= req.range.start && p.start < req.range.end);
      return { points, phoneNumbers: phones, countryCodes: codes, granularity: req.granularity, range: req.range, notes: [], requests: 1 };
    },
  };
}

export async function online(
  accounts: readonly EvalAccount[],
  start: number,
  fromDay: number,
  toDay: number,
  sensitivity = 'normal',
): Promise<{ alarms: Map<number, Alarm[]>; checks: number }> {
  const alarms = new Map<number, Alarm[]>();
  let checks = 0;
  for (const account of accounts) {
    const config = buildConfig(
      {
        accounts: [{ id: String(300000000000000 + account.index), name: `eval-${account.index}`, token: '${T}', timezone: account.tz }],
        alerts: [
          {
            name: 'eval',
            account: `eval-${account.index}`,
            drillDown: ['phone', 'country'],
            sensitivity,
            targets: [{ slack: { channel: 'C0EVAL' } }],
          },
        ],
      },
      { GRAPH_API_URL: 'http://127.0.0.1:9' },
    );
    const result = await runBacktest(generatedSource(account, start), {
      config,
      account: config.accounts[0]!,
      token: 'eval-token',
      rule: config.alerts[0]!,
      range: { start: start + fromDay * 86_400, end: start + toDay * 86_400 },
      curve: DEFAULT_SETTLE_CURVE,
      maxCalls: 1_000_000,
      arrivalSpread: true,
    });
    checks += result.checks;
    const list: Alarm[] = [];
    result.episodes.forEach((e, episode) => {
      for (const f of e.found) {
        const phone = f.scope.kind === 'phone' ? account.phones.findIndex((_, p) => phoneId(p) === f.scope.key) : undefined;
        const country = f.scope.kind === 'country' ? account.countries.findIndex((c) => c.code === f.scope.key) : undefined;
        list.push({
          kind: f.kind,
          scope: { kind: f.scope.kind === 'phone_country' ? 'account' : f.scope.kind, phone, country },
          startIndex: Math.round((f.start - start) / HALF_HOUR),
          endIndex: Math.round((Math.max(f.end, e.resolvedAt === null ? f.end : f.end) - start) / HALF_HOUR),
          raisedAtMinute: (f.seenAt / 1000 - start) / 60,
          episode,
        });
      }
    });
    alarms.set(account.index, list);
  }
  return { alarms, checks };
}
