/**
 * The shared store behind every instance. Asynchronous on purpose: the embedded SQLite
 * implementation answers synchronously, a PostgreSQL one will not, and callers must not care.
 */
export interface Store {
  /** e.g. `sqlite /srv/app/data/sop.db`, for logs and diagnostics (never a password). */
  readonly description: string;
  readonly meta: MetaRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly credentials: CredentialRepository;
  readonly audit: CredentialAuditRepository;
  /** Cheap round trip used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Small named values shared by all instances (e.g. the master-key check value). */
export interface MetaRepository {
  get(key: string): Promise<string | undefined>;
  /** Writes `value` only if `key` has none yet; returns the value now stored. */
  setIfAbsent(key: string, value: string): Promise<string>;
  set(key: string, value: string): Promise<void>;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  readonly keyHash: string;
  /** First characters of the key, to recognise it in listings. */
  readonly prefix: string;
  readonly roles: readonly string[];
  readonly label: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export interface ApiKeyRepository {
  /** Creates the user row if needed, then the key. */
  insert(record: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  list(userId?: string): Promise<ApiKeyRecord[]>;
  /** Returns false when no active key has that id. */
  revoke(id: string, at: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
}

/** One encrypted value: AES-256-GCM, base64 parts, with the id of the key that encrypted it. */
export interface SecretEnvelope {
  readonly kid: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

export interface CredentialRecord {
  readonly owner: string;
  readonly name: string;
  readonly type: string;
  /** Non-secret fields, stored as they are. */
  readonly fields: Readonly<Record<string, string | number>>;
  /** Secret fields, each encrypted on its own. */
  readonly secrets: Readonly<Record<string, SecretEnvelope>>;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CredentialRepository {
  get(owner: string, name: string): Promise<CredentialRecord | undefined>;
  list(owner: string): Promise<CredentialRecord[]>;
  /** Every record of every owner, for key rotation. */
  all(): Promise<CredentialRecord[]>;
  /** Returns false when (owner, name) already exists. */
  insert(record: CredentialRecord): Promise<boolean>;
  /** Returns false when (owner, name) does not exist. */
  update(record: CredentialRecord): Promise<boolean>;
  delete(owner: string, name: string): Promise<boolean>;
}

export interface CredentialAuditEntry {
  readonly at: string;
  readonly owner: string;
  readonly credential: string;
  /** Who acted: the authenticated user id, or `cli`. */
  readonly actor: string;
  readonly action: 'create' | 'update' | 'delete' | 'use' | 'test' | 'reveal' | 'rotate';
  /** Which skill or route, e.g. `skill:GitHubRepoInfo`, `PUT /credentials/:name`, `cli`. */
  readonly via: string;
  readonly instance: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface CredentialAuditRepository {
  /** Appends entries in one transaction. */
  append(entries: readonly CredentialAuditEntry[]): Promise<void>;
  list(filter: { owner?: string; credential?: string; limit: number }): Promise<Array<CredentialAuditEntry & { id: number }>>;
}

export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}
