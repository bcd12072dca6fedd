/**
 * The Bot Framework hosts a Teams activity's `serviceUrl` may name: the public cloud's
 * `smba.trafficmanager.net` and the US government clouds (Microsoft's documented Teams service
 * endpoints), plus Bot Framework's own `*.botframework.com` channels. Anything else — a host an
 * unauthenticated request made up — is never called and never stored. `teams.serviceUrls` in
 * the config adds exact prefixes (the Bot Framework Emulator, a test connector).
 */
const TEAMS_HOSTS = new Set([
  'smba.trafficmanager.net',
  'smba.infra.gcc.teams.microsoft.com',
  'smba.infra.gov.teams.microsoft.us',
  'smba.infra.dod.teams.microsoft.us',
]);

export function isAllowedServiceUrl(value: string, extra: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'https:' && (TEAMS_HOSTS.has(url.hostname) || url.hostname.endsWith('.botframework.com'))) return true;
  const normalized = url.href.replace(/\/?$/, '/');
  return extra.some((allowed) => normalized.startsWith(allowed.replace(/\/?$/, '/')));
}
