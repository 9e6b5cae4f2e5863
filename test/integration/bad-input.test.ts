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
});
