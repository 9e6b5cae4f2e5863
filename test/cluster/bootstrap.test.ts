import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppCopy, getJson } from '../helpers/cluster';
import { runLoad } from '../helpers/load';

const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

interface ReadyBody {
  status: string;
  auth: { initialized: boolean; userId: string };
  pid: number;
  instance: number;
}

function initLines(logs: string, user = 'system'): Array<{ pid: number; instance: number }> {
  const pattern = new RegExp(`AuthContext initialized for user: ${user}\\s+instance=(\\d+) pid=(\\d+)`, 'g');
  return [...logs.matchAll(pattern)].map((m) => ({ instance: Number(m[1]), pid: Number(m[2]) }));
}

function readyPids(logs: string): Set<number> {
  return new Set([...logs.matchAll(/instance ready\s+instance=\d+ pid=(\d+)/g)].map((m) => Number(m[1])));
}

describe('When a 2-instance PM2 cluster starts from ecosystem.config.js', () => {
  let app: AppCopy;

  before(async () => {
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: MASTER_KEY } });
    app.setup();
    app.start();
    await app.waitFor('2 online instances', () => (app.processes().filter((p) => p.status === 'online').length === 2 ? true : undefined));
  });
  after(() => app.destroy());

  test('then each instance logs its own AuthContext line then "instance ready", and /health/ready is 200 from both pids', async () => {
    const processes = app.processes();
    const logs = await app.waitFor('two ready lines', () => {
      const text = app.logs();
      return readyPids(text).size >= 2 ? text : undefined;
    });
    const lines = initLines(logs);
    for (const proc of processes) {
      const line = lines.find((l) => l.pid === proc.pid);
      assert.ok(line, `pid ${proc.pid} printed "AuthContext initialized for user: system"\n${logs}`);
      assert.equal(line.instance, proc.instance);
      assert.ok(readyPids(logs).has(proc.pid), `pid ${proc.pid} printed "instance ready"`);
      const initAt = logs.indexOf(`AuthContext initialized for user: system  instance=${proc.instance} pid=${proc.pid}`);
      const readyAt = logs.search(new RegExp(`instance ready\\s+instance=${proc.instance} pid=${proc.pid}`));
      assert.ok(initAt >= 0 && readyAt > initAt, 'the AuthContext line comes before "instance ready"');
    }

    const pids = new Set<number>();
    for (let i = 0; i < 50; i += 1) {
      const response = await getJson(`${app.baseUrl}/health/ready`);
      assert.equal(response.status, 200);
      const body = response.body as ReadyBody;
      assert.equal(body.auth.initialized, true);
      assert.equal(body.auth.userId, 'system');
      pids.add(body.pid);
    }
    assert.deepEqual([...pids].sort(), processes.map((p) => p.pid).sort(), 'both pids answered');
  });

  test('then `pm2 reload` under a keep-alive client loop loses no request and new pids log the lines again', async () => {
    const before = app.processes().map((p) => p.pid);
    let reloading = true;
    const load = runLoad({
      url: `${app.baseUrl}/health/ready`,
      concurrency: 4,
      minRequests: 1000,
      keepGoing: () => reloading,
      maxRequests: 40_000,
      maxMs: 60_000,
    });
    const reload = app.pm2Async(['reload', 'sop-orchestrator']).finally(() => {
      reloading = false;
    });
    const [result, reloaded] = await Promise.all([load, reload]);
    assert.equal(reloaded.code, 0, reloaded.output);
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join('\n')}`);
    assert.ok(result.ok >= 1000, `at least 1000 requests (${result.ok})`);

    const after = app.processes().map((p) => p.pid);
    for (const pid of after) assert.ok(!before.includes(pid), `pid ${pid} is new after reload`);
    const logs = await app.waitFor('new pids in the logs', () => {
      const text = app.logs(1000);
      return after.every((pid) => initLines(text).some((l) => l.pid === pid) && readyPids(text).has(pid)) ? text : undefined;
    });
    assert.ok(logs.includes('shutting down'), 'old instances logged their shutdown');
  });

  test('then SIGKILL of one worker is followed by a restart whose new pid logs the init line, while /health/ready keeps answering', async () => {
    const [victim, survivor] = app.processes();
    assert.ok(victim && survivor);
    process.kill(victim.pid, 'SIGKILL');
    // A connection that PM2's daemon (the cluster primary) hands to the worker at the instant it
    // dies is lost with it, whatever the app does; so ask once PM2 has seen the death.
    await app.waitFor('PM2 to notice the dead worker', () =>
      app.processes().some((p) => p.pmId === victim.pmId && (p.pid !== victim.pid || p.status !== 'online')) ? true : undefined,
    );
    const answered = await getJson(`${app.baseUrl}/health/ready`);
    assert.equal(answered.status, 200, 'the other instance keeps answering');
    const replacement = await app.waitFor('a restarted instance', () =>
      app.processes().find((p) => p.pmId === victim.pmId && p.pid !== victim.pid && p.status === 'online'),
    );
    await app.waitFor('the init line of the new pid', () => (initLines(app.logs(1000)).some((l) => l.pid === replacement.pid) ? true : undefined));
    const pids = new Set<number>();
    for (let i = 0; i < 20; i += 1) {
      const response = await getJson(`${app.baseUrl}/health/ready`);
      assert.equal(response.status, 200);
      pids.add((response.body as ReadyBody).pid);
    }
    assert.ok(pids.has(replacement.pid), 'the restarted instance serves');
  });
});

describe('When DEFAULT_USER_ID=alice is in the shell at `pm2 start`', () => {
  let app: AppCopy;
  before(async () => {
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: MASTER_KEY } });
    app.setup();
  });
  after(() => app.destroy());

  test('then both instances log user alice and report it as ready', async () => {
    app.start({ DEFAULT_USER_ID: 'alice' });
    const logs = await app.waitFor('two alice lines', () => {
      const text = app.logs();
      return new Set(initLines(text, 'alice').map((l) => l.pid)).size === 2 ? text : undefined;
    });
    assert.equal(initLines(logs, 'system').length, 0);
    const response = await getJson(`${app.baseUrl}/health/ready`);
    assert.equal((response.body as ReadyBody).auth.userId, 'alice');
  });
});

describe('When CREDENTIAL_MASTER_KEY is missing or malformed', () => {
  const cases = [
    { name: 'unset', dotenv: {} as Record<string, string>, expected: /FATAL\s+CREDENTIAL_MASTER_KEY is not set: run `npm run setup`/ },
    {
      name: 'malformed',
      dotenv: { CREDENTIAL_MASTER_KEY: 'not-a-key' },
      expected: /FATAL\s+CREDENTIAL_MASTER_KEY the key is not a 32-byte key .*npm run setup/,
    },
  ];
  for (const { name, dotenv, expected } of cases) {
    test(`(${name}) then no instance answers or becomes ready, and pm2 logs --nostream names the variable and the fix`, async () => {
      const app = await AppCopy.create({ dotenv });
      try {
        app.pm2(['start', 'ecosystem.config.js']);
        const logs = await app.waitFor('the fatal line in pm2 logs', () => {
          const text = app.logs();
          return expected.test(text) ? text : undefined;
        });
        assert.doesNotMatch(logs, /instance ready/);
        await assert.rejects(getJson(`${app.baseUrl}/health`), 'nothing listens on the port');
        // PM2 keeps retrying with back-off: a few restarts, not a tight loop.
        await new Promise((r) => setTimeout(r, 2000));
        const restarts = Math.max(...app.processes().map((p) => p.restarts));
        assert.ok(restarts < 15, `restarts are backed off (${restarts} in a few seconds)`);
        await assert.rejects(getJson(`${app.baseUrl}/health`));
      } finally {
        await app.destroy();
      }
    });
  }
});
