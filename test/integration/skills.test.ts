import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createAppFixture, type AppFixture } from '../helpers/app-fixture';
import { skill } from '../helpers/skills';
import { sendJson, Upstream } from '../helpers/upstream';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('skills over HTTP against real upstreams on 127.0.0.1', () => {
  let fx: AppFixture;
  let upstream: Upstream;
  let alice: string;
  let slow: Upstream;

  before(async () => {
    upstream = await Upstream.start((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/fail') return sendJson(res, 500, { error: 'boom' });
      if (url.pathname === '/big') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ blob: 'x'.repeat(64 * 1024) }));
      }
      if (url.pathname === '/partial') return sendJson(res, 200, { name: 'only' });
      if (url.pathname === '/deep') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      }
      sendJson(res, 200, {
        echo: { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: req.body ? JSON.parse(req.body) : null },
        stats: { stars: 42, tags: ['a', 'b'] },
        items: [{ name: 'first' }, { name: 'second' }],
      });
    });
    slow = await Upstream.start(() => {
      /* never answers */
    });
    const base = upstream.url;
    fx = await createAppFixture(
      { OUTBOUND_ALLOW: '127.0.0.1' },
      {
        skills: [
          skill({
            name: 'Echo',
            requires: ['owner', 'repo'],
            produces: ['echo'],
            optional_produces: ['stars', 'second', 'whole'],
            rest: {
              method: 'POST',
              url: `${base}/repos/{owner}/{repo}`,
              query: { per_page: '{limit}', fixed: 'yes', absent: '{nothing}' },
              headers: { 'X-Trace': 'trace-{owner}' },
              body: { count: '{limit}', meta: '{meta}', text: 'hi {owner}' },
              credential_ref: 'cred',
              response: { echo: '$.echo', stars: '$.stats.stars', second: '$.items[1].name', whole: '$' },
            },
          }),
          skill({ name: 'GetEcho', produces: ['echo'], rest: { url: `${base}/get`, credential_ref: 'cred' } }),
          skill({ name: 'NoCred', produces: ['echo'], rest: { url: `${base}/open` } }),
          skill({ name: 'Partial', produces: ['name', 'stars', 'forks'], rest: { url: `${base}/partial` } }),
          skill({ name: 'GetFail', produces: ['x'], rest: { url: `${base}/fail`, retries: 2 } }),
          skill({ name: 'PostFail', produces: ['x'], rest: { method: 'POST', url: `${base}/fail`, retries: 2, body: {} } }),
          skill({ name: 'Big', produces: ['blob'], rest: { url: `${base}/big`, max_response_bytes: 1024 } }),
          skill({ name: 'Deep', optional_produces: ['whole'], rest: { url: `${base}/deep`, response: { whole: '$' } } }),
          skill({ name: 'Slow', produces: ['x'], rest: { url: `${slow.url}/slow`, timeout: 0.3 } }),
          skill({ name: 'Refused', produces: ['x'], rest: { url: 'http://127.0.0.1:1/nothing-listens', retries: 1 } }),
        ],
      },
    );
    alice = await fx.keyFor('alice');
  });
  after(async () => {
    await fx.close();
    await upstream.close();
    await slow.close();
  });

  async function storeCredential(type: string, data: Record<string, unknown>) {
    await request(fx.app).delete('/credentials/cred').set(auth(alice));
    await request(fx.app).post('/credentials').set(auth(alice)).send({ name: 'cred', type, data }).expect(201);
  }

  async function executeGetEcho() {
    const res = await request(fx.app).post('/skills/GetEcho/execute').set(auth(alice)).send({ inputs: {} }).expect(200);
    return res.body.outputs.echo as { headers: Record<string, string>; query: Record<string, string> };
  }

  test('When the credential is bearer, basic, header or query, then it arrives upstream exactly as configured', async () => {
    await storeCredential('bearer', { token: 'tok-123' });
    assert.equal((await executeGetEcho()).headers.authorization, 'Bearer tok-123');

    await storeCredential('basic', { username: 'alice@example.com', password: 'p:ss wörd' });
    assert.equal((await executeGetEcho()).headers.authorization, `Basic ${Buffer.from('alice@example.com:p:ss wörd').toString('base64')}`);

    await storeCredential('header', { header: 'X-Api-Token', value: 'hv-456' });
    const viaHeader = await executeGetEcho();
    assert.equal(viaHeader.headers['x-api-token'], 'hv-456');
    assert.equal(viaHeader.headers.authorization, undefined);

    await storeCredential('query', { param: 'api_key', value: 'q v&7' });
    assert.equal((await executeGetEcho()).query.api_key, 'q v&7');
  });

  test('When inputs fill path, query, headers and body, then they are encoded and typed as documented', async () => {
    await storeCredential('bearer', { token: 'tok-123' });
    const res = await request(fx.app)
      .post('/skills/Echo/execute')
      .set(auth(alice))
      .send({ inputs: { owner: 'a b/c', repo: 'r?x', limit: 5, meta: { nested: [1, true] } } })
      .expect(200);
    assert.equal(res.body.skill, 'Echo');
    assert.equal(res.body.status, 'success');
    assert.equal(res.body.instance, 0);
    assert.equal(typeof res.body.durationMs, 'number');
    const echo = res.body.outputs.echo;
    assert.equal(echo.method, 'POST');
    assert.equal(echo.path, '/repos/a%20b%2Fc/r%3Fx');
    assert.deepEqual(echo.query, { per_page: '5', fixed: 'yes' }, 'an absent whole-value placeholder is dropped');
    assert.equal(echo.headers['x-trace'], 'trace-a b/c');
    assert.deepEqual(echo.body, { count: 5, meta: { nested: [1, true] }, text: 'hi a b/c' }, 'whole placeholders keep their JSON type');
    assert.equal(res.body.outputs.stars, 42);
    assert.equal(res.body.outputs.second, 'second');
    assert.deepEqual(res.body.outputs.whole.items[0], { name: 'first' });
  });

  test('When the upstream response lacks a produces key, then the skill fails naming it', async () => {
    const res = await request(fx.app).post('/skills/Partial/execute').set(auth(alice)).send({ inputs: {} }).expect(502);
    assert.equal(res.body.detail, 'upstream response lacks produces: stars, forks');
    assert.equal(res.body.skill, 'Partial');
    assert.equal(res.body.status, 502);
  });

  test('When required inputs are missing or the skill is unknown, then 400 names them and 404 the skill', async () => {
    const res = await request(fx.app).post('/skills/Echo/execute').set(auth(alice)).send({ inputs: { owner: 'x' } }).expect(400);
    assert.deepEqual(res.body.missing, ['repo']);
    assert.match(res.body.detail, /missing required inputs: repo/);
    await request(fx.app).post('/skills/Nope/execute').set(auth(alice)).send({ inputs: {} }).expect(404);
    await request(fx.app).post('/skills/Echo/execute').set(auth(alice)).send({ inputs: 'nope' }).expect(400);
  });

  test('When the caller has no such credential (alice has one of that name), then 422 names the credential and the user, and nothing is sent', async () => {
    await storeCredential('bearer', { token: 'alice-only-tok' });
    const bob = await fx.keyFor('bob');
    const before = upstream.requests.length;
    const res = await request(fx.app).post('/skills/GetEcho/execute').set(auth(bob)).send({ inputs: {} }).expect(422);
    assert.equal(res.body.detail, 'credential "cred" not found for user "bob"');
    assert.ok(!JSON.stringify(res.body).includes('alice-only-tok'));
    assert.equal(upstream.requests.length, before, "bob's execution never reached the upstream with alice's credential");
  });

  test('When placeholder tricks are sent as inputs, then they are plain values and nothing is polluted', async () => {
    await storeCredential('bearer', { token: 'tok-123' });
    const res = await request(fx.app)
      .post('/skills/Echo/execute')
      .set(auth(alice))
      .set('content-type', 'application/json')
      .send('{"inputs":{"owner":"{__proto__}","repo":"{constructor.prototype}","__proto__":{"polluted":true},"limit":{"constructor":{"prototype":{"x":1}}}}}')
      .expect(200);
    assert.equal(res.body.outputs.echo.path, '/repos/%7B__proto__%7D/%7Bconstructor.prototype%7D');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test('When the upstream answers 500, then the caller gets 502 with the upstream status, and only idempotent methods are retried', async () => {
    const countFor = (path: string) => upstream.requests.filter((r) => r.url === path).length;
    const before = countFor('/fail');
    const get = await request(fx.app).post('/skills/GetFail/execute').set(auth(alice)).send({ inputs: {} }).expect(502);
    assert.equal(get.body.upstreamStatus, 500);
    assert.equal(countFor('/fail') - before, 3, 'GET: 1 + 2 retries');
    const mid = countFor('/fail');
    const post = await request(fx.app).post('/skills/PostFail/execute').set(auth(alice)).send({ inputs: {} }).expect(502);
    assert.equal(post.body.upstreamStatus, 500);
    assert.equal(countFor('/fail') - mid, 1, 'POST is never retried');
  });

  test('When the upstream is too slow, refuses connections or answers too much, then 504 / 502 / 502 follow', async () => {
    const timeout = await request(fx.app).post('/skills/Slow/execute').set(auth(alice)).send({ inputs: {} }).expect(504);
    assert.match(timeout.body.detail, /did not answer within 0.3 s/);
    const refused = await request(fx.app).post('/skills/Refused/execute').set(auth(alice)).send({ inputs: {} }).expect(502);
    assert.match(refused.body.detail, /upstream connection failed \(ECONNREFUSED\)/);
    const big = await request(fx.app).post('/skills/Big/execute').set(auth(alice)).send({ inputs: {} }).expect(502);
    assert.match(big.body.detail, /larger than max_response_bytes \(1024\)/);
    const deep = await request(fx.app).post('/skills/Deep/execute').set(auth(alice)).send({ inputs: {} }).expect(502);
    assert.match(deep.body.detail, /nested more than 64 levels/);
  });

  test('When a skill needs no credential, then it runs without one', async () => {
    const res = await request(fx.app).post('/skills/NoCred/execute').set(auth(alice)).send({}).expect(200);
    assert.equal(res.body.outputs.echo.headers.authorization, undefined);
  });

  test('When the catalogue is listed, then it shows the contract of each skill and never a secret', async () => {
    const list = await request(fx.app).get('/skills').set(auth(alice)).expect(200);
    assert.ok(list.body.skills.some((s: { name: string }) => s.name === 'Echo'));
    const one = await request(fx.app).get('/skills/Echo').set(auth(alice)).expect(200);
    assert.deepEqual(one.body.requires, ['owner', 'repo']);
    assert.equal(one.body.credential_ref, 'cred');
    assert.ok(!JSON.stringify([list.body, one.body]).includes('tok-123'));
    await request(fx.app).get('/skills').expect(401);
  });

  test('When /openapi.json is fetched, then it is OpenAPI 3.1 with the request schemas', async () => {
    const res = await request(fx.app).get('/openapi.json').expect(200);
    assert.equal(res.body.openapi, '3.1.0');
    const schema = res.body.paths['/credentials'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(schema.required.sort(), ['data', 'name', 'type']);
    assert.deepEqual(schema.properties.type.enum, ['bearer', 'basic', 'header', 'query', 'database']);
    await request(fx.app).get('/docs/').expect(200).expect('content-type', /html/);
  });
});
