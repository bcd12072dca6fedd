import type { HealthEventRecord, PhoneNumberState, WabaOverview } from '../vocabulary/health.js';
import type { TemplateInfo } from '../vocabulary/templates.js';

/**
 * "Is any number in trouble?": each number's quality, the portfolio's messaging limit,
 * throughput, display-name review, status and whether it can send; the templates paused,
 * disabled or rated low; what the health webhooks said lately; and the problems among all that,
 * worst first, in a line each. Pure: Graph's state and the stored events come in.
 */
export interface NumberHealth {
  id: string;
  displayPhoneNumber: string;
  qualityRating: string | null;
  messagingLimit: string | null;
  throughput: string | null;
  nameStatus: string | null;
  status: string | null;
  /** AVAILABLE, LIMITED or BLOCKED: the number's `health_status` over every node a message from it involves. */
  canSend: string | null;
}

export interface TemplateHealthItem {
  id: string;
  name: string;
  language: string;
  category: string;
  qualityScore: string | null;
}

export interface HealthProblem {
  severity: 'critical' | 'warning';
  subject: string;
  text: string;
}

export interface HealthSummary {
  numbers: NumberHealth[];
  templates: { paused: TemplateHealthItem[]; disabled: TemplateHealthItem[]; qualityLow: TemplateHealthItem[] };
  events: HealthEventRecord[];
  /** The account's own `health_status` (WABA, business, app), when Graph gave it. */
  accountCanSend: string | null;
  problems: HealthProblem[];
}

export interface HealthInput {
  waba: WabaOverview | null;
  numbers: readonly PhoneNumberState[];
  templates: readonly TemplateInfo[];
  events: readonly HealthEventRecord[];
  /** The numbers the config scopes the account to (digits); empty for all. */
  scope: readonly string[];
}

/** Quality scores that put a template (or number) at risk: YELLOW (medium) and RED (low). */
const LOW_QUALITY = new Set(['YELLOW', 'RED']);

function item(t: TemplateInfo): TemplateHealthItem {
  return { id: t.id, name: t.name, language: t.language, category: t.category, qualityScore: t.qualityScore };
}

/** Why a node is limited or blocked, in Meta's words (the first reason). */
function reason(health: PhoneNumberState['health'] | WabaOverview['health']): string {
  for (const e of health?.entities ?? []) {
    if (e.canSendMessage === 'AVAILABLE') continue;
    const why = e.errors[0]?.description || e.info[0];
    if (why) return `: ${why}`;
  }
  return '';
}

export function healthSummary(input: HealthInput): HealthSummary {
  const scoped = input.scope.length ? input.numbers.filter((n) => input.scope.includes(n.digits)) : input.numbers;
  const numbers: NumberHealth[] = scoped.map((n) => ({
    id: n.id,
    displayPhoneNumber: n.displayPhoneNumber,
    qualityRating: n.qualityRating,
    messagingLimit: n.messagingLimit,
    throughput: n.throughput,
    nameStatus: n.nameStatus,
    status: n.status,
    canSend: n.health?.canSendMessage ?? null,
  }));
  const byName = (a: TemplateInfo, b: TemplateInfo) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.language < b.language ? -1 : 1);
  const sorted = [...input.templates].sort(byName);
  const paused = sorted.filter((t) => t.status === 'PAUSED');
  const disabled = sorted.filter((t) => t.status === 'DISABLED');
  const qualityLow = sorted.filter((t) => t.qualityScore !== null && LOW_QUALITY.has(t.qualityScore) && t.status !== 'DISABLED');

  const problems: HealthProblem[] = [];
  const accountCanSend = input.waba?.health?.canSendMessage ?? null;
  if (accountCanSend && accountCanSend !== 'AVAILABLE')
    problems.push({
      severity: accountCanSend === 'BLOCKED' ? 'critical' : 'warning',
      subject: 'account',
      text: `The account can send: ${accountCanSend}${reason(input.waba?.health ?? null)}`,
    });
  for (const n of scoped) {
    const label = n.displayPhoneNumber;
    const canSend = n.health?.canSendMessage;
    if (canSend && canSend !== 'AVAILABLE')
      problems.push({
        severity: canSend === 'BLOCKED' ? 'critical' : 'warning',
        subject: label,
        text: `${label} can send: ${canSend}${reason(n.health)}`,
      });
    if (n.status && n.status !== 'CONNECTED')
      problems.push({ severity: n.status === 'FLAGGED' ? 'warning' : 'critical', subject: label, text: `${label} is ${n.status}` });
    if (n.qualityRating && LOW_QUALITY.has(n.qualityRating))
      problems.push({
        severity: n.qualityRating === 'RED' ? 'critical' : 'warning',
        subject: label,
        text: `${label} quality ${n.qualityRating}${n.qualityRating === 'RED' ? ' (low)' : ' (medium)'}`,
      });
  }
  for (const t of paused) problems.push({ severity: 'critical', subject: t.name, text: `Template ${t.name} (${t.language}) is paused` });
  for (const t of disabled) problems.push({ severity: 'warning', subject: t.name, text: `Template ${t.name} (${t.language}) is disabled` });
  for (const t of qualityLow)
    if (t.status !== 'PAUSED')
      problems.push({
        severity: t.qualityScore === 'RED' ? 'critical' : 'warning',
        subject: t.name,
        text: `Template ${t.name} (${t.language}) quality ${t.qualityScore}`,
      });
  problems.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));

  return {
    numbers,
    templates: { paused: paused.map(item), disabled: disabled.map(item), qualityLow: qualityLow.map(item) },
    events: [...input.events].sort((a, b) => b.at - a.at),
    accountCanSend,
    problems,
  };
}
