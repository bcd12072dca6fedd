import { type DatabaseIntrospector, type Kysely, PostgresDialect, type SchemaMetadata, sql, type TableMetadata } from 'kysely';

/**
 * PostgreSQL as Kysely speaks it, except that the migrator looks only at waba-pulse's own schema.
 * Kysely's own introspector lists every table of every schema through functions that resolve
 * each schema by name (`pg_get_serial_sequence`, `has_schema_privilege`), so a schema another
 * application drops at that moment fails our migration with "schema … does not exist".
 */
export class OwnSchemaPostgresDialect extends PostgresDialect {
  constructor(
    config: ConstructorParameters<typeof PostgresDialect>[0],
    private readonly schema: string,
  ) {
    super(config);
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    const schema = this.schema;
    return {
      async getSchemas(): Promise<SchemaMetadata[]> {
        const { rows } = await sql<{ name: string }>`select nspname as name from pg_namespace where nspname = ${schema}`.execute(db);
        return rows;
      },
      async getTables(): Promise<TableMetadata[]> {
        // The migrator asks only whether its two tables exist: names are all it reads.
        const { rows } = await sql<{ name: string; type: string }>`
          select table_name as name, table_type as type from information_schema.tables where table_schema = ${schema}`.execute(db);
        return rows.map((r) => ({ name: r.name, schema, isView: r.type === 'VIEW', columns: [] }));
      },
      async getMetadata(options) {
        return { tables: await this.getTables(options) };
      },
    };
  }
}
