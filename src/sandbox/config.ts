import type { SandboxAccount } from './accountModel.js';

/** The environment variable the demo and the example config read the sandbox token from. */
export const SANDBOX_TOKEN_ENV = 'WABA_PULSE_SANDBOX_TOKEN';

/**
 * A config document (as YAML would parse) for sandbox accounts: the demo's embedded defaults,
 * with each account's digests — a daily one by phone number and a weekly one by country — as a
 * team would configure them (the demo writes what they would post).
 */
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
    digests: accounts.flatMap((a) => [
      { account: a.name, every: 'daily', at: '09:00', by: 'phone', targets: [{ slack: { channel: 'C0DEMO' } }] },
      { account: a.name, every: 'weekly', day: 'mon', at: '09:00', by: 'country', targets: [{ slack: { channel: 'C0DEMO' } }] },
    ]),
  };
}
