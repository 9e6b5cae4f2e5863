import type Database from 'better-sqlite3';
import type { CredentialRecord, CredentialRepository, SecretEnvelope } from '../store';
import { ValidatedCache, type ChangeTracker } from './validated-cache';

interface Row {
  owner: string;
  name: string;
  type: string;
  fields: string;
  secrets: string;
  description: string;
  created_at: string;
  updated_at: string;
}

const toRecord = (row: Row): CredentialRecord => {
  const secrets = JSON.parse(row.secrets) as Record<string, SecretEnvelope>;
  for (const envelope of Object.values(secrets)) Object.freeze(envelope);
  return Object.freeze({
    owner: row.owner,
    name: row.name,
    type: row.type,
    fields: Object.freeze(JSON.parse(row.fields) as CredentialRecord['fields']),
    secrets: Object.freeze(secrets),
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
};

const toParams = (record: CredentialRecord) => ({
  owner: record.owner,
  name: record.name,
  type: record.type,
  fields: JSON.stringify(record.fields),
  secrets: JSON.stringify(record.secrets),
  description: record.description,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

/**
 * Reads always consult the shared file (a cached row only while SQLite reports no commit since):
 * a change made by any instance or the CLI is seen at once.
 */
export function sqliteCredentialRepository(db: Database.Database, changes: ChangeTracker): CredentialRepository {
  const get = db.prepare<[string, string], Row>('SELECT * FROM credentials WHERE owner = ? AND name = ?');
  const list = db.prepare<[string], Row>('SELECT * FROM credentials WHERE owner = ? ORDER BY name');
  const all = db.prepare<[], Row>('SELECT * FROM credentials ORDER BY owner, name');
  const insert = db.prepare(
    `INSERT INTO credentials (owner, name, type, fields, secrets, description, created_at, updated_at)
     VALUES (@owner, @name, @type, @fields, @secrets, @description, @createdAt, @updatedAt)
     ON CONFLICT (owner, name) DO NOTHING`,
  );
  const update = db.prepare(
    `UPDATE credentials SET type = @type, fields = @fields, secrets = @secrets, description = @description,
     updated_at = @updatedAt WHERE owner = @owner AND name = @name`,
  );
  const remove = db.prepare('DELETE FROM credentials WHERE owner = ? AND name = ?');
  // Resolved by every skill execution that uses a credential.
  const cache = new ValidatedCache<CredentialRecord>(changes);

  return {
    async get(owner, name) {
      return cache.read(`${owner}\u0000${name}`, () => {
        const row = get.get(owner, name);
        return row && toRecord(row);
      });
    },
    async list(owner) {
      return list.all(owner).map(toRecord);
    },
    async all() {
      return all.all().map(toRecord);
    },
    async insert(record) {
      return changes.wrote(insert.run(toParams(record)).changes > 0);
    },
    async update(record) {
      return changes.wrote(update.run(toParams(record)).changes > 0);
    },
    async delete(owner, name) {
      return changes.wrote(remove.run(owner, name).changes > 0);
    },
  };
}
