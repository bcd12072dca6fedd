import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { RuleNotFoundError, StaleRuleError } from '../errors.js';
import { type Database, num, type Tables } from './database.js';
import type { ChatTarget, RuleChange, RuleChangeAction, RuleRepository, StoredRule } from './types.js';

/**
 * Chat-made alert rules on SQL. Every change of a rule is made by one writer at a time (a lock per
 * rule, on every replica) and checks the version it edits under that lock, so of two edits of the
 * same version exactly one is written and the other is told; the change log is written in the
 * same transaction.
 */
export class SqlRuleRepository implements RuleRepository {
  constructor(private readonly database: Database) {}

  async createRule(input: { owner: ChatTarget; definition: Record<string, unknown>; by: string }, now: number): Promise<StoredRule> {
    const id = `r-${randomBytes(5).toString('hex')}`;
    const rule: StoredRule = {
      id,
      owner: { platform: input.owner.platform, conversation: input.owner.conversation },
      definition: input.definition,
      version: 1,
      createdBy: input.by,
      createdAt: now,
      updatedBy: input.by,
      updatedAt: now,
    };
    await this.database.q(() =>
      this.database.oneWriter(`rules:${id}`, async (tx) => {
        await tx
          .insertInto('rules')
          .values({
            id,
            platform: rule.owner.platform,
            conversation: rule.owner.conversation,
            definition: JSON.stringify(rule.definition),
            version: 1,
            created_by: input.by,
            created_at: now,
            updated_by: input.by,
            updated_at: now,
          })
          .execute();
        await logChange(tx, { ruleId: id, version: 1, action: 'create', by: input.by, at: now, before: null, after: rule.definition });
      }),
    );
    return rule;
  }

  async updateRule(id: string, expectedVersion: number, definition: Record<string, unknown>, by: string, now: number): Promise<StoredRule> {
    return this.database.q(() =>
      this.database.oneWriter(`rules:${id}`, async (tx) => {
        const current = await currentAt(tx, id, expectedVersion);
        const version = expectedVersion + 1;
        const changed = await tx
          .updateTable('rules')
          .set({ definition: JSON.stringify(definition), version, updated_by: by, updated_at: now })
          .where('id', '=', id)
          // Under the lock this always matches; it is the last word should the lock ever be bypassed.
          .where('version', '=', expectedVersion)
          .executeTakeFirst();
        if (Number(changed.numUpdatedRows) !== 1) throw new StaleRuleError(id, expectedVersion, current.version, current.updatedBy);
        await logChange(tx, { ruleId: id, version, action: 'update', by, at: now, before: current.definition, after: definition });
        return { ...current, definition, version, updatedBy: by, updatedAt: now };
      }),
    );
  }

  async deleteRule(id: string, expectedVersion: number, by: string, now: number): Promise<void> {
    await this.database.q(() =>
      this.database.oneWriter(`rules:${id}`, async (tx) => {
        const current = await currentAt(tx, id, expectedVersion);
        const gone = await tx.deleteFrom('rules').where('id', '=', id).where('version', '=', expectedVersion).executeTakeFirst();
        if (Number(gone.numDeletedRows) !== 1) throw new StaleRuleError(id, expectedVersion, current.version, current.updatedBy);
        await logChange(tx, {
          ruleId: id,
          version: expectedVersion + 1,
          action: 'delete',
          by,
          at: now,
          before: current.definition,
          after: null,
        });
      }),
    );
  }

  async rule(id: string): Promise<StoredRule | undefined> {
    return this.database.q(async () => {
      const row = await this.database.db.selectFrom('rules').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRule(row);
    });
  }

  async listRules(owner?: ChatTarget): Promise<StoredRule[]> {
    return this.database.q(async () => {
      let query = this.database.db.selectFrom('rules').selectAll().orderBy('created_at').orderBy('id');
      if (owner) query = query.where('platform', '=', owner.platform).where('conversation', '=', owner.conversation);
      return (await query.execute()).map(toRule);
    });
  }

  async ruleChanges(id: string): Promise<RuleChange[]> {
    return this.database.q(async () => {
      const rows = await this.database.db.selectFrom('rule_changes').selectAll().where('rule_id', '=', id).orderBy('version').execute();
      return rows.map(toChange);
    });
  }

  async recentRuleChanges(limit: number): Promise<RuleChange[]> {
    return this.database.q(async () => {
      const rows = await this.database.db
        .selectFrom('rule_changes')
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('rule_id')
        .orderBy('version', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toChange);
    });
  }
}

function toChange(r: Tables['rule_changes']): RuleChange {
  return {
    ruleId: r.rule_id,
    version: r.version,
    action: r.action as RuleChangeAction,
    by: r.by,
    at: num(r.at),
    before: r.before === null ? null : (JSON.parse(r.before) as Record<string, unknown>),
    after: r.after === null ? null : (JSON.parse(r.after) as Record<string, unknown>),
  };
}

/** The rule as stored now, if it is still at the version the edit started from. */
async function currentAt(tx: Kysely<Tables>, id: string, expectedVersion: number): Promise<StoredRule> {
  const row = await tx.selectFrom('rules').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new RuleNotFoundError(id);
  const current = toRule(row);
  if (current.version !== expectedVersion) throw new StaleRuleError(id, expectedVersion, current.version, current.updatedBy);
  return current;
}

async function logChange(tx: Kysely<Tables>, change: RuleChange): Promise<void> {
  await tx
    .insertInto('rule_changes')
    .values({
      rule_id: change.ruleId,
      version: change.version,
      action: change.action,
      by: change.by,
      at: change.at,
      before: change.before === null ? null : JSON.stringify(change.before),
      after: change.after === null ? null : JSON.stringify(change.after),
    })
    .execute();
}

function toRule(r: Tables['rules']): StoredRule {
  return {
    id: r.id,
    owner: { platform: r.platform as ChatTarget['platform'], conversation: r.conversation },
    definition: JSON.parse(r.definition) as Record<string, unknown>,
    version: Number(r.version),
    createdBy: r.created_by,
    createdAt: num(r.created_at),
    updatedBy: r.updated_by,
    updatedAt: num(r.updated_at),
  };
}
