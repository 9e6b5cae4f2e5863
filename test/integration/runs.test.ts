import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { signBody, SIGNATURE_HEADER } from '../../src/runs/callback-sender';
import { createAppFixture, type AppFixture } from '../helpers/app-fixture';
import { skill } from '../helpers/skills';
import { sendJson, Upstream } from '../helpers/upstream';

const SECRET = 'callback-secret-callback-secret-0123456789';
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('runs (single instance, real SQLite, real upstreams)', () => {
  let fx: AppFixture;
  let upstream: Upstream;
  let receiver: Upstream;
  let receiverCalls = 0;
  let alice: string;
  let bob: string;

  before(async () => {
    upstream = await Upstream.start((req, res) => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname.startsWith('/users/')) return sendJson(res, 200, { id: `u-${url.pathname.slice(7)}`, token_seen: req.headers.authorization });
      if (url.pathname === '/orders') return sendJson(res, 200, { count: url.searchParams.get('user') === 'u-ada' ? 3 : 0 });
      if (url.pathname === '/notify') return sendJson(res, 200, { sent: true, echo: JSON.parse(req.body) });
      if (url.pathname === '/slow') return void setTimeout(() => sendJson(res, 200, { done: true }), 3000);
      return sendJson(res, 500, { error: 'boom' });
    });
    receiver = await Upstream.start((_req, res) => {
      receiverCalls += 1;
      res.writeHead(receiverCalls === 1 ? 500 : 204);
      res.end();
    });
    const base = upstream.url;
    fx = await createAppFixture(
      { OUTBOUND_ALLOW: '127.0.0.1', CALLBACK_SIGNING_SECRET: SECRET, CALLBACK_BACKOFF_MS: '100', RUNS_POLL_MS: '50', RUNS_MAX_STEPS: '5', RUNS_MAX_DATA_BYTES: '2048' },
      {
        skills: [
          skill({ name: 'LookupUser', requires: ['username'], produces: ['user_id'], optional_produces: ['token_seen'], rest: { url: `${base}/users/{username}`, credential_ref: 'api', response: { user_id: '$.id', token_seen: '$.token_seen' } } }),
          skill({ name: 'CountOrders', requires: ['user_id'], produces: ['order_count'], rest: { url: `${base}/orders`, query: { user: '{user_id}' }, response: { order_count: '$.count' } } }),
          skill({ name: 'Notify', requires: ['user_id', 'order_count'], produces: ['notified'], rest: { method: 'POST', url: `${base}/notify`, body: { user: '{user_id}', count: '{order_count}' }, response: { notified: '$.sent' } } }),
          skill({ name: 'Broken', produces: ['x'], rest: { url: `${base}/broken` } }),
          skill({ name: 'Slow', produces: ['done'], rest: { url: `${base}/slow`, timeout: 10 } }),
        ],
      },
    );
    fx.services.runWorker.start();
    alice = await fx.keyFor('alice');
    bob = await fx.keyFor('bob');
    for (const [key, token] of [[alice, 'alice-token'], [bob, 'bob-token']] as const) {
      await request(fx.app).post('/credentials').set(auth(key)).send({ name: 'api', type: 'bearer', data: { token } }).expect(201);
    }
  });
  after(async () => {
    await fx.close();
    await upstream.close();
    await receiver.close();
  });

  async function waitForRun(key: string, id: string, timeoutMs = 10_000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await request(fx.app).get(`/runs/${id}`).set(auth(key)).expect(200);
      if (!['queued', 'running'].includes(res.body.status)) return res.body;
      if (Date.now() > deadline) assert.fail(`run ${id} still ${res.body.status}`);
      await sleep(50);
    }
  }

  test('When a 3-step run is posted, then 202 comes back and it completes with the merged data_store, as its owner', async () => {
    const posted = await request(fx.app)
      .post('/runs')
      .set(auth(alice))
      .send({ steps: ['LookupUser', 'CountOrders', 'Notify'], initial_data: { username: 'ada' }, run_name: 'weekly report' })
      .expect(202);
    assert.equal(posted.body.status, 'queued');
    assert.equal(posted.headers.location, `/runs/${posted.body.id}`);
    const run = await waitForRun(alice, posted.body.id);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    assert.deepEqual(run.data_store, { username: 'ada', user_id: 'u-ada', token_seen: 'Bearer alice-token', order_count: 3, notified: true });
    assert.deepEqual(run.steps.map((s: { status: string }) => s.status), ['completed', 'completed', 'completed']);
    assert.equal(run.run_name, 'weekly report');
    assert.ok(run.started_at && run.completed_at);
    const notify = upstream.requests.find((r) => r.url === '/notify');
    assert.deepEqual(JSON.parse(notify?.body ?? '{}'), { user: 'u-ada', count: 3 });
  });

  test('When alice and bob start runs together, then each run uses its owner’s credential', async () => {
    const [a, b] = await Promise.all([
      request(fx.app).post('/runs').set(auth(alice)).send({ steps: ['LookupUser'], initial_data: { username: 'x' } }),
      request(fx.app).post('/runs').set(auth(bob)).send({ steps: ['LookupUser'], initial_data: { username: 'y' } }),
    ]);
    assert.equal((await waitForRun(alice, a.body.id)).data_store.token_seen, 'Bearer alice-token');
    assert.equal((await waitForRun(bob, b.body.id)).data_store.token_seen, 'Bearer bob-token');
  });

  test('When a step fails, then the run fails naming the step and the reason, and later steps never run', async () => {
    const posted = await request(fx.app).post('/runs').set(auth(alice)).send({ steps: ['LookupUser', 'Broken', 'Notify'], initial_data: { username: 'ada' } }).expect(202);
    const run = await waitForRun(alice, posted.body.id);
    assert.equal(run.status, 'failed');
    assert.equal(run.error, 'step 2 (Broken) failed: upstream answered HTTP 500');
    assert.deepEqual(run.steps.map((s: { status: string }) => s.status), ['completed', 'failed', 'pending']);
    assert.equal(run.steps[1].error, run.error);
  });

  test('When a step lacks a required input, then the run fails naming it', async () => {
    const posted = await request(fx.app).post('/runs').set(auth(alice)).send({ steps: ['CountOrders'] }).expect(202);
    const run = await waitForRun(alice, posted.body.id);
    assert.equal(run.error, 'step 1 (CountOrders) failed: missing required inputs: user_id');
  });

  test('When a run with a callback_url finishes, then a signed POST arrives and is retried after a 500', async () => {
    const callback = `${receiver.url}/hook`;
    const posted = await request(fx.app).post('/runs').set(auth(alice)).send({ steps: ['LookupUser'], initial_data: { username: 'cb' }, callback_url: callback, run_name: 'cb' }).expect(202);
    await waitForRun(alice, posted.body.id);
    const deadline = Date.now() + 10_000;
    while (receiver.requests.length < 2 && Date.now() < deadline) await sleep(50);
    assert.equal(receiver.requests.length, 2, 'one failed delivery, one retry');
    for (const delivery of receiver.requests) {
      assert.equal(delivery.headers[SIGNATURE_HEADER.toLowerCase()], signBody(SECRET, delivery.body), 'the signature verifies');
      const body = JSON.parse(delivery.body);
      assert.deepEqual(Object.keys(body).sort(), ['completed_at', 'error', 'run_id', 'run_name', 'started_at', 'status']);
      assert.equal(body.run_id, posted.body.id);
      assert.equal(body.status, 'completed');
    }
    assert.notEqual(receiver.requests[0]?.headers[SIGNATURE_HEADER.toLowerCase()], signBody('another-secret-another-secret-0123456789', receiver.requests[0]?.body ?? ''));
    const run = await request(fx.app).get(`/runs/${posted.body.id}`).set(auth(alice)).expect(200);
    assert.equal(run.body.callback_status, 'delivered');
  });

  test('When bob asks for or cancels alice’s run, then it is a 404, and alice can list, filter and cancel her own', async () => {
    const posted = await request(fx.app).post('/runs').set(auth(alice)).send({ steps: ['Slow', 'Notify'], initial_data: {} }).expect(202);
    await request(fx.app).get(`/runs/${posted.body.id}`).set(auth(bob)).expect(404).expect('content-type', /problem\+json/);
    await request(fx.app).post(`/runs/${posted.body.id}/cancel`).set(auth(bob)).expect(404);
    const bobs = await request(fx.app).get('/runs').set(auth(bob)).expect(200);
    assert.ok(bobs.body.runs.every((r: { owner: string }) => r.owner === 'bob'));

    const cancelled = await request(fx.app).post(`/runs/${posted.body.id}/cancel`).set(auth(alice)).expect(200);
    assert.equal(cancelled.body.status, 'cancelled');
    const run = await waitForRun(alice, posted.body.id);
    assert.equal(run.status, 'cancelled');
    await sleep(300);
    const later = await request(fx.app).get(`/runs/${posted.body.id}`).set(auth(alice)).expect(200);
    assert.equal(later.body.status, 'cancelled', 'never overwritten');
    assert.ok(later.body.steps.every((s: { status: string }) => s.status === 'cancelled'));

    const listed = await request(fx.app).get('/runs?status=cancelled&limit=5').set(auth(alice)).expect(200);
    assert.ok(listed.body.runs.some((r: { id: string }) => r.id === posted.body.id));
    assert.equal(listed.body.limit, 5);
    const done = await request(fx.app).get('/runs?status=completed').set(auth(alice)).expect(200);
    await request(fx.app).post(`/runs/${done.body.runs[0].id}/cancel`).set(auth(alice)).expect(409);
  });

  test('When the request is bad, then it is a 4xx naming the problem', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{ steps: [] }, 400, /at least one skill/],
      [{ steps: ['Nope', 'LookupUser'] }, 400, /unknown skills in steps: Nope/],
      [{ steps: Array(6).fill('Notify') }, 400, /at most 5 steps/],
      [{ steps: ['Notify'], initial_data: { big: 'x'.repeat(3000) } }, 413, /limit is 2048/],
      [{ steps: ['Notify'], callback_url: 'ftp://x' }, 400, /http\(s\) URL/],
      [{ steps: 'Notify' }, 400, /steps/],
      [{ steps: ['Notify'], owner: 'bob' }, 400, /Unrecognized key/],
    ];
    for (const [body, status, detail] of cases) {
      const res = await request(fx.app).post('/runs').set(auth(alice)).send(body as object);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.body.detail, detail);
    }
    await request(fx.app).get('/runs?status=bogus').set(auth(alice)).expect(400);
    await request(fx.app).get('/runs?limit=-1').set(auth(alice)).expect(400);
    await request(fx.app).get('/runs/not-a-run').set(auth(alice)).expect(404);
  });
});
