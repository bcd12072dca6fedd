/**
 * Scoring alarms against the labels: which incidents were caught, how soon, by the scope they
 * happened in; which alarms no incident explains (false alarms, counted as events: simultaneous
 * alarms of one account are one message); what happened during campaigns.
 */
import type { AnomalyKind } from '../../src/vocabulary/anomalyKinds.js';
import { type EvalAccount, HALF_HOUR, type Incident } from './generate.js';

/** Delivery data raises only the delivery kinds; the health kinds come from webhooks, never here. */
export type AlarmKind = AnomalyKind;

export interface Alarm {
  kind: AlarmKind;
  scope: { kind: 'account' | 'phone' | 'country' | 'phone_country'; phone?: number | undefined; country?: number | undefined };
  /** Half-hour indexes on the account's grid: [startIndex, endIndex). */
  startIndex: number;
  endIndex: number;
  /** When it was raised, in minutes since the grid's start (a bucket's end for offline detection). */
  raisedAtMinute: number;
  /** Online only: the episode this alarm belongs to. */
  episode?: number;
}

export interface IncidentResult {
  account: EvalAccount;
  incident: Incident;
  volume: number;
  caught: boolean;
  named: boolean;
}

export interface Scored {
  incidents: number;
  /** Material incidents; `single`: those on one number or country, `singleNamed`: of them, named by that scope. */
  material: { n: number; caught: number; named: number; single: number; singleNamed: number };
  /** Every material incident, caught or not. */
  materialList: IncidentResult[];
  subtle: { n: number; caught: number };
  stops: { n: number; caught: number };
  bursts: { n: number; spikes: number; dropAlarms: number };
  /** Minutes from the end of the first bad bucket to the alarm, drops of 10 points or more. */
  bigDropDelays: number[];
  /** The same, with the account each came from. */
  bigDropDelayOf: Array<{ account: number; start: number; minutes: number }>;
  /** Incidents raised as more than one episode (online). */
  reopened: number;
  reopenedList: IncidentResult[];
  faDropEvents: number;
  faDropEventsClean: number;
  /** The delivery-drop alarms no incident explains. */
  falseAlarms: Array<{ account: EvalAccount; alarm: Alarm }>;
  faAnyEvents: number;
  accounts: number;
  cleanAccounts: number;
  scoredDays: number;
  rows: Map<string, { n: number; caught: number }>;
  /** Scored from alert episodes (checks on a clock) rather than from a report after the fact. */
  online?: boolean;
  /** A plain baseline (no volume spikes, no episodes). */
  baseline?: boolean;
}

const MARGIN = 2;

/** Mean sent per half hour in the incident's own scope over the same slots a week before. */
export function incidentVolume(account: EvalAccount, inc: Pick<Incident, 'start' | 'end' | 'phone' | 'country'>): number {
  let total = 0;
  let buckets = 0;
  for (let b = inc.start - 7 * 48; b < inc.end - 7 * 48; b++) {
    if (b < 0) continue;
    for (let p = 0; p < account.phones.length; p++) {
      for (let c = 0; c < account.countries.length; c++) {
        if (inc.phone !== undefined && inc.phone !== p) continue;
        if (inc.country !== undefined && inc.country !== c) continue;
        total += account.sent[p]![c]![b]!;
      }
    }
    buckets++;
  }
  return total / Math.max(1, buckets);
}

const overlaps = (a: { startIndex: number; endIndex: number }, start: number, end: number) =>
  a.startIndex < end + MARGIN && start - MARGIN < a.endIndex;

function band(v: number): string {
  return v < 500 ? '<500' : v < 2000 ? '500-2k' : '>=2k';
}

export function isMaterial(inc: Incident, volume: number): boolean {
  const hours = ((inc.end - inc.start) * HALF_HOUR) / 3600;
  if (volume < 500) return false;
  if (inc.kind === 'stop') return true;
  if (inc.kind === 'slide') return inc.size >= 0.05;
  return inc.kind === 'drop' && inc.size >= 0.05 && hours >= 2;
}

function namesScope(account: EvalAccount, inc: Incident, a: Alarm): boolean {
  // An account with one number (or one country) is that number: its own scope names it.
  if (inc.phone !== undefined) return a.scope.phone === inc.phone || (account.phones.length === 1 && a.scope.kind === 'account');
  if (inc.country !== undefined) return a.scope.country === inc.country || (account.countries.length === 1 && a.scope.kind === 'account');
  return a.scope.kind === 'account';
}

export function score(
  accounts: readonly EvalAccount[],
  alarms: ReadonlyMap<number, Alarm[]>,
  judgedFrom: number,
  judgedTo: number,
  scoredDays: number,
): Scored {
  const out: Scored = {
    incidents: 0,
    material: { n: 0, caught: 0, named: 0, single: 0, singleNamed: 0 },
    materialList: [],
    subtle: { n: 0, caught: 0 },
    stops: { n: 0, caught: 0 },
    bursts: { n: 0, spikes: 0, dropAlarms: 0 },
    bigDropDelays: [],
    bigDropDelayOf: [],
    reopened: 0,
    reopenedList: [],
    faDropEvents: 0,
    faDropEventsClean: 0,
    falseAlarms: [],
    faAnyEvents: 0,
    accounts: accounts.length,
    cleanAccounts: 0,
    scoredDays,
    rows: new Map(),
  };
  for (const account of accounts) {
    const list = (alarms.get(account.index) ?? []).filter((a) => a.endIndex > judgedFrom && a.startIndex < judgedTo);
    const clean = account.incidents.length === 0 && account.bursts.length === 0;
    if (clean) out.cleanAccounts++;
    // Only what happened in the judged span is scored (online checks start a day later).
    const incidents = account.incidents.filter((inc) => inc.start >= judgedFrom && inc.start < judgedTo);
    for (const inc of incidents) {
      out.incidents++;
      const volume = incidentVolume(account, inc);
      const wanted = (a: Alarm) => (inc.kind === 'stop' ? a.kind === 'volume_drop' : a.kind === 'delivery_drop');
      const hits = list.filter(
        (a) =>
          wanted(a) && overlaps(a, inc.start, inc.end) && a.raisedAtMinute >= inc.start * 30 && a.raisedAtMinute <= (inc.end + MARGIN) * 30,
      );
      const caught = hits.length > 0;
      const group = `${inc.kind === 'stop' ? 'complete stop' : inc.kind === 'slide' ? 'slow slide' : inc.kind === 'subtle' ? 'subtle drop 2-5 pp' : 'drop 5-25 pp'} ${band(volume)}`;
      const row = out.rows.get(group) ?? { n: 0, caught: 0 };
      row.n++;
      if (caught) row.caught++;
      out.rows.set(group, row);
      if (isMaterial(inc, volume)) {
        out.material.n++;
        if (caught) out.material.caught++;
        const named = hits.some((a) => namesScope(account, inc, a));
        if (named) out.material.named++;
        if (inc.phone !== undefined || inc.country !== undefined) {
          out.material.single++;
          if (named) out.material.singleNamed++;
        }
        out.materialList.push({ account, incident: inc, volume, caught, named });
      }
      if (inc.kind === 'subtle' && volume >= 2000) {
        out.subtle.n++;
        if (caught) out.subtle.caught++;
      }
      if (inc.kind === 'stop' && volume >= 500) {
        out.stops.n++;
        if (caught) out.stops.caught++;
      }
      if (inc.kind === 'drop' && inc.size >= 0.1 && volume >= 500 && caught) {
        const minutes = Math.min(...hits.map((a) => a.raisedAtMinute - (inc.start + 1) * 30));
        out.bigDropDelays.push(minutes);
        out.bigDropDelayOf.push({ account: account.index, start: inc.start, minutes });
      }
      const episodes = new Set(hits.map((a) => a.episode).filter((e) => e !== undefined));
      if (episodes.size > 1) {
        out.reopened++;
        out.reopenedList.push({ account, incident: inc, volume, caught, named: false });
      }
    }
    const explained = (a: Alarm) => account.incidents.some((inc) => overlaps(a, inc.start, inc.end));
    const inBurst = (a: Alarm) => account.bursts.some((b) => overlaps(a, b.start, b.end));
    for (const burst of account.bursts.filter((b) => b.start >= judgedFrom && b.start < judgedTo)) {
      // A campaign is flagged when it is big enough to be one: 4× a scope that normally sends 50+
      // per half hour (200+, the least a spike is judged at).
      if (burst.factor < 4 || incidentVolume(account, burst) < 50) continue;
      out.bursts.n++;
      if (list.some((a) => a.kind === 'volume_spike' && overlaps(a, burst.start, burst.end))) out.bursts.spikes++;
    }
    const unexplained = list.filter((a) => !explained(a) && !(a.kind === 'volume_spike' && inBurst(a)));
    out.bursts.dropAlarms += unexplained.filter((a) => a.kind === 'delivery_drop' && inBurst(a)).length;
    const dropAlarms = unexplained.filter((a) => a.kind === 'delivery_drop');
    for (const alarm of dropAlarms) out.falseAlarms.push({ account, alarm });
    const drops = events(dropAlarms);
    out.faDropEvents += drops;
    if (clean) out.faDropEventsClean += drops;
    out.faAnyEvents += events(unexplained);
  }
  return out;
}

/** Alarms overlapping in time are one message. */
function events(alarms: readonly Alarm[]): number {
  // Online, an episode is one message thread however many scopes it names.
  if (alarms.some((a) => a.episode !== undefined)) return new Set(alarms.map((a) => a.episode)).size;
  const sorted = alarms.map((a) => [a.startIndex, a.endIndex] as const).sort((x, y) => x[0] - y[0]);
  let count = 0;
  let lastEnd = -Infinity;
  for (const [s, e] of sorted) {
    if (s > lastEnd) count++;
    lastEnd = Math.max(lastEnd, e);
  }
  return count;
}

export function perAccount30(events: number, accounts: number, days: number): number {
  return accounts ? (events / accounts) * (30 / days) : 0;
}

export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
