import type { SetupDigest } from '../setup/digests.js';
import type { SetupConversation, SetupRule } from '../setup/home.js';
import { type Card, card, noticeLine, rich, run, text } from './cards.js';
import { DIGEST_VERBS } from './digestCard.js';
import { confirmDelete, execute } from './formInputs.js';
import { SETUP_VERBS } from './ruleCard.js';

/** Rules and digests shown on the card, within a size Teams takes (it refuses a card over ~28 KB); past it, how many more. */
const SHOWN_ITEMS = 25;
const CARD_BYTES = 24 * 1024;
const SHOWN_ALERTS = 10;

function ruleItems(rule: SetupRule): unknown[] {
  if (rule.origin === 'config')
    return [
      rich([run(`🔒 ${rule.summary}`)], { spacing: 'Medium' }),
      rich([run(`${rule.id}: defined in waba-pulse.yaml, change it there`, { isSubtle: true, size: 'Small' })], { spacing: 'None' }),
    ];
  const data = { ruleId: rule.id, version: rule.version };
  return [
    rich([run(`🔔 ${rule.summary}`)], { spacing: 'Medium' }),
    rich([run(`${rule.id}, version ${rule.version}, last changed by ${rule.updatedBy}`, { isSubtle: true, size: 'Small' })], {
      spacing: 'None',
    }),
    ...(rule.problem ? [rich([run(`⚠️ not checked: ${rule.problem}`, { color: 'Warning', size: 'Small' })], { spacing: 'None' })] : []),
    {
      type: 'ActionSet',
      spacing: 'Small',
      actions: [
        execute('Edit', SETUP_VERBS.editRule, data),
        confirmDelete('Delete this rule? Its alerts stop; the change log keeps what it was.', SETUP_VERBS.deleteRule, data),
      ],
    },
  ];
}

function digestItems(digest: SetupDigest): unknown[] {
  if (digest.origin === 'config')
    return [
      rich([run(`🔒 ${digest.summary}`)], { spacing: 'Medium' }),
      rich([run(`${digest.id}: defined in waba-pulse.yaml, change it there`, { isSubtle: true, size: 'Small' })], { spacing: 'None' }),
    ];
  const data = { digestId: digest.id, version: digest.version };
  return [
    rich([run(`📬 ${digest.summary}`)], { spacing: 'Medium' }),
    rich([run(`version ${digest.version}, last changed by ${digest.updatedBy}`, { isSubtle: true, size: 'Small' })], { spacing: 'None' }),
    {
      type: 'ActionSet',
      spacing: 'Small',
      actions: [
        execute('Edit', DIGEST_VERBS.editDigest, data),
        confirmDelete('Delete this digest? It is not posted again.', DIGEST_VERBS.deleteDigest, data),
      ],
    },
  ];
}

/** Items while they fit the card's size, then how many more (the CLI lists them all). */
function within(body: unknown[], items: unknown[][], more: (n: number) => string): void {
  let bytes = Buffer.byteLength(JSON.stringify(body));
  let shown = 0;
  for (const item of items.slice(0, SHOWN_ITEMS)) {
    bytes += Buffer.byteLength(JSON.stringify(item));
    if (bytes > CARD_BYTES) break;
    body.push(...item);
    shown++;
  }
  if (items.length > shown) body.push(noticeLine(more(items.length - shown)));
}

/**
 * The conversation's settings, as the Slack App Home shows a channel (one model, `setupHome`):
 * its accounts with yesterday's delivery, their open alerts, the alert rules posting here — the
 * config file's read-only, those made in chat with Edit and Delete — and New alert rule.
 */
export function settingsCard(
  conversation: SetupConversation | undefined,
  options: { news?: { text: string; tone: 'good' | 'bad' } | undefined } = {},
): Card {
  const { news } = options;
  const body: unknown[] = [rich([run('WhatsApp delivery here: settings', { size: 'Medium', weight: 'Bolder' })])];
  if (news) body.push(rich([run(news.text, { weight: 'Bolder', color: news.tone === 'good' ? 'Good' : 'Attention' })]));
  if (!conversation)
    return card([...body, text('This conversation may see no WhatsApp account yet: ask whoever runs waba-pulse to add an access rule.')]);
  body.push(...conversation.accounts.map((line) => noticeLine(line)));
  const alerts = conversation.openAlerts;
  const shownAlerts = alerts.slice(0, SHOWN_ALERTS).join(' · ');
  const moreAlerts = alerts.length > SHOWN_ALERTS ? ` · …and ${alerts.length - SHOWN_ALERTS} more` : '';
  body.push(
    rich([run(alerts.length ? `🚨 Open: ${shownAlerts}${moreAlerts}` : '✅ No open alerts')], { spacing: 'Medium' }),
    text('Digests posted here', { weight: 'Bolder', spacing: 'Large' }),
  );
  const digests = conversation.digests;
  if (digests.length === 0) body.push(text('None yet.', { isSubtle: true, spacing: 'Small' }));
  within(body, digests.map(digestItems), (n) => `…and ${n} more: \`@waba-pulse subscriptions\` lists them all`);
  body.push(text('Alert rules posting here', { weight: 'Bolder', spacing: 'Large' }));
  const rules = conversation.rules;
  if (rules.length === 0) body.push(text('None yet.', { isSubtle: true, spacing: 'Small' }));
  within(body, rules.map(ruleItems), (n) => `…and ${n} more: \`waba-pulse check\` lists them all, \`waba-pulse rules export\` prints them`);
  return card(body, [
    execute('New alert rule', SETUP_VERBS.newRule, {}, { style: 'positive' }),
    execute('New digest', DIGEST_VERBS.newDigest, {}),
  ]);
}
