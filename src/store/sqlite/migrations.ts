export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Applied in order, each once, inside one IMMEDIATE transaction so that N instances starting
 * together serialise on the write lock instead of racing. Keep the SQL portable (TEXT ids,
 * ISO timestamps as TEXT, INTEGER booleans): the PostgreSQL store will reuse the same shape.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'meta',
    sql: `
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];
