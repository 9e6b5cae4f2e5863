import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppCopy, getJson, REPO_ROOT } from '../helpers/cluster';

describe('When a fresh clone with no .env runs the README commands', () => {
  let app: AppCopy;
  before(async () => {
    app = await AppCopy.create({ withSources: true });
    // The copy gets the shipped skills; a fresh clone has no data and no .env.
    fs.rmSync(path.join(app.root, 'dist'), { recursive: true, force: true });
  });
  after(() => app.destroy());

  test('then `npm start` builds, sets up and brings a 2-instance cluster up, and `npm run stop` takes it down', async () => {
    assert.equal(fs.existsSync(path.join(app.root, '.env')), false);
    const started = app.run('npm', ['start']);
    assert.equal(started.status, 0, `${started.stdout}\n${started.stderr}`);
    assert.match(fs.readFileSync(path.join(app.root, '.env'), 'utf8'), /^CREDENTIAL_MASTER_KEY=\S{44}$/m);
    assert.match(started.stderr, /curl http:\/\/127\.0\.0\.1:\d+\/health\/ready/, 'it prints how to call the service');

    const online = app.processes().filter((p) => p.status === 'online');
    assert.equal(online.length, 2);
    const pids = new Set<number>();
    for (let i = 0; i < 10; i += 1) {
      const res = await getJson(`${app.baseUrl}/health/ready`);
      assert.equal(res.status, 200);
      pids.add((res.body as { pid: number }).pid);
    }
    assert.equal(pids.size, 2);

    // The README's first call, as written there (only the port differs).
    const key = /^(sop_[A-Za-z0-9_-]{43})$/m.exec(started.stdout)?.[1];
    assert.ok(key, 'npm start printed the bootstrap API key');
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => b.includes('DemoGreeting/execute'));
    assert.ok(block, 'the README shows the demo curl');
    const curl = block.slice(block.indexOf('curl')).replaceAll('127.0.0.1:3000', `127.0.0.1:${app.port}`);
    const demo = app.run('bash', ['-c', curl], { SOP_API_KEY: key });
    assert.equal(demo.status, 0, demo.stderr);
    const result = JSON.parse(demo.stdout) as { status: string; outputs: { greeting: string } };
    assert.equal(result.status, 'success');
    assert.equal(result.outputs.greeting, 'Hello, Ada!');

    const stopped = app.run('npm', ['run', 'stop']);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.equal(app.processes().length, 0);
    await assert.rejects(getJson(`${app.baseUrl}/health`));
  });
});
