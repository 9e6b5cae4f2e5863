import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { MasterKey } from '../config/master-keys';
import type { MetaRepository, SecretEnvelope } from '../store/store';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const CHECK_KEY = 'credential_master_key_check';
const CHECK_PLAINTEXT = 'sop-orchestrator master key check';
const CHECK_AAD = 'sop-orchestrator:master-key-check';
/** Opened values remembered per process (see `open`). */
const OPENED_MAX = 1024;

/** A ciphertext that cannot be opened: tampered, bound to another owner/name, or another key. */
export class CredentialCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialCryptoError';
  }
}

/** The configured master key cannot open what the store holds: refuse to start. */
export class MasterKeyMismatchError extends Error {
  constructor(kid: string, reason: string) {
    super(
      `CREDENTIAL_MASTER_KEY does not match the key the stored credentials were encrypted with (key id "${kid}", ${reason}): ` +
        `put the original key back in .env, or list it after the new one (CREDENTIAL_MASTER_KEY=new:<new key>,${kid}:<original key>) ` +
        'and run `sopctl credentials rotate-key`',
    );
    this.name = 'MasterKeyMismatchError';
  }
}

/**
 * AES-256-GCM with a random 96-bit IV per value. The additional authenticated data binds each
 * ciphertext to its owner, credential name and field, so a value copied to another record (or
 * another user) fails to decrypt instead of leaking.
 */
export class CredentialVault {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** Exact (kid, iv, tag, ct, aad) → plaintext. */
  readonly #opened = new LRUCache<string, string>({ max: OPENED_MAX });
  readonly primaryKid: string;

  constructor(keys: readonly MasterKey[]) {
    const primary = keys[0];
    if (!primary) throw new Error('CredentialVault needs at least one master key');
    this.primaryKid = primary.kid;
    this.#keys = new Map(keys.map((k) => [k.kid, k.key]));
  }

  static aad(owner: string, name: string, field: string): string {
    return `sop-credential\u0000${owner}\u0000${name}\u0000${field}`;
  }

  seal(plaintext: string, aad: string): SecretEnvelope {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key(this.primaryKid), iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { kid: this.primaryKid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  /**
   * Decrypts, or returns the plaintext of an identical envelope opened before. That is not a
   * cache of credentials: callers read the record from the store every time, so a changed or
   * deleted credential is seen at once; only the AES-GCM work (a cipher set up per value, the
   * largest cost of resolving a credential) is skipped when the stored bytes are exactly the
   * ones already authenticated. It holds no more than this process can decrypt with its keys.
   */
  open(envelope: SecretEnvelope, aad: string): string {
    const memoKey = `${envelope.kid}\u0000${envelope.iv}\u0000${envelope.tag}\u0000${envelope.ct}\u0000${aad}`;
    const remembered = this.#opened.get(memoKey);
    if (remembered !== undefined) return remembered;
    const plaintext = this.#decrypt(envelope, aad);
    this.#opened.set(memoKey, plaintext);
    return plaintext;
  }

  #decrypt(envelope: SecretEnvelope, aad: string): string {
    const key = this.#keys.get(envelope.kid);
    if (!key) throw new CredentialCryptoError(`encrypted with key id "${envelope.kid}", which CREDENTIAL_MASTER_KEY does not contain`);
    const iv = Buffer.from(envelope.iv, 'base64');
    const tag = Buffer.from(envelope.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== 16) throw new CredentialCryptoError('malformed ciphertext (IV or tag length)');
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: 16 });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialCryptoError('authentication failed: the ciphertext was altered, belongs to another owner or credential, or the key is wrong');
    }
  }

  isCurrent(envelope: SecretEnvelope): boolean {
    return envelope.kid === this.primaryKid;
  }

  /**
   * At boot: the first instance ever writes a check value; every later one must be able to open
   * it, or it refuses to start (like n8n's "Mismatching encryption keys").
   */
  async verifyMasterKey(meta: MetaRepository): Promise<void> {
    const stored = await meta.setIfAbsent(CHECK_KEY, JSON.stringify(this.seal(CHECK_PLAINTEXT, CHECK_AAD)));
    const envelope = JSON.parse(stored) as SecretEnvelope;
    try {
      if (this.open(envelope, CHECK_AAD) !== CHECK_PLAINTEXT) throw new CredentialCryptoError('check value differs');
    } catch (error) {
      const reason = this.#keys.has(envelope.kid) ? 'the key with that id is different' : 'no configured key has that id';
      throw new MasterKeyMismatchError(envelope.kid, error instanceof CredentialCryptoError ? reason : String(error));
    }
  }

  /** After a rotation the check value moves to the primary key too. */
  async rewriteCheck(meta: MetaRepository): Promise<void> {
    await meta.set(CHECK_KEY, JSON.stringify(this.seal(CHECK_PLAINTEXT, CHECK_AAD)));
  }

  #key(kid: string): Buffer {
    const key = this.#keys.get(kid);
    if (!key) throw new CredentialCryptoError(`no key with id "${kid}"`);
    return key;
  }
}
