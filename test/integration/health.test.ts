import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { AuthContext } from '../../src/auth/auth-context';
import { createAppFixture, type AppFixture } from '../helpers/app-fixture';

describe('health routes', () => {
  let fx: AppFixture;
  before(async () => {
    fx = await createAppFixture();
  });
  after(() => fx.close());

  test('When GET /health, then liveness fields are returned without auth', async () => {
    const res = await request(fx.app).get('/health').expect(200);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.instance, 0);
    assert.equal(res.body.pid, process.pid);
    assert.equal(typeof res.body.uptimeSeconds, 'number');
  });

  test('When AuthContext and store are ready, then /health/ready is 200 with the auth block', async () => {
    const res = await request(fx.app).get('/health/ready').expect(200);
    assert.equal(res.body.status, 'ready');
    assert.deepEqual(Object.keys(res.body.auth).sort(), ['initialized', 'initializedAt', 'userId']);
    assert.equal(res.body.auth.initialized, true);
    assert.equal(res.body.auth.userId, 'system');
    assert.equal(res.body.store, 'ok');
  });

  test('When AuthContext is not initialised, then /health/ready is 503 problem+json saying so', async () => {
    AuthContext.reset();
    try {
      const res = await request(fx.app).get('/health/ready').expect(503);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
      assert.equal(res.body.status, 503);
      assert.match(res.body.detail, /AuthContext is not initialized/);
      assert.equal(res.body.auth.initialized, false);
    } finally {
      AuthContext.initializeFromEnv(fx.config);
    }
  });

  test('When the store is closed, then /health/ready is 503 naming the store', async () => {
    const broken = await createAppFixture();
    try {
      await broken.store.close();
      const res = await request(broken.app).get('/health/ready').expect(503);
      assert.match(res.body.detail, /store is not ready/);
    } finally {
      await broken.close();
      AuthContext.initializeFromEnv(fx.config);
    }
  });

  test('When the instance is draining, then answers carry Connection: close and readiness stays 200', async () => {
    fx.lifecycle.draining = true;
    try {
      const res = await request(fx.app).get('/health/ready').expect(200);
      assert.equal(res.headers.connection, 'close');
      assert.equal(res.body.draining, true);
    } finally {
      fx.lifecycle.draining = false;
    }
  });

  test('When a route does not exist or the JSON is invalid, then the answer is a 4xx problem+json', async () => {
    await request(fx.app).get('/nope').expect(401);
    const missing = await request(fx.app).get('/nope').set('X-API-Key', await fx.keyFor('alice')).expect(404);
    assert.match(missing.headers['content-type'] ?? '', /application\/problem\+json/);
    assert.match(missing.body.detail, /GET \/nope/);
    const invalid = await request(fx.app).post('/health').set('content-type', 'application/json').send('{"a":').expect(400);
    assert.equal(invalid.body.detail, 'the request body is not valid JSON');
  });
});
