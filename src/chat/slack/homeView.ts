import type { SetupDigest } from '../setup/digests.js';
import type { SetupHome, SetupRule } from '../setup/home.js';
import { type Block, clip, escapeMrkdwn, LIMITS } from './render.js';

/** What the App Home's buttons are called back as (src/chat/slack/setup.ts listens for them). */
export const SETUP_ACTIONS = {
  newRule: 'setup_new_rule',
  editRule: 'setup_edit_rule',
  preview: 'setup_preview',
  deleteRule: 'setup_delete_rule',
} as const;

/** The digest buttons (src/chat/slack/digestSetup.ts listens for them). */
export const DIGEST_ACTIONS = {
  newDigest: 'setup_new_digest',
  editDigest: 'setup_edit_digest',
  deleteDigest: 'setup_delete_digest',
} as const;

/** Slack takes at most 100 blocks in a Home tab. */
const HOME_BLOCKS = 100;

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } });
const context = (text: string): Block => ({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, LIMITS.sectionText) }] });

function ruleBlock(rule: SetupRule): Block {
  if (rule.origin === 'config')
    return section(`:lock: ${escapeMrkdwn(rule.summary)}\n_${escapeMrkdwn(rule.id)} in the config file: change it there_`);
  const text = `:bell: ${escapeMrkdwn(rule.summary)}\n_${rule.id}, version ${rule.version}, last changed by <@${rule.updatedBy}>_${
    rule.problem ? `\n:warning: not checked: ${escapeMrkdwn(rule.problem)}` : ''
  }`;
  return {
    ...section(text),
    accessory: {
      type: 'button',
      action_id: SETUP_ACTIONS.editRule,
      text: { type: 'plain_text', text: 'Edit' },
      value: rule.id,
    },
  };
}

function digestBlock(digest: SetupDigest): Block {
  if (digest.origin === 'config')
    return section(`:lock: ${escapeMrkdwn(digest.summary)}\n_${escapeMrkdwn(digest.id)} in the config file: change it there_`);
  return {
    ...section(`:calendar: ${escapeMrkdwn(digest.summary)}\n_version ${digest.version}, last changed by <@${digest.updatedBy}>_`),
    accessory: { type: 'button', action_id: DIGEST_ACTIONS.editDigest, text: { type: 'plain_text', text: 'Edit' }, value: digest.id },
  };
}

/** The person's App Home: a "New alert rule" button, then each of their conversations that may see an account. */
export function homeView(home: SetupHome): { type: 'home'; blocks: Block[] } {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'WhatsApp delivery: your channels' } },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: SETUP_ACTIONS.newRule,
          style: 'primary',
          text: { type: 'plain_text', text: 'New alert rule' },
          value: 'new',
        },
        { type: 'button', action_id: DIGEST_ACTIONS.newDigest, text: { type: 'plain_text', text: 'New digest' }, value: 'new' },
      ],
    },
  ];
  if (home.conversations.length === 0)
    blocks.push(section('None of your channels may see a WhatsApp account yet: ask whoever runs waba-pulse to add an access rule.'));
  for (const c of home.conversations) {
    blocks.push({ type: 'divider' }, section(`*<#${c.conversation}>*\n${c.accounts.join('\n')}`));
    blocks.push(
      context(
        c.openAlerts.length ? `:rotating_light: Open: ${c.openAlerts.map(escapeMrkdwn).join(' · ')}` : ':white_check_mark: No open alerts',
      ),
    );
    if (c.rules.length === 0) blocks.push(context('No alert rules post here.'));
    for (const rule of c.rules) blocks.push(ruleBlock(rule));
    if (c.digests.length === 0) blocks.push(context('No digests post here.'));
    for (const digest of c.digests) blocks.push(digestBlock(digest));
  }
  if (home.changes.length)
    blocks.push(
      { type: 'divider' },
      section(
        `*Recent changes*\n${home.changes
          .map(
            (c) =>
              `${new Date(c.at).toISOString().slice(0, 16).replace('T', ' ')}Z <@${c.by}> ${c.action === 'update' ? 'changed' : c.action === 'create' ? 'made' : 'deleted'} ${c.subject}${c.target ? ` in <#${c.target.conversation}>` : ''}: ${escapeMrkdwn(c.summary)}`,
          )
          .join('\n')}`,
      ),
    );
  if (blocks.length > HOME_BLOCKS)
    return {
      type: 'home',
      blocks: [
        ...blocks.slice(0, HOME_BLOCKS - 1),
        context('…more than fits here: `waba-pulse check` lists every rule and digest, `waba-pulse runs --changes` every change.'),
      ],
    };
  return { type: 'home', blocks };
}
