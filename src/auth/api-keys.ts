import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, Store } from '../store/store';
import { userContext, type UserContext } from './user-context';

export const API_KEY_PREFIX = 'sop_';
/** `sop_` + 43 base64url characters (32 random bytes). */
const API_KEY_PATTERN = /^sop_[A-Za-z0-9_-]{43}$/;
/** last_used_at is refreshed at most this often, so authentication is not a write per request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface CreatedApiKey {
  readonly id: string;
  /** Shown once; only its hash is stored. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** SHA-256 with the one-shot `crypto.hash` (half the cost of a createHash object): it runs on every authenticated request. */
function hashKey(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

export class ApiKeyService {
  /** The identity of each key record the store hands out (records are immutable, and reused while unchanged). */
  readonly #identities = new WeakMap<ApiKeyRecord, UserContext>();

  constructor(private readonly store: Store) {}

  async create(userId: string, options: { admin?: boolean; label?: string } = {}): Promise<CreatedApiKey> {
    const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = {
      id: `key_${randomBytes(8).toString('hex')}`,
      userId,
      keyHash: hashKey(key).toString('hex'),
      prefix: key.slice(0, API_KEY_PREFIX.length + 6),
      roles: options.admin ? ['user', 'admin'] : ['user'],
      label: options.label ?? '',
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.store.apiKeys.insert(record);
    return { id: record.id, key, record };
  }

  /** The caller's identity for a presented key, or undefined for a malformed, unknown or revoked one. */
  async authenticate(presented: string): Promise<UserContext | undefined> {
    if (!API_KEY_PATTERN.test(presented)) return undefined;
    const presentedHash = hashKey(presented);
    const record = await this.store.apiKeys.findByHash(presentedHash.toString('hex'));
    if (!record || record.revokedAt !== null) return undefined;
    // The lookup is by hash already; the comparison is constant-time anyway, as the contract says.
    if (!timingSafeEqual(Buffer.from(record.keyHash, 'hex'), presentedHash)) return undefined;
    const now = Date.now();
    if (record.lastUsedAt === null || now - Date.parse(record.lastUsedAt) > TOUCH_INTERVAL_MS) {
      await this.store.apiKeys.touch(record.id, new Date(now).toISOString());
    }
    let identity = this.#identities.get(record);
    if (!identity) this.#identities.set(record, (identity = userContext(record.userId, record.roles.includes('admin'), 'api-key')));
    return identity;
  }

  list(userId?: string): Promise<ApiKeyRecord[]> {
    return this.store.apiKeys.list(userId);
  }

  revoke(id: string): Promise<boolean> {
    return this.store.apiKeys.revoke(id, new Date().toISOString());
  }
}
