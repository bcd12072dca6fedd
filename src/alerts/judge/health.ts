import type { Anomaly, AnomalyScope, Severity } from '../../analytics/anomalies.js';
import { breakdownLabel } from '../../report/format.js';
import type { HealthAnomalyKind } from '../../vocabulary/anomalyKinds.js';
import type { HealthEventRecord } from '../../vocabulary/health.js';
import { anomalyKey } from './anomalyKey.js';
import type { Judgement } from './graph.js';

/**
 * Alert checks on the health webhooks (`kind: health`): the account's notifications, oldest
 * first, folded into what stands now — per number, template and the account itself. A problem
 * opens with the event that causes it (a number FLAGGED, its messaging limit DOWNGRADEd, a
 * restriction, the account disabled, a template PAUSED or DISABLED) and stays until the event
 * that undoes it (UNFLAGGED, UPGRADE, the restriction lifted or expired, REINSTATE, the
 * template approved again, archived or deleted). Pure: the events in, the judgement out.
 */

/** How far back a check reads: a problem Meta never undid is still a problem weeks later. */
export const HEALTH_LOOKBACK_SECONDS = 90 * 86_400;
/** Events stamped a little ahead of our clock (Meta's, up to 10 minutes) still count at once. */
export const HEALTH_AHEAD_SECONDS = 601;

/** Limits at or below this are critical: the number can barely start conversations. */
const LOW_LIMITS = new Set(['TIER_50', 'TIER_250']);

interface Problem {
  kind: HealthAnomalyKind;
  scope: AnomalyScope;
  since: number;
  severity: Severity;
  explanation: string;
  /** A restriction's end, when Meta said it. */
  until?: number | undefined;
  /** The limit before the first lowering. */
  from?: string | undefined;
}

/** A problem that was undone, and how. */
export interface HealthUndo {
  key: string;
  scope: AnomalyScope;
  kind: HealthAnomalyKind;
  since: number;
  at: number;
  explanation: string;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const words = (v: string) => v.toLowerCase().replace(/_/g, ' ');

function phoneScope(digits: string): AnomalyScope {
  return { kind: 'phone', key: digits, label: breakdownLabel('phone', digits), phone: digits };
}

function templateScope(e: HealthEventRecord): AnomalyScope {
  const id = text(e.data.templateId) ?? e.subject;
  return { kind: 'template', key: id, label: `Template ${e.subject}` };
}

const ACCOUNT: AnomalyScope = { kind: 'account', key: null, label: 'The account' };

/** The ban state of an account_update: kept in `data` since the alert needs it; read from the line before. */
function banState(e: HealthEventRecord): string | null {
  return text(e.data.banState) ?? /ban state (\w+)/.exec(e.detail)?.[1] ?? null;
}

class HealthState {
  readonly open = new Map<string, Problem>();
  readonly undone = new Map<string, HealthUndo>();

  raise(p: Problem): void {
    const key = anomalyKey(p);
    const was = this.open.get(key);
    // Still the same problem: it began with the first event, whatever came after.
    this.open.set(key, was ? { ...p, since: was.since, from: was.from ?? p.from } : p);
    this.undone.delete(key);
  }

  lift(kind: HealthAnomalyKind, scope: AnomalyScope, at: number, explanation: string): void {
    const key = anomalyKey({ kind, scope });
    const was = this.open.get(key);
    if (!was) return;
    this.open.delete(key);
    this.undone.set(key, { key, scope: was.scope, kind, since: was.since, at, explanation });
  }

  number(e: HealthEventRecord) {
    const digits = text(e.data.phone) ?? e.subject;
    const scope = phoneScope(digits);
    const limit = text(e.data.limit);
    switch (e.event) {
      case 'FLAGGED':
        return this.raise({
          kind: 'number_flagged',
          scope,
          since: e.at,
          severity: 'warning',
          explanation: `${scope.label} flagged: its quality rating fell below GREEN${limit ? ` (limit ${limit})` : ''}`,
        });
      case 'UNFLAGGED':
        return this.lift('number_flagged', scope, e.at, `${scope.label} unflagged: its quality is back up`);
      case 'DOWNGRADE': {
        const from = this.open.get(anomalyKey({ kind: 'limit_lowered', scope }))?.from ?? text(e.data.oldLimit) ?? undefined;
        return this.raise({
          kind: 'limit_lowered',
          scope,
          since: e.at,
          severity: limit && LOW_LIMITS.has(limit) ? 'critical' : 'warning',
          explanation: `${scope.label}: messaging limit lowered${from ? ` ${from} →` : ' to'} ${limit ?? 'a lower tier'}`,
          from,
        });
      }
      case 'UPGRADE':
        return this.lift('limit_lowered', scope, e.at, `${scope.label}: messaging limit raised to ${limit ?? 'a higher tier'}`);
    }
  }

  template(e: HealthEventRecord) {
    const scope = templateScope(e);
    const reason = text(e.data.reason);
    const why = reason && reason !== 'NONE' ? ` (${words(reason)})` : '';
    switch (e.event) {
      case 'PAUSED':
        return this.raise({
          kind: 'template_paused',
          scope,
          since: e.at,
          severity: 'critical',
          explanation: `${scope.label} paused${why}`,
        });
      case 'DISABLED':
        this.lift('template_paused', scope, e.at, `${scope.label} disabled`);
        return this.raise({
          kind: 'template_disabled',
          scope,
          since: e.at,
          severity: 'warning',
          explanation: `${scope.label} disabled${why}`,
        });
      case 'REINSTATED':
      case 'APPROVED':
      case 'UNLOCKED':
      case 'ARCHIVED':
      case 'DELETED':
      case 'PENDING_DELETION': {
        const how = e.event === 'REINSTATED' || e.event === 'APPROVED' || e.event === 'UNLOCKED' ? 'approved again' : words(e.event);
        this.lift('template_paused', scope, e.at, `${scope.label} ${how}`);
        return this.lift('template_disabled', scope, e.at, `${scope.label} ${how}`);
      }
    }
  }

  account(e: HealthEventRecord) {
    if (e.event === 'ACCOUNT_RESTRICTION') {
      const phone = text(e.data.phone);
      const scope = phone ? phoneScope(phone) : ACCOUNT;
      const kind = phone ? 'number_restricted' : 'account_restricted';
      const restriction = text(e.data.restriction);
      if (!restriction) return this.lift(kind, scope, e.at, `${scope.label}: restriction lifted`);
      const until = typeof e.data.restrictedUntil === 'number' ? e.data.restrictedUntil : undefined;
      return this.raise({
        kind,
        scope,
        since: e.at,
        severity: 'critical',
        explanation: `${scope.label} is restricted: ${restriction.split(',').map(words).join(', ')}`,
        until,
      });
    }
    if (e.event === 'DISABLED_UPDATE') {
      const state = banState(e);
      if (state === 'REINSTATE') return this.lift('account_disabled', ACCOUNT, e.at, 'The account is reinstated');
      if (state === 'DISABLE' || state === 'SCHEDULE_FOR_DISABLE')
        this.raise({
          kind: 'account_disabled',
          scope: ACCOUNT,
          since: e.at,
          severity: 'critical',
          explanation: state === 'DISABLE' ? 'The account is disabled (banned)' : 'The account is scheduled to be disabled',
        });
    }
  }

  /** Restrictions whose end has come are lifted then. */
  expire(nowS: number): void {
    for (const p of [...this.open.values()])
      if (p.until !== undefined && p.until <= nowS) this.lift(p.kind, p.scope, p.until, `${p.scope.label}: restriction expired`);
  }
}

export interface HealthJudgement extends Judgement {
  /** Problems undone within the events read: what a resolution says recovered. */
  undone: HealthUndo[];
}

/** Judge an account's health events at `nowMs`. Pure: the events (any order) in, what stands now out. */
export function judgeHealth(events: readonly HealthEventRecord[], nowMs: number): HealthJudgement {
  const nowS = Math.floor(nowMs / 1000);
  const state = new HealthState();
  // Oldest first; the same second keeps the order they were kept in.
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i);
  for (const { e } of ordered) {
    if (e.field === 'phone_number_quality_update') state.number(e);
    else if (e.field === 'message_template_status_update') state.template(e);
    else if (e.field === 'account_update') state.account(e);
  }
  state.expire(nowS);
  const ongoing: Anomaly[] = [...state.open.values()].map((p) => ({
    kind: p.kind,
    scope: p.scope,
    start: p.since,
    end: Math.max(nowS, p.since),
    detectedAt: p.since,
    // Nothing measured: a state, not a rate.
    observed: 0,
    expected: 0,
    expectedLow: 0,
    expectedHigh: 0,
    severity: p.severity,
    sent: 0,
    delivered: 0,
    explanation: p.explanation,
  }));
  const undone = [...state.undone.values()];
  // What ended, ended when it was undone: where a resolved episode's stretch really stopped.
  const recent: Anomaly[] = [...ongoing, ...undone.map(ended)];
  return { ongoing, recent, now: [], undone };
}

function ended(u: HealthUndo): Anomaly {
  return {
    kind: u.kind,
    scope: u.scope,
    start: u.since,
    end: u.at,
    detectedAt: u.since,
    observed: 0,
    expected: 0,
    expectedLow: 0,
    expectedHigh: 0,
    severity: 'warning',
    sent: 0,
    delivered: 0,
    explanation: u.explanation,
  };
}

/** Recent health news worth a line on a drop alert: what happened, and when (UNIX seconds). */
export interface HealthNote {
  what: string;
  at: number;
  /** Further such events in the same day. */
  more: number;
}

/** How long a flag, a quality fall or a pause stays worth mentioning on a drop alert. */
export const HEALTH_NOTE_SECONDS = 86_400;

/** Quality scores, best first (UNKNOWN is no fall). */
const QUALITY = ['GREEN', 'YELLOW', 'RED'];

/** The event as a drop alert mentions it, or nothing when it is no such news. */
function noteOf(e: HealthEventRecord): { what: string; phone?: string | undefined } | undefined {
  const phone = text(e.data.phone) ?? e.subject;
  if (e.field === 'phone_number_quality_update') {
    if (e.event === 'FLAGGED') return { what: `Number ${breakdownLabel('phone', phone)} was flagged (quality below GREEN)`, phone };
    if (e.event === 'DOWNGRADE')
      return {
        what: `Number ${breakdownLabel('phone', phone)} had its messaging limit lowered to ${text(e.data.limit) ?? 'a lower tier'}`,
        phone,
      };
    return undefined;
  }
  if (e.field === 'message_template_quality_update' && QUALITY.indexOf(e.event) > QUALITY.indexOf(text(e.data.from) ?? 'GREEN'))
    return { what: `Template ${e.subject} fell to ${e.event}` };
  if (e.field === 'message_template_status_update' && e.event === 'PAUSED') return { what: `Template ${e.subject} was paused` };
  return undefined;
}

/**
 * The line a drop alert gets when its account was flagged, had a number's or a template's quality
 * fall, or a template paused in the last day: the newest such event, those on the alert's own
 * numbers first (a number's drop is likeliest explained by its own flag). Pure.
 */
export function recentHealthNote(events: readonly HealthEventRecord[], nowMs: number, phones: readonly string[]): HealthNote | undefined {
  const nowS = Math.floor(nowMs / 1000);
  const notes = events
    .filter((e) => e.at > nowS - HEALTH_NOTE_SECONDS && e.at <= nowS + HEALTH_AHEAD_SECONDS)
    .flatMap((e) => {
      const note = noteOf(e);
      return note ? [{ ...note, at: e.at }] : [];
    })
    .sort((a, b) => Number(phones.includes(b.phone ?? '')) - Number(phones.includes(a.phone ?? '')) || b.at - a.at);
  const [first] = notes;
  return first ? { what: first.what, at: first.at, more: notes.length - 1 } : undefined;
}
