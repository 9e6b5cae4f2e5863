import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppCopy, getJson, type HttpResult, type Pm2Process } from '../helpers/cluster';
import { rawExchange, type RawResponse } from '../helpers/raw-http';
import { buildCorpus, ROUTES, type BadInputCase, type RouteKey } from './bad-input-corpus';

const MASTER_KEY = Buffer.alloc(32, 0x55).toString('base64');
const JWT_SECRET = 'reliability-jwt-secret-0123456789abcdef';
const CONCURRENCY = 8;

function writeSkill(app: AppCopy, name: string, lines: string[]): void {
  const dir = path.join(app.root, 'skills', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'skill.md'), ['---', `name: ${name}`, 'executor: rest', ...lines, '---', ''].join('\n'));
}

/** Why an answer is wrong for its case, or undefined when it is right. */
function verdict(c: BadInputCase, res: RawResponse): string | undefined {
  const expected = typeof c.expect.status === 'number' ? [c.expect.status] : c.expect.status;
  if (res.status === 0) return `no answer (${res.socketError ?? 'closed'})`;
  if (res.status >= 500) return `${res.status}: ${res.body.slice(0, 300)}`;
  if (!expected.includes(res.status)) return `status ${res.status}, expected ${expected.join(' or ')}: ${res.body.slice(0, 300)}`;
  const type = res.headers['content-type'];
  if (c.expect.by === 'node' && type === undefined) return res.body.length === 0 ? undefined : `a bare ${res.status} with a body`;
  if (!type?.startsWith('application/problem+json')) return `content-type ${type ?? '(none)'}: ${res.body.slice(0, 120)}`;
  let problem: { status?: unknown; detail?: unknown };
  try {
    problem = JSON.parse(res.body) as { status?: unknown; detail?: unknown };
  } catch {
    return `problem body is not JSON: ${res.body.slice(0, 120)}`;
  }
  if (typeof problem.detail !== 'string' || problem.detail.length === 0) return 'the problem has no string detail';
  if (problem.status !== res.status) return `problem status ${String(problem.status)} differs from HTTP ${res.status}`;
  if (c.expect.detail && !c.expect.detail.test(problem.detail)) return `detail "${problem.detail}" does not match ${c.expect.detail}`;
  return undefined;
}

describe('When a corpus of bad input is sent to every route of a 2-instance PM2 cluster', () => {
  let app: AppCopy;
  let corpus: BadInputCase[];
  let original: Pm2Process[];
  let fuzzKey = '';
  const call = (method: string, route: string, key: string, body?: unknown): Promise<HttpResult> =>
    getJson(`${app.baseUrl}${route}`, { method, headers: { Authorization: `Bearer ${key}` }, body });

  before(async () => {
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: MASTER_KEY, AUTH_JWT_SECRET: JWT_SECRET } });
    // Templates that name prototype members can never be satisfied; DeepProbe passes an input into the query.
    writeSkill(app, 'ProtoProbe', ['produces: [ok]', 'rest:', '  url: "http://127.0.0.1:9/p/{constructor.prototype}/{__proto__}"']);
    writeSkill(app, 'DeepProbe', ['requires: [q]', 'produces: [ok]', 'rest:', '  url: "http://127.0.0.1:9/deep"', '  query: { q: "{q}" }']);
    app.setup();
    const keys: string[] = [];
    for (const user of ['fuzz', 'other']) {
      const created = app.sopctl(['keys', 'create', '--user', user]);
      assert.equal(created.status, 0, created.stderr);
      keys.push(created.stdout.trim());
    }
    const [fuzz = '', other = ''] = keys;
    fuzzKey = fuzz;
    app.start();
    await app.waitFor('2 online instances', () => (app.processes().filter((p) => p.status === 'online').length === 2 ? true : undefined));

    for (const skill of ['ProtoProbe', 'DeepProbe']) assert.equal((await call('GET', `/skills/${skill}`, fuzz)).status, 200, `${skill} is loaded`);
    const credential = await call('POST', '/credentials', fuzz, { name: 'existing-cred', type: 'bearer', data: { token: 'tok-1' } });
    assert.equal(credential.status, 201, JSON.stringify(credential.body));
    const othersRun = await call('POST', '/runs', other, { steps: ['ProtoProbe'] });
    assert.equal(othersRun.status, 202, JSON.stringify(othersRun.body));
    const ownRun = await call('POST', '/runs', fuzz, { steps: ['ProtoProbe'] });
    assert.equal(ownRun.status, 202, JSON.stringify(ownRun.body));
    const ownRunId = (ownRun.body as { id: string }).id;
    await app.waitFor('the own run to end', async () => {
      const status = ((await call('GET', `/runs/${ownRunId}`, fuzz)).body as { status: string }).status;
      return ['failed', 'completed', 'cancelled'].includes(status) ? true : undefined;
    });

    corpus = buildCorpus({
      port: app.port,
      apiKey: fuzz,
      jwtSecret: JWT_SECRET,
      existingCredential: 'existing-cred',
      ownFinishedRun: ownRunId,
      othersRun: (othersRun.body as { id: string }).id,
      otherUser: 'other',
    });
    original = app.processes();
  });
  after(() => app.destroy());

  test('then the corpus has at least 200 requests, covers every route, and expects only 4xx answers', (t) => {
    assert.ok(corpus.length >= 200, `${corpus.length} cases`);
    const perRoute = new Map<RouteKey, number>(ROUTES.map((r) => [r, 0]));
    for (const c of corpus) perRoute.set(c.route, (perRoute.get(c.route) ?? 0) + 1);
    t.diagnostic(`${corpus.length} cases: ${[...perRoute].map(([route, count]) => `${route} ${count}`).join(', ')}`);
    for (const [route, count] of perRoute) assert.ok(count >= 10, `${route} has only ${count} cases`);
    for (const c of corpus) {
      const statuses = typeof c.expect.status === 'number' ? [c.expect.status] : c.expect.status;
      assert.ok(statuses.every((s) => s >= 400 && s <= 499), `${c.route} ${c.name} expects ${statuses.join('|')}`);
    }
  });

  test('then every answer is a 4xx problem+json with a string detail (or a bare 4xx from Node’s parser), never a 5xx', async (t) => {
    const queue = corpus.map((c, index) => ({ c, index }));
    const results: Array<{ c: BadInputCase; res: RawResponse }> = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          results.push({ c: next.c, res: await rawExchange(app.port, next.c.request, { halfClose: next.c.halfClose ?? false }) });
        }
      }),
    );
    const histogram = new Map<string, number>();
    for (const { c, res } of results) {
      const key = `${res.status}${c.expect.by === 'node' && res.headers['content-type'] === undefined ? ' (Node parser)' : ''}`;
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
    }
    t.diagnostic(`${results.length} requests in ${Date.now() - started} ms; answers: ${[...histogram].sort().map(([k, n]) => `${k}×${n}`).join(', ')}`);
    const wrong = results.flatMap(({ c, res }) => {
      const why = verdict(c, res);
      return why === undefined ? [] : [`${c.route} — ${c.name}: ${why}`];
    });
    assert.equal(results.length, corpus.length);
    assert.deepEqual(wrong, [], `${wrong.length} wrong answers:\n${wrong.slice(0, 40).join('\n')}`);
  });

  test('then no payload polluted Object.prototype on either instance', async () => {
    // Sequential fresh connections alternate between the instances; each probe would pass if a
    // corpus payload had planted `steps`, `name` or `inputs` on Object.prototype.
    for (let i = 0; i < 6; i += 1) {
      const runs = await call('POST', '/runs', fuzzKey, {});
      assert.equal(runs.status, 400, JSON.stringify(runs.body));
      assert.match((runs.body as { detail: string }).detail, /steps/);
      const execute = await call('POST', '/skills/DemoGreeting/execute', fuzzKey, { inputs: {} });
      assert.equal(execute.status, 400, JSON.stringify(execute.body));
      assert.match((execute.body as { detail: string }).detail, /missing required inputs: name/);
    }
    const credential = await call('GET', '/credentials/existing-cred', fuzzKey);
    assert.equal(credential.status, 200);
    assert.equal((credential.body as { description: string; type: string }).type, 'bearer', 'no PUT in the corpus changed the credential');
    assert.equal((credential.body as { description: string }).description, '');
  });

  test('then both instances are the same processes, never restarted, still serving, and logged no 5xx', async () => {
    await sleep(500);
    const now = app.processes();
    assert.deepEqual(
      now.map((p) => ({ pmId: p.pmId, pid: p.pid, restarts: p.restarts, status: p.status })),
      original.map((p) => ({ pmId: p.pmId, pid: p.pid, restarts: p.restarts, status: p.status })),
    );
    const pids = new Set<number>();
    for (let i = 0; i < 10; i += 1) {
      const ready = await getJson(`${app.baseUrl}/health/ready`);
      assert.equal(ready.status, 200);
      pids.add((ready.body as { pid: number }).pid);
    }
    assert.deepEqual([...pids].sort(), original.map((p) => p.pid).sort(), 'both original pids answer');
    const logs = app.logs(5000);
    assert.match(logs, /instance ready/, 'the logs were read');
    assert.doesNotMatch(logs, /request failed|uncaught exception|unhandled rejection|shutting down/);
  });
});
