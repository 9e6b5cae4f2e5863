import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createAppFixture, type AppFixture } from '../helpers/app-fixture';

const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('bad input that used to get a 5xx or a non-problem answer', () => {
  let fx: AppFixture;
  let key: string;
  before(async () => {
    fx = await createAppFixture();
    key = await fx.keyFor('alice');
  });
  after(() => fx.close());

  test('When POST /runs carries initial_data nested 100 000 levels deep, then it is a 400 problem, not a stack overflow 500', async () => {
    const res = await request(fx.app)
      .post('/runs')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send(`{"steps":["DemoGreeting"],"initial_data":{"a":${deep(100_000)}}}`)
      .expect(400);
    assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
    assert.match(res.body.detail, /nested more than 64 levels/);
    assert.equal(fx.logs.lines.filter((l) => l.includes('request failed')).length, 0, 'nothing was logged as a failure');
  });

  test('When a body nests 65 levels on a public route, then the limit applies before routing and auth', async () => {
    await request(fx.app).get('/health').set('Content-Type', 'application/json').send(deep(65)).expect(400);
    const res = await request(fx.app).post('/skills/DemoGreeting/execute').set('Content-Type', 'application/json').send(`{"inputs":{"name":${deep(63)}}}`);
    assert.equal(res.status, 400, 'depth 65 counting the outer object');
    await request(fx.app).get('/health').set('Content-Type', 'application/json').send(deep(64)).expect(200);
  });

  test('When /docs is opened, then the page and the files it loads are served, and nothing else below /docs', async () => {
    await request(fx.app).get('/docs/').expect(200).expect('content-type', /html/);
    await request(fx.app).get('/docs').expect(301).expect('location', '/docs/');
    for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-ui-init.js', 'favicon-32x32.png']) {
      await request(fx.app).get(`/docs/${file}`).expect(200);
    }
    const auth = { Authorization: `Bearer ${key}` };
    for (const path of ['/docs/package.json', '/docs/..%2F..%2Fpackage.json', '/docs/nope.js', '/docs/index.html', '/docs/sub/']) {
      const res = await request(fx.app).get(path).set(auth).expect(404);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/, path);
    }
    await request(fx.app).post('/docs/').set(auth).expect(404).expect('content-type', /problem\+json/);
    await request(fx.app).post('/docs/').expect(401).expect('content-type', /problem\+json/);
  });
});
