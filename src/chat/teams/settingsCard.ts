import type { SetupConversation, SetupRule } from '../setup/home.js';
import { type Card, card, noticeLine, rich, run, text } from './cards.js';
import { execute, SETUP_VERBS } from './ruleCard.js';

/** Rules shown on the card, within a size Teams takes (it refuses a card over ~28 KB); past it, how many more. */
const SHOWN_RULES = 25;
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
        {
          type: 'Action.ShowCard',
          title: 'Delete…',
          card: {
            type: 'AdaptiveCard',
            body: [text('Delete this rule? Its alerts stop; the change log keeps what it was.', { size: 'Small' })],
            actions: [execute('Delete', SETUP_VERBS.deleteRule, data, { style: 'destructive' })],
          },
        },
      ],
    },
  ];
}

/**
 * The conversation's settings, as the Slack App Home shows a channel (one model, `setupHome`):
 * its accounts with yesterday's delivery, their open alerts, the alert rules posting here — the
 * config file's read-only, those made in chat with Edit and Delete — and New alert rule.
 */
export function settingsCard(conversation: SetupConversation | undefined, news?: { text: string; tone: 'good' | 'bad' }): Card {
  const body: unknown[] = [rich([run('WhatsApp delivery here: settings', { size: 'Medium', weight: 'Bolder' })])];
  if (news) body.push(rich([run(news.text, { weight: 'Bolder', color: news.tone === 'good' ? 'Good' : 'Attention' })]));
  if (!conversation)
    return card([
      ...body,
      text('This conversation may see no WhatsApp account yet: ask whoever runs waba-pulse to add an access rule.'),
    ]);
  body.push(...conversation.accounts.map((line) => noticeLine(line)));
  const alerts = conversation.openAlerts;
  body.push(
    alerts.length
      ? rich([run(`🚨 Open: ${alerts.slice(0, SHOWN_ALERTS).join(' · ')}${alerts.length > SHOWN_ALERTS ? ` · …and ${alerts.length - SHOWN_ALERTS} more` : ''}`)], {
          spacing: 'Medium',
        })
      : rich([run('✅ No open alerts')], { spacing: 'Medium' }),
    text('Alert rules posting here', { weight: 'Bolder', spacing: 'Large' }),
  );
  const rules = conversation.rules;
  if (rules.length === 0) body.push(text('None yet.', { isSubtle: true, spacing: 'Small' }));
  let bytes = Buffer.byteLength(JSON.stringify(body));
  let shown = 0;
  for (const rule of rules.slice(0, SHOWN_RULES)) {
    const items = ruleItems(rule);
    bytes += Buffer.byteLength(JSON.stringify(items));
    if (bytes > CARD_BYTES) break;
    body.push(...items);
    shown++;
  }
  if (rules.length > shown)
    body.push(noticeLine(`…and ${rules.length - shown} more: \`waba-pulse check\` lists them all, \`waba-pulse rules export\` prints them`));
  return card(body, [execute('New alert rule', SETUP_VERBS.newRule, {}, { style: 'positive' })]);
}
