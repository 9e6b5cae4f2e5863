import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ApiKeyService } from '../../src/auth/api-keys';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { ChangeTracker, ValidatedCache } from '../../src/store/sqlite/validated-cache';
import type { CredentialRecord, Store } from '../../src/store/store';

const credential = (token: string, updatedAt: string): CredentialRecord => ({
  owner: 'alice',
  name: 'github',
  type: 'bearer',
  fields: {},
  secrets: { token: { kid: 'default', iv: 'aXY=', tag: 'dGFn', ct: Buffer.from(token).toString('base64') } },
  description: '',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt,
});

describe('ValidatedCache', () => {
  let dir: string;
  let db: Database.Database;
  let other: Database.Database;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-cache-'));
    db = new Database(path.join(dir, 'c.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)');
    other = new Database(path.join(dir, 'c.db'));
  });
  after(() => {
    db.close();
    other.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('When nothing was committed since a read, then the row comes from memory; after any commit, from the table', () => {
    const tracker = new ChangeTracker(db);
    const cache = new ValidatedCache<string>(tracker);
    let loads = 0;
    const load = () => {
      loads += 1;
      return (db.prepare('SELECT v FROM t WHERE k = ?').get('a') as { v: string } | undefined)?.v;
    };
    tracker.wrote(db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 'one'));
    assert.equal(cache.read('a', load), 'one');
    assert.equal(cache.read('a', load), 'one');
    assert.equal(loads, 1, 'the second read did not query');

    other.prepare('UPDATE t SET v = ? WHERE k = ?').run('two', 'a');
    assert.equal(cache.read('a', load), 'two', 'a commit by another connection is seen by the next read');
    tracker.wrote(db.prepare('UPDATE t SET v = ? WHERE k = ?').run('three', 'a'));
    assert.equal(cache.read('a', load), 'three', 'a write through this connection is seen by the next read');
    assert.equal(loads, 3);
  });

  test('When a row does not exist, then the miss is not kept (unknown keys cannot push out good ones)', () => {
    const cache = new ValidatedCache<string>(new ChangeTracker(db), 2);
    let loads = 0;
    const absent = () => {
      loads += 1;
      return undefined;
    };
    assert.equal(cache.read('nope', absent), undefined);
    assert.equal(cache.read('nope', absent), undefined);
    assert.equal(loads, 2);
  });

  test('When more rows than the limit are read, then the least recently used one is dropped', () => {
    const cache = new ValidatedCache<string>(new ChangeTracker(db), 2);
    const loaded: string[] = [];
    const load = (key: string) => () => {
      loaded.push(key);
      return key.toUpperCase();
    };
    cache.read('a', load('a'));
    cache.read('b', load('b'));
    cache.read('a', load('a')); // a is now the most recent
    cache.read('c', load('c')); // pushes out b
    cache.read('a', load('a'));
    cache.read('b', load('b'));
    assert.deepEqual(loaded, ['a', 'b', 'c', 'b']);
  });
});

describe('SQLite store reads while another process writes', () => {
  let dir: string;
  let instance: Store;
  let cli: Store;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-cache-store-'));
    instance = openSqliteStore({ file: path.join(dir, 'sop.db') });
    cli = openSqliteStore({ file: path.join(dir, 'sop.db') });
  });
  after(async () => {
    await instance.close();
    await cli.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('When the CLI revokes a key that an instance just used, then the next request with it is refused', async () => {
    const created = await new ApiKeyService(cli).create('alice');
    const keys = new ApiKeyService(instance);
    assert.equal((await keys.authenticate(created.key))?.userId, 'alice');
    assert.equal((await keys.authenticate(created.key))?.userId, 'alice');
    assert.ok(await new ApiKeyService(cli).revoke(created.id));
    assert.equal(await keys.authenticate(created.key), undefined);
  });

  test('When another process changes or deletes a credential, then the next read sees it', async () => {
    await cli.credentials.insert(credential('first', '2026-01-01T00:00:00.000Z'));
    assert.equal((await instance.credentials.get('alice', 'github'))?.updatedAt, '2026-01-01T00:00:00.000Z');
    assert.equal((await instance.credentials.get('alice', 'github'))?.updatedAt, '2026-01-01T00:00:00.000Z');
    await cli.credentials.update(credential('second', '2026-02-02T00:00:00.000Z'));
    const changed = await instance.credentials.get('alice', 'github');
    assert.equal(changed?.updatedAt, '2026-02-02T00:00:00.000Z');
    assert.equal(Buffer.from(changed?.secrets.token?.ct ?? '', 'base64').toString(), 'second');
    await cli.credentials.delete('alice', 'github');
    assert.equal(await instance.credentials.get('alice', 'github'), undefined);
  });

  test('When a record is read, then it cannot be changed by the caller (the same object may be served again)', async () => {
    await instance.credentials.insert(credential('third', '2026-03-03T00:00:00.000Z'));
    const record = await instance.credentials.get('alice', 'github');
    assert.ok(record && Object.isFrozen(record) && Object.isFrozen(record.secrets) && Object.isFrozen(record.secrets.token));
    assert.throws(() => {
      (record.fields as Record<string, string>).x = 'y';
    }, TypeError);
  });
});
