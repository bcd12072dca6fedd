import { failureMeaning } from '../vocabulary/failureCodes.js';
import type { StatusTotal } from '../vocabulary/statuses.js';
import type { BreakdownDimension } from './breakdown.js';

/**
 * Why messages failed, from the status webhooks of a range: failures by error code with what
 * each means and what to do, and (with a breakdown) by number or country. Pure: counts in,
 * summary out.
 */
export interface FailureCode {
  code: number;
  title: string;
  count: number;
  /** Of all failures in the range, 0..1. */
  share: number;
  advice: string;
}

export interface FailureScope {
  key: string;
  failed: number;
  sent: number;
  rate: number | null;
  /** The commonest code there. */
  topCode: number | null;
}

export interface FailureSummary {
  failed: number;
  /** Messages attempted: `sent` statuses, and failures of messages never reported sent. */
  sent: number;
  /** Failed per sent, 0..1 (null when nothing was sent). */
  rate: number | null;
  byCode: FailureCode[];
  byScope?: { by: BreakdownDimension; items: FailureScope[] } | undefined;
  /** When the webhooks' counts begin inside the range (UNIX seconds): the figures cover only what follows. */
  since?: number | undefined;
}

/** Codes shown by name; the rest are summed as "other". */
const TOP_CODES = 6;

/** A message attempted: reported `sent`, or failed without ever being sent (counted `unsent`). */
export function isAttempt(status: StatusTotal['status']): boolean {
  return status === 'sent' || status === 'unsent';
}

/** Messages attempted, never fewer than those failed (counts kept before `unsent` was may say fewer). */
export function attemptsOf(attempted: number, failed: number): number {
  return Math.max(attempted, failed);
}

/** The numbers and countries a report or an alert rule covers (empty: all); statuses outside are not its traffic. */
export interface StatusScope {
  phoneNumbers?: readonly string[] | undefined;
  countries?: readonly string[] | undefined;
}

/** The account's scope, or the rule's where it gives one: what the Graph half of the same report or check asks for. */
export function statusScopeOf(account: StatusScope, rule?: { scope?: StatusScope | undefined }): StatusScope {
  return {
    phoneNumbers: rule?.scope?.phoneNumbers ?? account.phoneNumbers ?? [],
    countries: rule?.scope?.countries ?? account.countries ?? [],
  };
}

export function isScoped(scope: StatusScope | undefined): boolean {
  return Boolean(scope?.phoneNumbers?.length || scope?.countries?.length);
}

/** Only the rows within the scope (all of them when it names nothing). */
export function withinScope<T extends { phone: string; country: string }>(rows: readonly T[], scope: StatusScope | undefined): T[] {
  if (!isScoped(scope)) return [...rows];
  const phones = scope!.phoneNumbers?.length ? new Set(scope!.phoneNumbers) : undefined;
  const countries = scope!.countries?.length ? new Set(scope!.countries) : undefined;
  return rows.filter((r) => (!phones || phones.has(r.phone)) && (!countries || countries.has(r.country)));
}

export function summarizeFailures(rows: readonly StatusTotal[], by?: BreakdownDimension): FailureSummary {
  let failed = 0;
  let sent = 0;
  const codes = new Map<number, number>();
  const scopes = new Map<string, { failed: number; sent: number; codes: Map<number, number> }>();
  for (const r of rows) {
    const scopeKey = by === 'phone' ? r.phone : by === 'country' ? r.country : '';
    let scope = scopes.get(scopeKey);
    if (!scope) {
      scope = { failed: 0, sent: 0, codes: new Map() };
      scopes.set(scopeKey, scope);
    }
    if (isAttempt(r.status)) {
      sent += r.count;
      scope.sent += r.count;
    } else if (r.status === 'failed') {
      failed += r.count;
      scope.failed += r.count;
      codes.set(r.code, (codes.get(r.code) ?? 0) + r.count);
      scope.codes.set(r.code, (scope.codes.get(r.code) ?? 0) + r.count);
    }
  }
  const ranked = [...codes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const byCode: FailureCode[] = ranked.slice(0, TOP_CODES).map(([code, count]) => {
    const meaning = failureMeaning(code);
    return { code, title: meaning.title, count, share: failed ? count / failed : 0, advice: meaning.advice };
  });
  const rest = ranked.slice(TOP_CODES).reduce((sum, [, n]) => sum + n, 0);
  if (rest) byCode.push({ code: 0, title: `${ranked.length - TOP_CODES} other codes`, count: rest, share: rest / failed, advice: '' });
  const rate = (f: number, s: number) => (s > 0 ? f / attemptsOf(s, f) : f > 0 ? 1 : null);
  return {
    failed,
    sent,
    rate: rate(failed, sent),
    byCode,
    ...(by
      ? {
          byScope: {
            by,
            items: [...scopes.entries()]
              .map(([key, s]) => ({
                key,
                failed: s.failed,
                sent: s.sent,
                rate: rate(s.failed, s.sent),
                topCode: [...s.codes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null,
              }))
              .sort((a, b) => b.failed - a.failed || a.key.localeCompare(b.key)),
          },
        }
      : {}),
  };
}
