import { rich, run, text } from './cards.js';

// The pieces the settings cards (rule form, digest form, settings) are built of: inputs whose
// values come back (with the button's data) in the `adaptiveCard/action` invoke, and buttons.

export const choice = (value: string, title = value) => ({ title, value });

/** A button that calls the bot back with `verb`, the card's inputs (unless `associatedInputs: 'none'`) and `data`. */
export function execute(title: string, verb: string, data: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { type: 'Action.Execute', title, verb, data, ...extra };
}

/** A line in red: the server's words, in rich text (they quote what was typed, which Teams must not read as Markdown). */
export function problemLine(words: string, small = true) {
  return rich([run(`⚠️ ${words}`, { color: 'Attention', ...(small ? { size: 'Small' } : {}) })], small ? { spacing: 'None' } : {});
}

/** An input with its label, and the server's word on it (red, under it) when there is one. */
export function field(input: Record<string, unknown>, label: string, error: string | undefined): unknown[] {
  return [{ ...input, label }, ...(error ? [problemLine(error)] : [])];
}

export function choiceSet(id: string, choices: Array<{ title: string; value: string }>, value: string | undefined, extra = {}) {
  return { type: 'Input.ChoiceSet', id, style: 'compact', choices, ...(value ? { value } : {}), ...extra };
}

export function textInput(id: string, placeholder: string, value: string | undefined) {
  return { type: 'Input.Text', id, placeholder, ...(value ? { value } : {}) };
}

/** "Delete…", opening a question and the red Delete that calls `verb` with `data` (and no inputs). */
export function confirmDelete(question: string, verb: string, data: Record<string, unknown>) {
  return {
    type: 'Action.ShowCard',
    title: 'Delete…',
    card: {
      type: 'AdaptiveCard',
      body: [text(question, { size: 'Small' })],
      actions: [execute('Delete', verb, data, { style: 'destructive', associatedInputs: 'none' })],
    },
  };
}
