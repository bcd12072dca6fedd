import type { SandboxAccount, SandboxBusiness, SandboxHealthChange, SandboxTemplate } from './accountModel.js';

const PLAIN: SandboxBusiness = {
  currency: 'USD',
  billing: 'direct',
  insights: 'on',
  messagingLimit: 'TIER_10K',
  numbers: [],
  templates: [],
  changes: [],
};

export function businessOf(account: SandboxAccount): SandboxBusiness {
  return account.business ?? PLAIN;
}

const LIMIT_ORDER = ['TIER_50', 'TIER_250', 'TIER_1K', 'TIER_2K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'];

/** A number's quality rating and the portfolio's messaging limit at `at` (UNIX seconds). */
export function numberStateAt(account: SandboxAccount, phone: string, at: number): { quality: string; limit: string } {
  const b = businessOf(account);
  let quality: string = b.numbers.find((n) => n.phone === phone)?.quality ?? 'GREEN';
  let limit = b.messagingLimit;
  for (const c of b.changes) {
    if (c.at > at) continue;
    if (c.kind === 'number_quality' && c.phone === phone) quality = c.to;
    if (c.kind === 'messaging_limit') limit = c.to;
  }
  return { quality, limit };
}

/** A template's status and quality at `at`. */
export function templateStateAt(account: SandboxAccount, template: SandboxTemplate, at: number): { status: string; quality: string } {
  let status: string = template.status ?? 'APPROVED';
  let quality: string = template.quality ?? 'GREEN';
  for (const c of businessOf(account).changes) {
    if (c.at > at || !('templateId' in c) || c.templateId !== template.id) continue;
    if (c.kind === 'template_quality') quality = c.to;
    if (c.kind === 'template_status') status = c.event === 'REINSTATED' ? 'APPROVED' : c.event;
  }
  return { status, quality };
}

/** Whether a template can be sent at `at`: a paused or disabled one fails every send (132015, 132016). */
export function templatePausedAt(account: SandboxAccount, template: SandboxTemplate, at: number): boolean {
  return templateStateAt(account, template, at).status !== 'APPROVED';
}

/** Spans in which templates of the account were paused: their sends fail with 132015. */
export function pauses(account: SandboxAccount): Array<{ template: SandboxTemplate; start: number; end: number }> {
  const b = businessOf(account);
  const out: Array<{ template: SandboxTemplate; start: number; end: number }> = [];
  for (const template of b.templates) {
    let start: number | undefined;
    for (const c of [...b.changes].sort((x, y) => x.at - y.at)) {
      if (c.kind !== 'template_status' || c.templateId !== template.id) continue;
      if (c.event === 'PAUSED') start = c.at;
      else if (start !== undefined) {
        out.push({ template, start, end: c.at });
        start = undefined;
      }
    }
    if (start !== undefined) out.push({ template, start, end: Number.POSITIVE_INFINITY });
  }
  return out;
}

/** A health change as the `changes[]` item Meta sends (field and value). */
export function healthChange(account: SandboxAccount, change: SandboxHealthChange): { field: string; value: Record<string, unknown> } {
  const b = businessOf(account);
  if (change.kind === 'number_quality') {
    const { limit } = numberStateAt(account, change.phone, change.at);
    return {
      field: 'phone_number_quality_update',
      value: { display_phone_number: change.phone, event: change.to === 'GREEN' ? 'UNFLAGGED' : 'FLAGGED', current_limit: limit },
    };
  }
  if (change.kind === 'messaging_limit') {
    const old = numberStateAt(account, change.phone, change.at - 1).limit;
    return {
      field: 'phone_number_quality_update',
      value: {
        display_phone_number: change.phone,
        event: LIMIT_ORDER.indexOf(change.to) < LIMIT_ORDER.indexOf(old) ? 'DOWNGRADE' : 'UPGRADE',
        old_limit: old,
        current_limit: change.to,
        max_daily_conversations_per_business: change.to,
      },
    };
  }
  const template = b.templates.find((t) => t.id === change.templateId)!;
  const named = {
    message_template_id: Number(template.id),
    message_template_name: template.name,
    message_template_language: template.language,
  };
  if (change.kind === 'template_quality')
    return {
      field: 'message_template_quality_update',
      value: { previous_quality_score: templateStateAt(account, template, change.at - 1).quality, new_quality_score: change.to, ...named },
    };
  return {
    field: 'message_template_status_update',
    value: {
      event: change.event,
      ...named,
      reason: null,
      message_template_category: template.category.toUpperCase(),
      ...(change.title || change.description ? { other_info: { title: change.title, description: change.description } } : {}),
    },
  };
}
