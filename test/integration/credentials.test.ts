import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import request from 'supertest';
import { ApiKeyService } from '../../src/auth/api-keys';
import { createAppFixture, type AppFixture } from '../helpers/app-fixture';

const JWT_SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const ALICE_TOKEN = 'ghp_alice_SECRET_0001';
const ALICE_NEW_TOKEN = 'ghp_alice_SECRET_0002';
const BOB_PASSWORD = 'bob_SECRET_pw_0003';
const SECRETS = [ALICE_TOKEN, ALICE_NEW_TOKEN, BOB_PASSWORD];

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('credentials API', () => {
  let fx: AppFixture;
  let alice: string;
  let bob: string;
  let admin: string;

  before(async () => {
    fx = await createAppFixture({ AUTH_JWT_SECRET: JWT_SECRET });
    alice = await fx.keyFor('alice');
    bob = await fx.keyFor('bob');
    admin = await fx.keyFor('root', true);
  });
  after(async () => {
    // Acceptance: no secret value used in these tests appears in any captured log line.
    for (const secret of SECRETS) assert.ok(!fx.logs.text.includes(secret), `log output contains ${secret}`);
    assert.ok(fx.logs.lines.length > 0, 'the logs were captured (debug level)');
    await fx.close();
  });

  describe('When alice stores "github"', () => {
    before(async () => {
      const res = await request(fx.app)
        .post('/credentials')
        .set(auth(alice))
        .send({ name: 'github', type: 'bearer', description: 'GitHub PAT', data: { token: ALICE_TOKEN } })
        .expect(201);
      assert.equal(res.headers.location, '/credentials/github');
      assert.deepEqual(res.body.secretFields, ['token']);
      assert.ok(!JSON.stringify(res.body).includes(ALICE_TOKEN));
    });

    test('then her list and GET show metadata and never the secret', async () => {
      const list = await request(fx.app).get('/credentials').set(auth(alice)).expect(200);
      assert.deepEqual(list.body.credentials.map((c: { name: string }) => c.name), ['github']);
      const one = await request(fx.app).get('/credentials/github').set('X-API-Key', alice).expect(200);
      assert.equal(one.body.type, 'bearer');
      assert.equal(one.body.owner, 'alice');
      assert.ok(!JSON.stringify([list.body, one.body]).includes(ALICE_TOKEN));
    });

    test("then bob's GET, PUT and DELETE of it are 404 and his list is empty", async () => {
      await request(fx.app).get('/credentials/github').set(auth(bob)).expect(404).expect('content-type', /problem\+json/);
      await request(fx.app).put('/credentials/github').set(auth(bob)).send({ data: { token: 'x' } }).expect(404);
      await request(fx.app).delete('/credentials/github').set(auth(bob)).expect(404);
      const list = await request(fx.app).get('/credentials').set(auth(bob)).expect(200);
      assert.deepEqual(list.body.credentials, []);
      const stillThere = await fx.store.credentials.get('alice', 'github');
      assert.ok(stillThere, 'bob could not delete it');
    });

    test('then an admin with ?user=alice sees metadata only, and a non-admin with ?user= is refused', async () => {
      const res = await request(fx.app).get('/credentials?user=alice').set(auth(admin)).expect(200);
      assert.equal(res.body.credentials[0].name, 'github');
      assert.ok(!JSON.stringify(res.body).includes(ALICE_TOKEN));
      await request(fx.app).get('/credentials/github?user=alice').set(auth(bob)).expect(403);
    });

    test('then alice can rotate the token with PUT (only the new secret sent) and the audit records who did what', async () => {
      const res = await request(fx.app).put('/credentials/github').set(auth(alice)).send({ data: { token: ALICE_NEW_TOKEN } }).expect(200);
      assert.equal(res.body.description, 'GitHub PAT', 'unchanged fields are kept');
      await fx.services.credentials.flushAudit();
      const audit = await fx.store.audit.list({ owner: 'alice', credential: 'github', limit: 10 });
      assert.deepEqual(audit.map((a) => `${a.actor}:${a.action}:${a.via}:${a.ok}`), [
        'alice:update:PUT /credentials/:name:true',
        'alice:create:POST /credentials:true',
      ]);
    });
  });

  describe('When requests are not properly authenticated', () => {
    test('then missing, malformed, wrong and revoked API keys get 401 problem+json', async () => {
      const service = new ApiKeyService(fx.store);
      const revoked = await service.create('carol');
      assert.ok(await service.revoke(revoked.id));
      const cases: Array<[string, Record<string, string>]> = [
        ['missing', {}],
        ['malformed', auth('sop_short')],
        ['not bearer', { Authorization: 'Basic Zm9vOmJhcg==' }],
        ['wrong', auth(`sop_${'A'.repeat(43)}`)],
        ['revoked', auth(revoked.key)],
        ['revoked via X-API-Key', { 'X-API-Key': revoked.key }],
      ];
      for (const [name, headers] of cases) {
        const res = await request(fx.app).get('/credentials').set(headers);
        assert.equal(res.status, 401, name);
        assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/, name);
        assert.equal(res.body.status, 401, name);
        assert.match(res.headers['www-authenticate'] ?? '', /Bearer/);
      }
    });

    test('then a JWT signed with the right secret works, and a bad signature or an expired one is 401', async () => {
      const sign = (secret: string, exp: string | number) =>
        new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));
      const good = await request(fx.app).get('/credentials').set(auth(await sign(JWT_SECRET, '5m'))).expect(200);
      assert.deepEqual(good.body.credentials.map((c: { name: string }) => c.name), ['github'], 'sub=alice sees her own');
      await request(fx.app).get('/credentials').set(auth(await sign('another-secret-that-is-long-enough-too!!', '5m'))).expect(401);
      await request(fx.app).get('/credentials').set(auth(await sign(JWT_SECRET, Math.floor(Date.now() / 1000) - 60))).expect(401);
    });

    test('then anonymous requests are refused unless AUTH_ALLOW_ANONYMOUS=true, where they run as the system user', async () => {
      await request(fx.app).get('/credentials').expect(401);
      const open = await createAppFixture({ AUTH_ALLOW_ANONYMOUS: 'true' });
      try {
        const res = await request(open.app).post('/credentials').send({ name: 'anon', type: 'query', data: { param: 'key', value: 'v' } }).expect(201);
        assert.equal(res.body.owner, 'system');
      } finally {
        await open.close();
      }
    });
  });

  describe('When alice and bob call at the same time', () => {
    test('then each request sees only its own identity and credentials, whatever the body claims', async () => {
      await request(fx.app).post('/credentials').set(auth(bob)).send({ name: 'db', type: 'basic', data: { username: 'bob', password: BOB_PASSWORD } }).expect(201);
      // The body names another owner: the identity still comes from the key.
      await request(fx.app).post('/credentials').set(auth(bob)).send({ name: 'x', type: 'bearer', owner: 'alice', data: { token: 't' } }).expect(400);
      const calls = Array.from({ length: 40 }, (_, i) => {
        const who = i % 2 === 0 ? 'alice' : 'bob';
        return request(fx.app)
          .get('/credentials')
          .set(auth(who === 'alice' ? alice : bob))
          .then((res) => ({ who, names: res.body.credentials.map((c: { name: string; owner: string }) => `${c.owner}/${c.name}`) }));
      });
      for (const { who, names } of await Promise.all(calls)) {
        assert.deepEqual(names, who === 'alice' ? ['alice/github'] : ['bob/db']);
      }
    });
  });

  describe('When the input is bad', () => {
    const bad: Array<[string, { method: 'post' | 'put' | 'get' | 'delete'; path: string; body?: unknown; raw?: string }, number]> = [
      ['wrong type of name', { method: 'post', path: '/credentials', body: { name: 42, type: 'bearer', data: { token: 't' } } }, 400],
      ['missing data', { method: 'post', path: '/credentials', body: { name: 'n', type: 'bearer' } }, 400],
      ['missing secret field', { method: 'post', path: '/credentials', body: { name: 'n', type: 'basic', data: { username: 'u' } } }, 400],
      ['unknown type', { method: 'post', path: '/credentials', body: { name: 'n', type: 'oauth9', data: {} } }, 400],
      ['port as text', { method: 'post', path: '/credentials', body: { name: 'n', type: 'database', data: { dbType: 'postgres', host: 'h', port: 'x', database: 'd', username: 'u', password: 'p' } } }, 400],
      ['array body', { method: 'post', path: '/credentials', body: [1, 2] }, 400],
      ['invalid JSON', { method: 'post', path: '/credentials', raw: '{"name":' }, 400],
      ['1 MB body', { method: 'post', path: '/credentials', raw: JSON.stringify({ name: 'n', type: 'bearer', data: { token: 'x'.repeat(1024 * 1024) } }) }, 413],
      ['name with a slash', { method: 'post', path: '/credentials', body: { name: 'a/b', type: 'bearer', data: { token: 't' } } }, 400],
      ['name ..', { method: 'post', path: '/credentials', body: { name: '..', type: 'bearer', data: { token: 't' } } }, 400],
      ['control characters', { method: 'post', path: '/credentials', body: { name: 'a\u0000b\u0007', type: 'bearer', data: { token: 't' } } }, 400],
      ['encoded slash in path', { method: 'get', path: '/credentials/a%2Fb' }, 400],
      ['dot-dot in path', { method: 'get', path: '/credentials/..%2F..%2Fetc' }, 400],
      ['control char in path', { method: 'delete', path: '/credentials/a%00b' }, 400],
      ['bad percent-encoding', { method: 'get', path: '/credentials/%E0%A4%A' }, 400],
      ['PUT changing type without data', { method: 'put', path: '/credentials/github', body: { type: 'basic' } }, 400],
      ['duplicate', { method: 'post', path: '/credentials', body: { name: 'github', type: 'bearer', data: { token: 't' } } }, 409],
      ['unknown user id syntax', { method: 'get', path: '/credentials?user=a%20b' }, 400],
    ];
    for (const [name, req, status] of bad) {
      test(`(${name}) then it is a ${status} problem+json`, async () => {
        let call = request(fx.app)[req.method](req.path).set(auth(name === 'unknown user id syntax' ? admin : alice));
        if (req.raw !== undefined) call = call.set('content-type', 'application/json').send(req.raw);
        else if (req.body !== undefined) call = call.send(req.body as object);
        const res = await call;
        assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
        assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
        assert.equal(typeof res.body.detail, 'string');
      });
    }
  });
});
