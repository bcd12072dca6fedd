import { type Database, num, type Tables } from './database.js';
import { documents, readDocument } from './documents.js';
import type { ConversationRecord, ConversationRepository } from './types.js';

/** Conversation references on SQL, one row per conversation. */
export class SqlConversationRepository implements ConversationRepository {
  constructor(private readonly database: Database) {}

  async saveConversation(
    record: Omit<ConversationRecord, 'active' | 'inactiveReason'>,
    options: { overwrite?: boolean } = {},
  ): Promise<void> {
    // Being spoken to (again) makes a conversation active (again).
    const row = {
      conversation: record.conversation,
      reference: JSON.stringify(record.reference),
      tenant: record.tenant,
      active: 1,
      inactive_reason: null,
      updated_at: record.updatedAt,
    };
    await this.database.q(() =>
      this.database.db
        .insertInto('conversations')
        .values(row)
        .onConflict((oc) =>
          options.overwrite === false
            ? oc.column('conversation').doNothing()
            : oc.column('conversation').doUpdateSet({
                reference: row.reference,
                tenant: row.tenant,
                active: 1,
                inactive_reason: null,
                updated_at: row.updated_at,
              }),
        )
        .execute(),
    );
  }

  async markConversationInactive(conversation: string, reason: string, now: number): Promise<void> {
    await this.database.q(() =>
      this.database.db
        .updateTable('conversations')
        .set({ active: 0, inactive_reason: reason, updated_at: now })
        .where('conversation', '=', conversation)
        .execute(),
    );
  }

  async conversation(conversation: string): Promise<ConversationRecord | undefined> {
    return this.database.q(async () => {
      const row = await this.database.db
        .selectFrom('conversations')
        .selectAll()
        .where('conversation', '=', conversation)
        .executeTakeFirst();
      return row ? toConversation(row) : undefined;
    });
  }

  async listConversations(options: { activeOnly?: boolean } = {}): Promise<ConversationRecord[]> {
    return this.database.q(async () => {
      let query = this.database.db.selectFrom('conversations').selectAll().orderBy('conversation');
      if (options.activeOnly) query = query.where('active', '=', 1);
      return (await query.execute()).map(toConversation);
    });
  }
}

function toConversation(r: Tables['conversations']): ConversationRecord {
  return {
    conversation: r.conversation,
    reference: readDocument(documents.conversationReference, r.reference, `the reference of conversation ${r.conversation}`),
    tenant: r.tenant,
    active: r.active === 1,
    inactiveReason: r.inactive_reason,
    updatedAt: num(r.updated_at),
  };
}
