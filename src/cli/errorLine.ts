import { CommanderError } from 'commander';
import { ConfigError, type ExitCode, isWabaPulseError } from '../errors.js';
import { redactSecrets } from '../secrets.js';

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.?!]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The one place the CLI turns an error into what the user sees: one line naming the bad value
 * and what to do, the exit code from the design, a stack trace only with --debug, and never a
 * secret.
 */
export function describeError(err: unknown, debug: boolean): { text: string; exitCode: ExitCode } {
  if (err instanceof CommanderError) {
    // An argument our own parser refused carries its own words after commander's preamble.
    const message = err.message
      .replace(/^error:\s*/, '')
      .replace(/^option '[^']*' argument '[^']*' is invalid\.\s+(?=\S)/, '')
      .replace(/\s*\n\s*/g, ' ');
    return { text: `waba-pulse: ${sentence(message)} Run waba-pulse --help for usage.\n`, exitCode: 2 };
  }
  if (isWabaPulseError(err)) {
    let text = `waba-pulse: ${sentence(err.message)}${err.hint ? ` ${sentence(capitalize(err.hint))}` : ''}\n`;
    if (debug && err instanceof ConfigError && err.problems.length > 1) text += err.problems.map((p) => `  ${p}\n`).join('');
    // The stable code scripts and logs match on, then where it came from.
    if (debug) text += `code: ${err.code}\n${err.stack ? `${err.stack}\n` : ''}`;
    return { text: redactSecrets(text), exitCode: err.exitCode };
  }
  const message = err instanceof Error ? err.message : String(err);
  let text = `waba-pulse: unexpected error: ${sentence(message)}${debug ? '' : ' Run again with --debug for details.'}\n`;
  if (debug && err instanceof Error && err.stack) text += `${err.stack}\n`;
  return { text: redactSecrets(text), exitCode: 1 };
}
