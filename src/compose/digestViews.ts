import type { AccountConfig } from '../config/load.js';
import { isWabaPulseError } from '../errors.js';
import type { AccountViews, DigestPart, DigestViews } from '../report/accountViews.js';
import { redactSecrets } from '../secrets.js';
import { composeAccountViews, planCost, planTemplates, type ViewsRequest } from './accountViews.js';
import type { ReportSpec } from './reportPlan.js';
import { type ChartedReport, chartedReport, type ReportDeps } from './request.js';

/**
 * A daily digest: the delivery report, and beside it the numbers' health, yesterday's cost and
 * the busiest templates — composed side by side, so the sections cost the digest one round trip
 * more at most. The sections are asked in one Graph request; when that fails, each part is asked
 * alone, and a part that still fails is left out with a line saying why: the digest is posted
 * whatever becomes of them.
 */

/** What a part's failure says in the digest: the error's own line for ours, a plain word for anything else. */
function why(err: unknown): string {
  if (isWabaPulseError(err)) return redactSecrets(err.message);
  return 'an unexpected error (logged by whoever runs waba-pulse)';
}

/** The sections' data for a digest due at `dueAtMs`: never thrown, a part that fails is named in `unavailable`. */
export async function digestViews(
  deps: ReportDeps & { views: NonNullable<ReportDeps['views']> },
  account: AccountConfig,
  dueAtMs: number,
): Promise<DigestViews> {
  const ctx = { ...deps.views, now: deps.now };
  const unavailable: DigestViews['unavailable'] = {};
  const empty: AccountViews = {
    account: { id: account.id, name: account.name, displayName: account.displayName, timezone: account.timezone },
    waba: { name: null, currency: null, insightsEnabled: false, health: null },
    notes: [],
  };
  let token: string;
  const parts: Pick<ViewsRequest, DigestPart> = {};
  try {
    token = deps.accounts(account).token;
    // Fixed by when the digest was due, as its report is: the last whole day of Graph's own days
    // (the WABA's zone for pricing, UTC for templates) — a day still running would compare a part
    // of a day with the whole day before.
    parts.health = { since: Math.floor(dueAtMs / 1000) };
    const waba = account.wabaTimezone;
    parts.cost = planCost({ timezone: waba, wabaTimezone: waba }, { preset: 'yesterday' }, dueAtMs);
    parts.templates = planTemplates({ timezone: 'UTC' }, { preset: 'yesterday' }, dueAtMs);
  } catch (err) {
    return { views: empty, unavailable: { health: why(err), cost: why(err), templates: why(err) } };
  }
  try {
    return { views: await composeAccountViews(ctx, { account, token, ...parts }), unavailable };
  } catch {
    // One part's field (a permission, a Graph error) fails the whole request: ask each alone.
  }
  const names: DigestPart[] = ['health', 'cost', 'templates'];
  const alone = await Promise.all(
    names.map(async (part) => {
      try {
        return await composeAccountViews(ctx, { account, token, [part]: parts[part] });
      } catch (err) {
        unavailable[part] = why(err);
        return undefined;
      }
    }),
  );
  const [health, cost, templates] = alone;
  const base = alone.find((v) => v !== undefined) ?? empty;
  return { views: { ...base, health: health?.health, cost: cost?.cost, templates: templates?.templates, notes: [] }, unavailable };
}

/** The digest's message: the report and its charts, and for a daily digest the health, cost and templates sections. */
export async function chartedDigest(
  deps: ReportDeps,
  account: AccountConfig,
  spec: ReportSpec,
  digest: { every: 'daily' | 'weekly'; dueAtMs: number },
): Promise<ChartedReport> {
  const views = deps.views;
  if (digest.every !== 'daily' || !views) return chartedReport(deps, account, spec);
  const [report, sections] = await Promise.all([
    chartedReport(deps, account, spec),
    digestViews({ ...deps, views }, account, digest.dueAtMs),
  ]);
  return { ...report, digest: sections };
}
