import { type Block, clip } from './render.js';

// The pieces the settings modals (rule form, digest form) are built of, each field an input
// block whose value comes back under the block's id, action `value`.

/** Slack's most options in a select. */
const SELECT_OPTIONS = 100;

export const option = (value: string, label = value) => ({ text: { type: 'plain_text' as const, text: clip(label, 75) }, value });

/** A required single choice, `initial` chosen. */
export function select(block: string, label: string, all: Array<{ value: string; label: string }>, initial: string | undefined): Block {
  // Slack offers at most 100 options, the chosen one among them (past 100, the rest is in the config file).
  const chosen = all.find((o) => o.value === initial);
  const options = all.slice(0, SELECT_OPTIONS);
  if (chosen && !options.includes(chosen)) options.splice(SELECT_OPTIONS - 1, 1, chosen);
  return {
    type: 'input',
    block_id: block,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'static_select',
      action_id: 'value',
      options: options.map((o) => option(o.value, o.label)),
      ...(chosen ? { initial_option: option(chosen.value, chosen.label) } : {}),
    },
  };
}

/** A line of text to type, with a hint under it. */
export function textInput(block: string, label: string, hint: string, initial: string | undefined, optional = true): Block {
  return {
    type: 'input',
    block_id: block,
    optional,
    label: { type: 'plain_text', text: label },
    hint: { type: 'plain_text', text: hint },
    element: { type: 'plain_text_input', action_id: 'value', ...(initial ? { initial_value: initial } : {}) },
  };
}

/** A red Delete button that Slack asks to confirm first ("Delete this rule?"): what is deleted and what follows. */
export function deleteButton(actionId: string, what: 'rule' | 'digest', consequence: string) {
  return {
    type: 'button',
    action_id: actionId,
    style: 'danger',
    text: { type: 'plain_text', text: `Delete ${what}` },
    value: 'delete',
    confirm: {
      title: { type: 'plain_text', text: `Delete this ${what}?` },
      text: { type: 'plain_text', text: consequence },
      confirm: { type: 'plain_text', text: 'Delete' },
      deny: { type: 'plain_text', text: 'Keep it' },
    },
  };
}

/** The channel a rule or digest posts to: the one the form was opened from unless one is chosen. */
export function channelSelect(block: string, label: string, initial: string | undefined): Block {
  return {
    type: 'input',
    block_id: block,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'conversations_select',
      action_id: 'value',
      filter: { include: ['public', 'private'], exclude_bot_users: true },
      ...(initial ? { initial_conversation: initial } : { default_to_current_conversation: true }),
    },
  };
}
