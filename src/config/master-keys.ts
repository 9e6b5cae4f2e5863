export interface MasterKey {
  /** Key id stored next to every ciphertext so the right key decrypts it after a rotation. */
  readonly kid: string;
  readonly key: Buffer;
}

/** Key id given to a master key written without a `kid:` prefix. */
export const DEFAULT_KID = 'default';

const KID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}={0,1}$/;

/**
 * Parses `CREDENTIAL_MASTER_KEY`: one 32-byte key (64 hex characters or base64), or a list
 * `kid:key,kid:key` where the first key encrypts and every key decrypts.
 * Throws an Error whose message says what is wrong, never the key itself.
 */
export function parseMasterKeys(raw: string): MasterKey[] {
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new Error('is empty');
  const keys = entries.map((entry, index) => parseEntry(entry, index, entries.length));
  const seen = new Set<string>();
  for (const { kid } of keys) {
    if (seen.has(kid)) throw new Error(`names key id "${kid}" twice`);
    seen.add(kid);
  }
  return keys;
}

function parseEntry(entry: string, index: number, count: number): MasterKey {
  const colon = entry.indexOf(':');
  const position = count > 1 ? `entry ${index + 1}` : 'the key';
  if (colon === -1) {
    if (count > 1) throw new Error(`${position} has no key id: write a list as kid:key,kid:key`);
    return { kid: DEFAULT_KID, key: decodeKey(entry, position) };
  }
  const kid = entry.slice(0, colon);
  if (!KID_PATTERN.test(kid)) throw new Error(`${position} has an invalid key id (use 1-32 of A-Z a-z 0-9 _ . -)`);
  return { kid, key: decodeKey(entry.slice(colon + 1), `key "${kid}"`) };
}

function decodeKey(text: string, position: string): Buffer {
  if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
  if (BASE64_KEY.test(text)) {
    const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    if (key.length === 32) return key;
  }
  throw new Error(`${position} is not a 32-byte key (64 hex characters or 44 base64 characters)`);
}
