import type Database from 'better-sqlite3';
import type { CredentialRecord, CredentialRepository } from '../store';

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

const toRecord = (row: Row): CredentialRecord => ({
  owner: row.owner,
  name: row.name,
  type: row.type,
  fields: JSON.parse(row.fields) as CredentialRecord['fields'],
  secrets: JSON.parse(row.secrets) as CredentialRecord['secrets'],
  description: row.description,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

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

/** Reads always go to the shared file: a change made by any instance or the CLI is seen at once. */
export function sqliteCredentialRepository(db: Database.Database): CredentialRepository {
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

  return {
    async get(owner, name) {
      const row = get.get(owner, name);
      return row && toRecord(row);
    },
    async list(owner) {
      return list.all(owner).map(toRecord);
    },
    async all() {
      return all.all().map(toRecord);
    },
    async insert(record) {
      return insert.run(toParams(record)).changes > 0;
    },
    async update(record) {
      return update.run(toParams(record)).changes > 0;
    },
    async delete(owner, name) {
      return remove.run(owner, name).changes > 0;
    },
  };
}
