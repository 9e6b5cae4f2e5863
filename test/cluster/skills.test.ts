import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppCopy, getJson, type HttpResult } from '../helpers/cluster';
import { sendJson, Upstream } from '../helpers/upstream';

const MASTER_KEY = Buffer.alloc(32, 0x33).toString('base64');
const TOKENS = { alice: 'alice-SECRET-token-1', bob: 'bob-SECRET-token-1', aliceRotated: 'alice-SECRET-token-2' };

interface ExecuteBody {
  status: string;
  instance: number;
  outputs: { seen: string };
}

describe('When skills run on a 2-instance cluster with per-user credentials', () => {
  let app: AppCopy;
  let upstream: Upstream;
  const keys: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

  const call = (who: 'alice' | 'bob', method: string, route: string, body?: unknown): Promise<HttpResult> =>
    getJson(`${app.baseUrl}${route}`, { method, headers: { Authorization: `Bearer ${keys[who]}` }, body });
  const execute = (who: 'alice' | 'bob') => call(who, 'POST', '/skills/WhoAmI/execute', { inputs: {} });

  before(async () => {
    upstream = await Upstream.start((req, res) => sendJson(res, 200, { seen: req.headers.authorization ?? '' }));
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: MASTER_KEY, OUTBOUND_ALLOW: '127.0.0.1' } });
    const skillDir = path.join(app.root, 'skills', 'WhoAmI');
    fs.mkdirSync(skillDir, { recursive: true });
    fs.writeFileSync(
      path.join(skillDir, 'skill.md'),
      ['---', 'name: WhoAmI', 'produces: [seen]', 'executor: rest', 'rest:', `  url: ${upstream.url}/whoami`, '  credential_ref: api', '---', ''].join('\n'),
    );
    // An invalid skill file must be reported and skipped, never take an instance down.
    fs.mkdirSync(path.join(app.root, 'skills', 'Broken'), { recursive: true });
    fs.writeFileSync(path.join(app.root, 'skills', 'Broken', 'skill.md'), '---\nname: Broken\nexecutor: soap\n---\n');
    app.setup();
    for (const who of ['alice', 'bob'] as const) {
      const created = app.sopctl(['keys', 'create', '--user', who]);
      assert.equal(created.status, 0, created.stderr);
      keys[who] = created.stdout.trim();
      assert.match(keys[who], /^sop_[A-Za-z0-9_-]{43}$/, 'keys create prints only the key on stdout');
    }
    app.start();
    await app.waitFor('2 online instances', () => (app.processes().filter((p) => p.status === 'online').length === 2 ? true : undefined));
  });
  after(async () => {
    await app.destroy();
    await upstream.close();
  });

  test('then a credential created by one request is listed and usable by every following request, whichever instance answers', async () => {
    const created = await call('alice', 'POST', '/credentials', { name: 'api', type: 'bearer', data: { token: TOKENS.alice } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const bobCreated = await call('bob', 'POST', '/credentials', { name: 'api', type: 'bearer', data: { token: TOKENS.bob } });
    assert.equal(bobCreated.status, 201);
    const instances = new Set<number>();
    // Sequential requests on fresh connections alternate between the instances (round robin).
    for (let i = 0; i < 6; i += 1) {
      const list = await call('alice', 'GET', '/credentials');
      assert.deepEqual((list.body as { credentials: Array<{ name: string }> }).credentials.map((c) => c.name), ['api']);
    }
    for (let i = 0; i < 10; i += 1) {
      const run = await execute('alice');
      assert.equal(run.status, 200, JSON.stringify(run.body));
      const body = run.body as ExecuteBody;
      assert.equal(body.outputs.seen, `Bearer ${TOKENS.alice}`);
      instances.add(body.instance);
    }
    assert.deepEqual([...instances].sort(), [0, 1], 'both instances used it');
  });

  test('then 200 executions alternating alice and bob all succeed on both instances, each with their own secret', async () => {
    const before = upstream.requests.length;
    const results: Array<{ who: 'alice' | 'bob'; response: HttpResult }> = [];
    const queue = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 'alice' : 'bob') as 'alice' | 'bob');
    const worker = async () => {
      for (let who = queue.shift(); who !== undefined; who = queue.shift()) results.push({ who, response: await execute(who) });
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.equal(results.length, 200);
    const instances = new Set<number>();
    for (const { who, response } of results) {
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const body = response.body as ExecuteBody;
      assert.equal(body.status, 'success');
      assert.equal(body.outputs.seen, `Bearer ${TOKENS[who]}`, `${who} used their own credential`);
      instances.add(body.instance);
    }
    assert.deepEqual([...instances].sort(), [0, 1], 'both instances served');
    const seen = upstream.requests.slice(before).map((r) => r.headers.authorization);
    assert.equal(seen.filter((a) => a === `Bearer ${TOKENS.alice}`).length, 100);
    assert.equal(seen.filter((a) => a === `Bearer ${TOKENS.bob}`).length, 100);
  });

  test('then a credential updated with the CLI while the cluster runs is what the next requests use, on every instance', async () => {
    const updated = app.sopctl(['credentials', 'update', 'api', '--user', 'alice', '--secret-stdin'], { input: `${TOKENS.aliceRotated}\n` });
    assert.equal(updated.status, 0, updated.stderr);
    assert.ok(!updated.stdout.includes(TOKENS.aliceRotated), 'the CLI does not echo the secret');
    const instances = new Set<number>();
    for (let i = 0; i < 10; i += 1) {
      const body = (await execute('alice')).body as ExecuteBody;
      assert.equal(body.outputs.seen, `Bearer ${TOKENS.aliceRotated}`);
      instances.add(body.instance);
    }
    assert.deepEqual([...instances].sort(), [0, 1]);
    const audit = app.sopctl(['credentials', 'audit', '--user', 'alice', '--name', 'api', '--json', '--limit', '500']);
    const entries = JSON.parse(audit.stdout) as Array<{ action: string; via: string; instance: string; ok: boolean }>;
    assert.ok(entries.some((e) => e.action === 'update' && e.via === 'cli'));
    const uses = entries.filter((e) => e.action === 'use' && e.via === 'skill:WhoAmI' && e.ok);
    assert.ok(uses.length >= 110, 'every use was audited');
    assert.deepEqual([...new Set(uses.map((e) => e.instance))].sort(), ['0', '1']);
  });

  test('then no secret value or API key appears in pm2 logs, and the invalid skill was reported by each instance', () => {
    const logs = app.logs(5000);
    assert.match(logs, /instance ready/, 'the logs were read');
    const reports = logs.match(/invalid skill skipped\s+instance=\d+ pid=\d+ file=Broken\/skill\.md reason="invalid skill definition: executor: must be \\"rest\\"/g) ?? [];
    assert.equal(reports.length, 2, logs.slice(0, 3000));
    for (const secret of [...Object.values(TOKENS), keys.alice, keys.bob, MASTER_KEY]) assert.ok(!logs.includes(secret), 'a secret leaked into pm2 logs');
  });
});
