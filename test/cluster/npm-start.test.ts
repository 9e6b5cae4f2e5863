import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppCopy, getJson } from '../helpers/cluster';

describe('When a fresh clone with no .env runs the README commands', () => {
  let app: AppCopy;
  before(async () => {
    app = await AppCopy.create({ withSources: true });
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

    const stopped = app.run('npm', ['run', 'stop']);
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.equal(app.processes().length, 0);
    await assert.rejects(getJson(`${app.baseUrl}/health`));
  });
});
