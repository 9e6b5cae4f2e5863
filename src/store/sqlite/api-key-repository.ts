import type Database from 'better-sqlite3';
import type { ApiKeyRecord, ApiKeyRepository } from '../store';
import { ValidatedCache, type ChangeTracker } from './validated-cache';

interface Row {
  id: string;
  user_id: string;
  key_hash: string;
  prefix: string;
  roles: string;
  label: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const toRecord = (row: Row): ApiKeyRecord =>
  Object.freeze({
    id: row.id,
    userId: row.user_id,
    keyHash: row.key_hash,
    prefix: row.prefix,
    roles: Object.freeze(row.roles.split(',')),
    label: row.label,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  });

export function sqliteApiKeyRepository(db: Database.Database, changes: ChangeTracker): ApiKeyRepository {
  const insertUser = db.prepare('INSERT INTO users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  const insertKey = db.prepare(
    `INSERT INTO api_keys (id, user_id, key_hash, prefix, roles, label, created_at)
     VALUES (@id, @userId, @keyHash, @prefix, @roles, @label, @createdAt)`,
  );
  const byHash = db.prepare<[string], Row>('SELECT * FROM api_keys WHERE key_hash = ?');
  const all = db.prepare<[], Row>('SELECT * FROM api_keys ORDER BY created_at, id');
  const byUser = db.prepare<[string], Row>('SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at, id');
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
  const insert = db.transaction((record: ApiKeyRecord) => {
    insertUser.run(record.userId, record.createdAt);
    insertKey.run({ ...record, roles: record.roles.join(',') });
  });
  // Every authenticated request looks its key up: served from memory while the database is unchanged.
  const cache = new ValidatedCache<ApiKeyRecord>(changes);

  return {
    async insert(record) {
      changes.wrote(insert(record));
    },
    async findByHash(keyHash) {
      return cache.read(keyHash, () => {
        const row = byHash.get(keyHash);
        return row && toRecord(row);
      });
    },
    async list(userId) {
      return (userId === undefined ? all.all() : byUser.all(userId)).map(toRecord);
    },
    async revoke(id, at) {
      return changes.wrote(revoke.run(at, id).changes > 0);
    },
    async touch(id, at) {
      changes.wrote(touch.run(at, id));
    },
  };
}
