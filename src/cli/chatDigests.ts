import { DateTime } from 'luxon';
import { lookupAccount } from '../config/accounts.js';
import type { Config } from '../config/load.js';
import { configDigests, coverageKey, describeSchedule, nextOccurrence, subscriptionDigest } from '../jobs/digests.js';
import { redactSecrets } from '../secrets.js';
import type { Subscription } from '../store/types.js';
import type { CliIo } from './io.js';
import { readStore } from './rules.js';

/**
 * What `check` says of the digests made in chat (or by `subscribe`), beside the config's: each as
 * the scheduler runs it (and when next), or why it would not — the config file posting the same
 * digest there, its account gone from the config, its platform not set up here.
 */
export async function chatDigestLines(config: Config, io: CliIo, platformsOn: ReadonlySet<string>): Promise<string[]> {
  let stored: Subscription[] | undefined;
  try {
    stored = await readStore(io, (store) => store.preferences.listSubscriptions());
  } catch (err) {
    return [`! chat-made digests: cannot read the store (${redactSecrets((err as Error).message)})`];
  }
  if (!stored?.length) return ['✓ chat-made digests: none'];
  const covering = new Map(configDigests(config).map((d) => [coverageKey(d), d.origin]));
  const now = io.now();
  return stored.map((s) => {
    const digest = subscriptionDigest(s);
    const where = `${s.platform} ${s.conversation}`;
    const origin = covering.get(coverageKey(digest));
    if (origin)
      return `! chat digest ${s.id} (${where}) is not run: ${origin} in the config file posts the ${s.every} digest of that account there`;
    const account = lookupAccount(config.accounts, s.accountId);
    if (!account) return `! chat digest ${s.id} (${where}) fails when due: account ${s.accountId} is no longer in the config`;
    if (!platformsOn.has(s.platform))
      return `! chat digest ${s.id} → ${where}: ${config.platforms.find((p) => p.key === s.platform)?.label ?? s.platform} is not set up in this environment: nothing is posted there`;
    const next = nextOccurrence(digest, now);
    const when = next ? DateTime.fromMillis(next.at, { zone: s.timezone }).toFormat('ccc d LLL HH:mm') : 'never';
    return `✓ chat digest ${s.id}: ${account.name} ${describeSchedule(s)}${s.by ? ` by ${s.by}` : ''} → ${where}; next ${when} (version ${s.version}, by ${s.updatedBy})`;
  });
}
