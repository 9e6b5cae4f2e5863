import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseMasterKeys } from '../../src/config/master-keys';
import { CredentialService } from '../../src/credentials/credential-service';
import { CredentialCryptoError, CredentialVault, MasterKeyMismatchError } from '../../src/credentials/credential-vault';
import { AppError } from '../../src/errors/app-error';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { SecretEnvelope, Store } from '../../src/store/store';

const OLD = Buffer.alloc(32, 0xa1).toString('hex');
const NEW = Buffer.alloc(32, 0xb2).toString('hex');
const OTHER = Buffer.alloc(32, 0xc3).toString('hex');
const CLI = { actor: 'cli', via: 'test' };

function flip(base64: string, index = 0): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('CredentialVault crypto', () => {
  const vault = new CredentialVault(parseMasterKeys(`k1:${OLD}`));
  const aad = CredentialVault.aad('alice', 'github', 'token');
  const sealed = vault.seal('ghp_secret', aad);

  test('When a value is sealed twice, then IVs differ and both open to the plaintext', () => {
    const again = vault.seal('ghp_secret', aad);
    assert.notEqual(again.iv, sealed.iv);
    assert.equal(Buffer.from(sealed.iv, 'base64').length, 12);
    assert.equal(sealed.kid, 'k1');
    assert.equal(vault.open(sealed, aad), 'ghp_secret');
    assert.equal(vault.open(again, aad), 'ghp_secret');
  });

  const tampered: Array<[string, SecretEnvelope]> = [
    ['ciphertext', { ...sealed, ct: flip(sealed.ct) }],
    ['IV', { ...sealed, iv: flip(sealed.iv) }],
    ['tag', { ...sealed, tag: flip(sealed.tag, 15) }],
  ];
  for (const [part, envelope] of tampered) {
    test(`When the ${part} is tampered with, then opening fails with a clear error (even right after the genuine one opened)`, () => {
      assert.equal(vault.open(sealed, aad), 'ghp_secret');
      assert.throws(() => vault.open(envelope, aad), (e: unknown) => e instanceof CredentialCryptoError && /authentication failed/.test(e.message));
    });
  }

  test('When a ciphertext is moved to another owner or credential name, then it does not open', () => {
    assert.throws(() => vault.open(sealed, CredentialVault.aad('bob', 'github', 'token')), CredentialCryptoError);
    assert.throws(() => vault.open(sealed, CredentialVault.aad('alice', 'gitlab', 'token')), CredentialCryptoError);
  });

  test('When the key id is unknown or the IV has the wrong length, then the error says so', () => {
    assert.throws(() => vault.open({ ...sealed, kid: 'gone' }, aad), /key id "gone"/);
    assert.throws(() => vault.open({ ...sealed, iv: Buffer.alloc(8).toString('base64') }, aad), /malformed/);
  });
});

describe('CredentialService with a real SQLite store', () => {
  let dir: string;
  let store: Store;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-vault-'));
    store = openSqliteStore({ file: path.join(dir, 'sop.db') });
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('When a record row is swapped to another owner in the database, then using it fails with a clear error', async () => {
    const vault = new CredentialVault(parseMasterKeys(`k1:${OLD}`));
    const service = new CredentialService(store, vault, '0');
    await service.create('alice', { name: 'swap', type: 'bearer', data: { token: 'alice-token' } }, CLI);
    const record = await store.credentials.get('alice', 'swap');
    assert.ok(record);
    await store.credentials.insert({ ...record, owner: 'mallory' });
    await assert.rejects(service.resolve('mallory', 'swap', CLI), (e: unknown) => e instanceof AppError && /cannot be decrypted: authentication failed/.test(e.detail));
    await service.flushAudit();
    const audit = await store.audit.list({ owner: 'mallory', limit: 5 });
    assert.equal(audit[0]?.ok, false, 'the failed use is audited');
  });

  test('When a second key is added first, then old records stay readable and rotate-key moves all to the new key', async () => {
    const before = new CredentialService(store, new CredentialVault(parseMasterKeys(`k1:${OLD}`)), '0');
    await before.create('alice', { name: 'github', type: 'bearer', data: { token: 'ghp_old' } }, CLI);
    await before.create('bob', { name: 'db', type: 'database', data: { dbType: 'postgres', host: 'db', port: 5432, database: 'x', username: 'u', password: 'pw' } }, CLI);

    const rotatedVault = new CredentialVault(parseMasterKeys(`k2:${NEW},k1:${OLD}`));
    await rotatedVault.verifyMasterKey(store.meta);
    const after = new CredentialService(store, rotatedVault, '0');
    assert.equal((await after.resolve('alice', 'github', CLI)).data.token, 'ghp_old');

    const { moved, total, failed } = await after.rotateKeys(CLI);
    assert.equal(total, 4, 'alice/swap, mallory/swap, alice/github, bob/db');
    assert.equal(moved, 3);
    assert.deepEqual(failed.map((f) => `${f.owner}/${f.name}`), ['mallory/swap'], 'the damaged row is reported, not fatal');
    await store.credentials.delete('mallory', 'swap');
    for (const record of await store.credentials.all()) {
      for (const envelope of Object.values(record.secrets)) assert.equal(envelope.kid, 'k2', `${record.owner}/${record.name}`);
    }
    // Only the new key is needed from now on, including for the boot check.
    const onlyNew = new CredentialVault(parseMasterKeys(`k2:${NEW}`));
    await onlyNew.verifyMasterKey(store.meta);
    assert.equal((await new CredentialService(store, onlyNew, '0').resolve('bob', 'db', CLI)).data.password, 'pw');
  });

  test('When the master key does not match the stored check value, then verification names CREDENTIAL_MASTER_KEY', async () => {
    await assert.rejects(
      new CredentialVault(parseMasterKeys(`k2:${OTHER}`)).verifyMasterKey(store.meta),
      (e: unknown) => e instanceof MasterKeyMismatchError && e.message.startsWith('CREDENTIAL_MASTER_KEY does not match'),
    );
    await assert.rejects(new CredentialVault(parseMasterKeys(OTHER)).verifyMasterKey(store.meta), /no configured key has that id/);
  });
});
