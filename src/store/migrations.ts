import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Versioned schema, the same for SQLite and PostgreSQL: portable types only (text, integer,
 * bigint as milliseconds, 0/1 for booleans). New versions are appended, never edited.
 */
export function migrationsFor(dialect: 'sqlite' | 'postgres'): Record<string, Migration> {
  return {
    ...BASE,
    '005_alerts_and_dedupe': {
      async up(db: Kysely<unknown>) {
        // Counts above 2^31 - 1 (a month of a big WABA) overflow PostgreSQL's integer; SQLite's
        // integer is 64-bit already.
        if (dialect === 'postgres') {
          await sql`alter table bucket_cache alter column sent type bigint, alter column delivered type bigint`.execute(db);
        }
        // Every alert ever raised, by an unguessable key: buttons act on these and nothing else.
        await db.schema
          .createTable('alerts')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('short_id', 'text', (c) => c.notNull())
          .addColumn('rule', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('content', 'text', (c) => c.notNull())
          .addColumn('opened_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('alerts_short_id').on('alerts').column('short_id').execute();
        // Where each alert was posted: an action counts only in a conversation that got the alert.
        await db.schema
          .createTable('alert_messages')
          .addColumn('alert_key', 'text', (c) => c.notNull())
          .addColumn('platform', 'text', (c) => c.notNull())
          .addColumn('conversation', 'text', (c) => c.notNull())
          .addColumn('ref', 'text', (c) => c.notNull())
          .addColumn('posted_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('alert_messages_pk', ['alert_key', 'platform', 'conversation'])
          .execute();
        // Request signatures, command ids and webhook event ids already handled, until they expire.
        await db.schema
          .createTable('seen_keys')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('seen_keys_expires_at').on('seen_keys').column('expires_at').execute();
      },
      async down(db: Kysely<unknown>) {
        for (const table of ['seen_keys', 'alert_messages', 'alerts']) await sql`drop table ${sql.table(table)}`.execute(db);
      },
    },
    '006_settle_curves': {
      async up(db: Kysely<unknown>) {
        // How each account's deliveries arrive after a bucket ends, learned from successive checks.
        await db.schema
          .createTable('settle_stats')
          .addColumn('account_id', 'text', (c) => c.primaryKey())
          .addColumn('stats', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await sql`drop table settle_stats`.execute(db);
      },
    },
    '007_status_counts': {
      async up(db: Kysely<unknown>) {
        // WhatsApp status webhooks, counted per minute: no message ids, no recipient numbers.
        await db.schema
          .createTable('status_counts')
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('minute', 'bigint', (c) => c.notNull())
          .addColumn('phone', 'text', (c) => c.notNull())
          .addColumn('country', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('code', 'integer', (c) => c.notNull())
          .addColumn('category', 'text', (c) => c.notNull())
          .addColumn('count', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('status_counts_pk', ['account_id', 'minute', 'phone', 'country', 'status', 'code', 'category'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await sql`drop table status_counts`.execute(db);
      },
    },
    '008_health_events': {
      async up(db: Kysely<unknown>) {
        // Number, template and account health notifications, each kept once by its key (a hash
        // of account, time, field and value): a notification Meta sends again is not kept twice.
        await db.schema
          .createTable('health_events')
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('dedupe_key', 'text', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('field', 'text', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('health_events_pk', ['account_id', 'dedupe_key'])
          .execute();
        await db.schema.createIndex('health_events_account_at').on('health_events').columns(['account_id', 'at']).execute();
      },
      async down(db: Kysely<unknown>) {
        await sql`drop table health_events`.execute(db);
      },
    },
    '009_rules': {
      async up(db: Kysely<unknown>) {
        // Alert rules made in chat, in the YAML's own shape (JSON), versioned for edits that race.
        await db.schema
          .createTable('rules')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('platform', 'text', (c) => c.notNull())
          .addColumn('conversation', 'text', (c) => c.notNull())
          .addColumn('definition', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_by', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('rules_owner').on('rules').columns(['platform', 'conversation']).execute();
        // Every change, one row per version: kept after the rule is deleted (who removed it, and what it was).
        await db.schema
          .createTable('rule_changes')
          .addColumn('rule_id', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('by', 'text', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('before', 'text')
          .addColumn('after', 'text')
          .addPrimaryKeyConstraint('rule_changes_pk', ['rule_id', 'version'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await sql`drop table rule_changes`.execute(db);
        await sql`drop table rules`.execute(db);
      },
    },
    '010_chat_digests': {
      async up(db: Kysely<unknown>) {
        // Digests made in a chat form: the config's `day` and `by`, and a version for edits that race.
        const columns: Array<[string, 'text' | 'integer' | 'bigint', boolean]> = [
          ['day', 'integer', false],
          ['breakdown', 'text', false],
          ['version', 'integer', true],
          ['updated_by', 'text', false],
          ['updated_at', 'bigint', false],
        ];
        // One column per statement: SQLite adds no more at a time.
        for (const [name, type, versioned] of columns)
          await db.schema
            .alterTable('subscriptions')
            .addColumn(name, type, (c) => (versioned ? c.notNull().defaultTo(1) : c))
            .execute();
        // Every change of a digest made or edited in a form, one row per version: kept after it is deleted.
        await db.schema
          .createTable('digest_changes')
          .addColumn('digest_id', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('by', 'text', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('before', 'text')
          .addColumn('after', 'text')
          .addPrimaryKeyConstraint('digest_changes_pk', ['digest_id', 'version'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await sql`drop table digest_changes`.execute(db);
        for (const name of ['updated_at', 'updated_by', 'version', 'breakdown', 'day'])
          await db.schema.alterTable('subscriptions').dropColumn(name).execute();
      },
    },
  };
}

const BASE: Record<string, Migration> = {
  // (versions sort by name: 001, 002, ...)
  '001_chat_state': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('subscriptions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('conversation', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('every', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('subscriptions_target_account_every', ['platform', 'conversation', 'account_id', 'every'])
        .execute();
      await db.schema
        .createTable('alert_settings')
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('conversation', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('muted_until', 'bigint')
        .addPrimaryKeyConstraint('alert_settings_pk', ['platform', 'conversation', 'account_id'])
        .execute();
      await db.schema
        .createTable('alert_actions')
        .addColumn('alert_key', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('muted_until', 'bigint')
        .addPrimaryKeyConstraint('alert_actions_pk', ['alert_key', 'seq'])
        .execute();
      await db.schema
        .createTable('conversations')
        .addColumn('conversation', 'text', (c) => c.primaryKey())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text')
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('inactive_reason', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['conversations', 'alert_actions', 'alert_settings', 'subscriptions'])
        await sql`drop table ${sql.table(table)}`.execute(db);
    },
  },
  '002_runs': {
    async up(db: Kysely<unknown>) {
      // A scheduled run is claimed here before it posts: one row per job and period, so however
      // many replicas tick, one of them does the work.
      await db.schema
        .createTable('runs')
        .addColumn('job', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('claimed_by', 'text', (c) => c.notNull())
        .addColumn('claimed_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addPrimaryKeyConstraint('runs_pk', ['job', 'period'])
        .execute();
      await db.schema.createIndex('runs_claimed_at').on('runs').column('claimed_at').execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table runs`.execute(db);
    },
  },
  '003_alert_state': {
    async up(db: Kysely<unknown>) {
      // The lifecycle of each alert rule's current episode: open, reminded, resolved.
      await db.schema
        .createTable('alert_state')
        .addColumn('rule', 'text', (c) => c.primaryKey())
        .addColumn('alert_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('last_notified_at', 'bigint', (c) => c.notNull())
        .addColumn('reminders', 'integer', (c) => c.notNull())
        .addColumn('clean_checks', 'integer', (c) => c.notNull())
        .addColumn('resolved_at', 'bigint')
        .addColumn('summary', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table alert_state`.execute(db);
    },
  },
  '004_bucket_cache': {
    async up(db: Kysely<unknown>) {
      // Settled buckets fetched from Graph, by account and filter; and the span each key covers
      // (Graph omits empty buckets, so the points alone cannot say what was asked).
      await db.schema
        .createTable('bucket_cache')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('start', 'bigint', (c) => c.notNull())
        .addColumn('end', 'bigint', (c) => c.notNull())
        .addColumn('sent', 'integer', (c) => c.notNull())
        .addColumn('delivered', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('bucket_cache_pk', ['key', 'start'])
        .execute();
      await db.schema
        .createTable('bucket_coverage')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('start', 'bigint', (c) => c.notNull())
        .addColumn('end', 'bigint', (c) => c.notNull())
        // The phone numbers and countries Graph listed, as JSON: breakdowns need them.
        .addColumn('listed', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table bucket_coverage`.execute(db);
      await sql`drop table bucket_cache`.execute(db);
    },
  },
};
