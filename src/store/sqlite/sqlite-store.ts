import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreOpenError, type MetaRepository, type Store } from '../store';
import { sqliteApiKeyRepository } from './api-key-repository';
import { sqliteCredentialAuditRepository } from './credential-audit-repository';
import { sqliteCredentialRepository } from './credential-repository';
import { sqliteRunRepository } from './run-repository';
import { MIGRATIONS, type Migration } from './migrations';
import { ChangeTracker } from './validated-cache';

type Db = Database.Database;

export interface SqliteStoreOptions {
  readonly file: string;
  /** How long a writer waits for another instance's lock before failing. */
  readonly busyTimeoutMs?: number;
}

/** Opens (and migrates) the SQLite file that every instance on this host shares. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = openDatabase(options);
  const ping = db.prepare('SELECT 1');
  const changes = new ChangeTracker(db);
  return {
    description: `sqlite ${options.file}`,
    meta: sqliteMetaRepository(db),
    apiKeys: sqliteApiKeyRepository(db, changes),
    credentials: sqliteCredentialRepository(db, changes),
    audit: sqliteCredentialAuditRepository(db),
    runs: sqliteRunRepository(db),
    async ping() {
      ping.get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

function openDatabase({ file, busyTimeoutMs = 5000 }: SqliteStoreOptions): Db {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) {
    throw new StoreOpenError(`data folder ${dir} does not exist: run \`npm run setup\` (it creates it) or create it`);
  }
  let db: Db;
  try {
    db = new Database(file);
    // busy_timeout first: switching to WAL needs a lock another instance may hold.
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    throw new StoreOpenError(`cannot open ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    migrate(db, MIGRATIONS);
  } catch (error) {
    db.close();
    throw new StoreOpenError(`cannot migrate ${file}: ${(error as Error).message}`, { cause: error });
  }
  return db;
}

export function migrate(db: Db, migrations: readonly Migration[]): number[] {
  const applied: number[] = [];
  const run = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
    const current = row.version ?? 0;
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
      applied.push(migration.version);
    }
  });
  run.immediate();
  return applied;
}

function sqliteMetaRepository(db: Db): MetaRepository {
  const select = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const insertIfAbsent = db.prepare('INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING');
  const upsert = db.prepare(
    'INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  );
  return {
    async get(key) {
      return select.get(key)?.value;
    },
    async setIfAbsent(key, value) {
      insertIfAbsent.run(key, value, new Date().toISOString());
      return select.get(key)?.value ?? value;
    },
    async set(key, value) {
      upsert.run(key, value, new Date().toISOString());
    },
  };
}
