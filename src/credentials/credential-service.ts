import { ZodError } from 'zod';
import { AppError } from '../errors/app-error';
import { describeZodError } from '../errors/error-handler';
import type { CredentialAuditEntry, CredentialRecord, SecretEnvelope, Store } from '../store/store';
import {
  createCredentialSchema,
  isCredentialType,
  parseCredentialData,
  secretFieldsOf,
  updateCredentialSchema,
  type CredentialData,
  type CredentialType,
} from './credential-types';
import { AuditLog } from './audit-log';
import { CredentialCryptoError, CredentialVault } from './credential-vault';

/** What the API and CLI show: never a secret value, only which secret fields are set. */
export interface CredentialMetadata {
  readonly owner: string;
  readonly name: string;
  readonly type: string;
  readonly description: string;
  readonly fields: Readonly<Record<string, string | number>>;
  readonly secretFields: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ResolvedCredential {
  readonly owner: string;
  readonly name: string;
  readonly type: CredentialType;
  readonly data: CredentialData;
}

export interface RotationResult {
  readonly total: number;
  readonly moved: number;
  readonly failed: ReadonlyArray<{ owner: string; name: string; reason: string }>;
}

/** Who acts and through what, for the access audit. */
export interface AccessOrigin {
  readonly actor: string;
  readonly via: string;
}

export class CredentialService {
  readonly #audit: AuditLog;

  constructor(
    private readonly store: Store,
    private readonly vault: CredentialVault,
    private readonly instance: string,
    onAuditError?: (error: unknown, lost: number) => void,
  ) {
    this.#audit = new AuditLog(store.audit, onAuditError);
  }

  /** Writes pending audit entries now (shutdown, CLI exit, tests reading the audit). */
  flushAudit(): Promise<void> {
    return this.#audit.flush();
  }

  async list(owner: string): Promise<CredentialMetadata[]> {
    return (await this.store.credentials.list(owner)).map(toMetadata);
  }

  async get(owner: string, name: string): Promise<CredentialMetadata> {
    return toMetadata(await this.#require(owner, name));
  }

  async create(owner: string, input: unknown, origin: AccessOrigin): Promise<CredentialMetadata> {
    const { name, type, description, data } = createCredentialSchema.parse(input);
    const plain = validateData(type, data);
    const now = new Date().toISOString();
    const record = this.#seal({ owner, name, type, description, createdAt: now, updatedAt: now }, plain);
    if (!(await this.store.credentials.insert(record))) {
      this.#record(owner, name, 'create', origin, false, 'already exists');
      throw AppError.conflict(`credential "${name}" already exists; use PUT /credentials/${name} to change it`);
    }
    this.#record(owner, name, 'create', origin, true);
    return toMetadata(record);
  }

  async update(owner: string, name: string, input: unknown, origin: AccessOrigin): Promise<CredentialMetadata> {
    const patch = updateCredentialSchema.parse(input);
    const existing = await this.#require(owner, name);
    const type = patch.type ?? (existing.type as CredentialType);
    // Same type: merge over the stored values, so a rotation sends only the new secret.
    const base = type === existing.type ? this.#decrypt(existing) : {};
    const plain = validateData(type, { ...base, ...(patch.data ?? {}) });
    const record = this.#seal(
      { owner, name, type, description: patch.description ?? existing.description, createdAt: existing.createdAt, updatedAt: new Date().toISOString() },
      plain,
    );
    if (!(await this.store.credentials.update(record))) throw this.#notFound(name);
    this.#record(owner, name, 'update', origin, true);
    return toMetadata(record);
  }

  async delete(owner: string, name: string, origin: AccessOrigin): Promise<void> {
    if (!(await this.store.credentials.delete(owner, name))) throw this.#notFound(name);
    this.#record(owner, name, 'delete', origin, true);
  }

  /** Decrypts for use by a skill (or a test/reveal), reading the shared store every time, and audits it. */
  async resolve(owner: string, name: string, origin: AccessOrigin, action: 'use' | 'test' | 'reveal' = 'use'): Promise<ResolvedCredential> {
    const record = await this.store.credentials.get(owner, name);
    if (!record) {
      this.#record(owner, name, action, origin, false, 'not found');
      throw AppError.unprocessable(`credential "${name}" not found for user "${owner}"`, { credential: name, user: owner });
    }
    try {
      const data = this.#decrypt(record);
      this.#record(owner, name, action, origin, true);
      return { owner, name, type: record.type as CredentialType, data };
    } catch (error) {
      this.#record(owner, name, action, origin, false, (error as Error).message);
      throw error;
    }
  }

  /**
   * Re-encrypts every record whose values are not under the primary key. A record that cannot be
   * decrypted is left as it is and reported, so one damaged row does not block the rotation.
   */
  async rotateKeys(origin: AccessOrigin): Promise<RotationResult> {
    const records = await this.store.credentials.all();
    let moved = 0;
    const failed: Array<{ owner: string; name: string; reason: string }> = [];
    for (const record of records) {
      if (Object.values(record.secrets).every((envelope) => this.vault.isCurrent(envelope))) continue;
      try {
        const plain = this.#decrypt(record);
        await this.store.credentials.update(this.#seal({ ...record }, plain));
        this.#record(record.owner, record.name, 'rotate', origin, true, `to key ${this.vault.primaryKid}`);
        moved += 1;
      } catch (error) {
        const reason = error instanceof AppError ? error.detail : (error as Error).message;
        this.#record(record.owner, record.name, 'rotate', origin, false, reason);
        failed.push({ owner: record.owner, name: record.name, reason });
      }
    }
    await this.vault.rewriteCheck(this.store.meta);
    return { total: records.length, moved, failed };
  }

  #seal(meta: Omit<CredentialRecord, 'fields' | 'secrets'>, plain: CredentialData): CredentialRecord {
    if (!isCredentialType(meta.type)) throw AppError.badRequest(`unknown credential type "${meta.type}"`);
    const secretNames = secretFieldsOf(meta.type);
    const fields: Record<string, string | number> = {};
    const secrets: Record<string, SecretEnvelope> = {};
    for (const [field, value] of Object.entries(plain)) {
      if (secretNames.includes(field)) secrets[field] = this.vault.seal(String(value), CredentialVault.aad(meta.owner, meta.name, field));
      else fields[field] = value;
    }
    return { ...meta, fields, secrets };
  }

  #decrypt(record: CredentialRecord): CredentialData {
    const data: Record<string, string | number> = { ...record.fields };
    for (const [field, envelope] of Object.entries(record.secrets)) {
      try {
        data[field] = this.vault.open(envelope, CredentialVault.aad(record.owner, record.name, field));
      } catch (error) {
        if (!(error instanceof CredentialCryptoError)) throw error;
        throw new AppError(500, 'Credential Unreadable', `credential "${record.name}" field "${field}" cannot be decrypted: ${error.message}`, {
          code: 'credential-unreadable',
          cause: error,
        });
      }
    }
    return data;
  }

  async #require(owner: string, name: string): Promise<CredentialRecord> {
    const record = await this.store.credentials.get(owner, name);
    if (!record) throw this.#notFound(name);
    return record;
  }

  #notFound(name: string): AppError {
    return AppError.notFound(`credential "${name}" not found`);
  }

  #record(owner: string, credential: string, action: CredentialAuditEntry['action'], origin: AccessOrigin, ok: boolean, detail = ''): void {
    this.#audit.record({ at: new Date().toISOString(), owner, credential, actor: origin.actor, action, via: origin.via, instance: this.instance, ok, detail });
  }
}

function validateData(type: CredentialType, data: unknown): CredentialData {
  try {
    return parseCredentialData(type, data);
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    throw AppError.badRequest(`invalid data for a ${type} credential: ${describeZodError(error).replace(/(^|; )/g, '$1data.')}`);
  }
}

function toMetadata(record: CredentialRecord): CredentialMetadata {
  return {
    owner: record.owner,
    name: record.name,
    type: record.type,
    description: record.description,
    fields: record.fields,
    secretFields: Object.keys(record.secrets),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
