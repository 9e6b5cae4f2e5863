import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config';
import { DEFAULT_KID, parseMasterKeys } from '../../src/config/master-keys';

const KEY_B64 = Buffer.alloc(32, 3).toString('base64');
const KEY_HEX = Buffer.alloc(32, 4).toString('hex');
const root = path.resolve('/srv/app');

function problems(env: Record<string, string>): Map<string, string> {
  try {
    loadConfig(env, root);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return new Map(error.problems.map((p) => [p.variable, p.message]));
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  test('When only the master key is set, then the documented defaults apply and paths resolve from the app root', () => {
    const config = loadConfig({ CREDENTIAL_MASTER_KEY: KEY_B64 }, root);
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.defaultUser, { id: 'system', admin: false });
    assert.equal(config.database.file, path.join(root, 'data', 'sop.db'));
    assert.equal(config.skillsDir, path.join(root, 'skills'));
    assert.equal(config.auth.allowAnonymous, false);
    assert.equal(config.log.format, 'text');
    assert.equal(config.instance, 0);
    assert.equal(config.masterKeys[0]?.kid, DEFAULT_KID);
  });

  test('When CREDENTIAL_MASTER_KEY is missing, then the problem names it and says to run setup', () => {
    const message = problems({}).get('CREDENTIAL_MASTER_KEY');
    assert.match(message ?? '', /is not set: run `npm run setup`/);
  });

  test('When CREDENTIAL_MASTER_KEY is blank, then it counts as missing', () => {
    assert.match(problems({ CREDENTIAL_MASTER_KEY: '   ' }).get('CREDENTIAL_MASTER_KEY') ?? '', /is not set/);
  });

  test('When CREDENTIAL_MASTER_KEY is malformed, then the message says why without echoing the value', () => {
    const secretLooking = 'short-secret-value';
    const message = problems({ CREDENTIAL_MASTER_KEY: secretLooking }).get('CREDENTIAL_MASTER_KEY') ?? '';
    assert.match(message, /not a 32-byte key/);
    assert.ok(!message.includes(secretLooking));
  });

  test('When several variables are invalid, then each is reported once, all at once', () => {
    const found = problems({ PORT: 'eighty', DEFAULT_USER_ADMIN: 'maybe', LOG_FORMAT: 'xml', DATABASE_URL: 'postgres://db/sop' });
    assert.deepEqual([...found.keys()].sort(), ['CREDENTIAL_MASTER_KEY', 'DATABASE_URL', 'DEFAULT_USER_ADMIN', 'LOG_FORMAT', 'PORT']);
    assert.match(found.get('PORT') ?? '', /whole number/);
    assert.match(found.get('DATABASE_URL') ?? '', /sqlite:/);
  });

  test('When PORT is out of range or DEFAULT_USER_ID has odd characters, then they are rejected', () => {
    assert.ok(problems({ CREDENTIAL_MASTER_KEY: KEY_B64, PORT: '70000' }).has('PORT'));
    assert.ok(problems({ CREDENTIAL_MASTER_KEY: KEY_B64, DEFAULT_USER_ID: 'bob smith' }).has('DEFAULT_USER_ID'));
  });

  test('When booleans and numbers are given as text, then they are typed', () => {
    const config = loadConfig(
      { CREDENTIAL_MASTER_KEY: KEY_HEX, PORT: '4000', DEFAULT_USER_ADMIN: 'true', AUTH_ALLOW_ANONYMOUS: '1', NODE_APP_INSTANCE: '3', OUTBOUND_ALLOW: ' 127.0.0.1 , api.local ' },
      root,
    );
    assert.equal(config.port, 4000);
    assert.equal(config.defaultUser.admin, true);
    assert.equal(config.auth.allowAnonymous, true);
    assert.equal(config.instance, 3);
    assert.deepEqual(config.outboundAllow, ['127.0.0.1', 'api.local']);
  });
});

describe('master keys', () => {
  test('When PM2 started the process (pm_id in the environment), then pm2Id is set, else null', () => {
    assert.equal(loadConfig({ CREDENTIAL_MASTER_KEY: KEY_B64 }, root).pm2Id, null);
    const underPm2 = loadConfig({ CREDENTIAL_MASTER_KEY: KEY_B64, pm_id: '4', NODE_APP_INSTANCE: '1' }, root);
    assert.equal(underPm2.pm2Id, 4);
    assert.equal(underPm2.instance, 1);
  });

  test('When a hex or base64 key is given, then both decode to the same 32 bytes', () => {
    const bytes = Buffer.alloc(32, 9);
    assert.deepEqual(parseMasterKeys(bytes.toString('hex'))[0]?.key, bytes);
    assert.deepEqual(parseMasterKeys(bytes.toString('base64'))[0]?.key, bytes);
    assert.deepEqual(parseMasterKeys(bytes.toString('base64url'))[0]?.key, bytes);
  });

  test('When a kid:key list is given, then order is kept (first encrypts) and ids are checked', () => {
    const keys = parseMasterKeys(`new:${KEY_HEX},old:${KEY_B64}`);
    assert.deepEqual(keys.map((k) => k.kid), ['new', 'old']);
    assert.throws(() => parseMasterKeys(`a:${KEY_HEX},a:${KEY_B64}`), /twice/);
    assert.throws(() => parseMasterKeys(`${KEY_HEX},old:${KEY_B64}`), /no key id/);
    assert.throws(() => parseMasterKeys(`bad id:${KEY_HEX}`), /invalid key id/);
    assert.throws(() => parseMasterKeys(`k:${KEY_HEX.slice(2)}`), /not a 32-byte key/);
  });
});
