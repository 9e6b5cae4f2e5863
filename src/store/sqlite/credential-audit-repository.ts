import type Database from 'better-sqlite3';
import type { CredentialAuditEntry, CredentialAuditRepository } from '../store';

interface Row {
  id: number;
  at: string;
  owner: string;
  credential: string;
  actor: string;
  action: CredentialAuditEntry['action'];
  via: string;
  instance: string;
  ok: number;
  detail: string;
}

export function sqliteCredentialAuditRepository(db: Database.Database): CredentialAuditRepository {
  const append = db.prepare(
    `INSERT INTO credential_audit (at, owner, credential, actor, action, via, instance, ok, detail)
     VALUES (@at, @owner, @credential, @actor, @action, @via, @instance, @ok, @detail)`,
  );
  const list = db.prepare<{ owner: string | null; credential: string | null; limit: number }, Row>(
    `SELECT * FROM credential_audit
     WHERE (@owner IS NULL OR owner = @owner) AND (@credential IS NULL OR credential = @credential)
     ORDER BY id DESC LIMIT @limit`,
  );
  const appendAll = db.transaction((entries: readonly CredentialAuditEntry[]) => {
    for (const entry of entries) append.run({ ...entry, ok: entry.ok ? 1 : 0 });
  });
  return {
    async append(entries) {
      appendAll(entries);
    },
    async list({ owner, credential, limit }) {
      return list
        .all({ owner: owner ?? null, credential: credential ?? null, limit })
        .map((row) => ({ ...row, ok: row.ok === 1 }));
    },
  };
}
