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
  {
    version: 2,
    name: 'users, api keys, credentials, credential audit',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id),
        key_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        roles TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );
      CREATE INDEX api_keys_user ON api_keys (user_id);
      CREATE TABLE credentials (
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        fields TEXT NOT NULL,
        secrets TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (owner, name)
      );
      CREATE TABLE credential_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        owner TEXT NOT NULL,
        credential TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        via TEXT NOT NULL,
        instance TEXT NOT NULL,
        ok INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX credential_audit_owner ON credential_audit (owner, credential, id);
    `,
  },
  {
    version: 3,
    name: 'runs and run steps',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        steps TEXT NOT NULL,
        data_store TEXT NOT NULL,
        next_step INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        callback_url TEXT,
        callback_status TEXT,
        callback_attempts INTEGER NOT NULL DEFAULT 0,
        callback_next_at INTEGER,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        takeovers INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        completed_at TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX runs_owner ON runs (owner, created_at);
      CREATE INDEX runs_claim ON runs (status, lease_expires_at);
      CREATE INDEX runs_callback ON runs (callback_status, callback_next_at);
      CREATE TABLE run_steps (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        skill TEXT NOT NULL,
        status TEXT NOT NULL,
        safe_to_repeat INTEGER NOT NULL DEFAULT 1,
        attempts INTEGER NOT NULL DEFAULT 0,
        instance TEXT,
        error TEXT,
        outputs TEXT,
        started_at TEXT,
        completed_at TEXT,
        PRIMARY KEY (run_id, idx)
      );
    `,
  },
];
