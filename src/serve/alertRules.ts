import { configRules, type Rule } from '../alerts/checker.js';
import { runnableChatRules } from '../config/chatRules.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import type { StoreWith } from '../store/types.js';

/**
 * The alert rules `serve` checks at each tick: the config's, then those made in chat, read from the
 * store every tick (an edit counts from the next minute, on every replica). A chat rule that no
 * longer validates is skipped and said once per version; a store that cannot be read leaves the
 * config's rules running.
 */
export function alertRuleSource(
  config: Config,
  store: StoreWith<'rules'>,
  logger: Logger,
): (now: number) => Promise<Array<{ id: string; rule: Rule }>> {
  const fromConfig = configRules(config);
  const told = new Set<string>();
  return async () => {
    try {
      const stored = await store.rules.listRules();
      const { rules, problems } = runnableChatRules(config, stored);
      for (const p of problems) {
        const version = stored.find((s) => s.id === p.id)?.version;
        if (told.has(`${p.id}@${version}`)) continue;
        told.add(`${p.id}@${version}`);
        logger.warn(
          { rule: p.id, problems: p.problems.map((x) => `${x.path}: ${x.message}`) },
          'chat-made alert rule skipped: it does not validate',
        );
      }
      return [...fromConfig, ...rules];
    } catch (err) {
      logger.warn({ err: redactSecrets((err as Error).message) }, 'chat-made alert rules unreadable; checking the config rules only');
      return fromConfig;
    }
  };
}
