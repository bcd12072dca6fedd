import type { SandboxAccount } from './traffic.js';

/** The environment variable the demo and the example config read the sandbox token from. */
export const SANDBOX_TOKEN_ENV = 'WABA_PULSE_SANDBOX_TOKEN';

/** A config document (as YAML would parse) for sandbox accounts: the demo's embedded defaults. */
export function sandboxConfigDocument(accounts: readonly SandboxAccount[], graphApiUrl: string): Record<string, unknown> {
  return {
    graph: { apiUrl: graphApiUrl },
    accounts: accounts.map((a) => ({
      id: a.id,
      name: a.name,
      displayName: a.displayName,
      token: `\${${SANDBOX_TOKEN_ENV}}`,
      timezone: a.timezone,
    })),
  };
}
