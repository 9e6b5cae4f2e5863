import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppCopy, type Pm2Process } from '../helpers/cluster';
import { runLoad } from '../helpers/load';

const MASTER_KEY = Buffer.alloc(32, 0x66).toString('base64');
const CONCURRENCY = 6;
const RESTART_BUDGET_MS = 5000;

const initLine = (instance: number, pid: number) => `AuthContext initialized for user: system  instance=${instance} pid=${pid} `;

describe('When a worker of a 2-instance cluster is SIGKILLed under a keep-alive load on /health/ready', () => {
  let app: AppCopy;
  let headers: Record<string, string>;

  before(async () => {
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: MASTER_KEY } });
    app.setup();
    const created = app.sopctl(['keys', 'create', '--user', 'load']);
    assert.equal(created.status, 0, created.stderr);
    headers = { Authorization: `Bearer ${created.stdout.trim()}` };
    app.start();
    await app.waitFor('2 online instances with their init lines', () => {
      const online = app.processes().filter((p) => p.status === 'online');
      const logs = app.logs();
      return online.length === 2 && online.every((p) => logs.includes(initLine(p.instance, p.pid))) ? true : undefined;
    });
  });
  after(() => app.destroy());

  test('then PM2 restarts it with AuthContext initialised within 5 s, and every request after the restart succeeds on the new and the old pid', async (t) => {
    const [victim, survivor] = app.processes().sort((a, b) => a.instance - b.instance);
    assert.ok(victim && survivor, 'two PM2 processes');
    const url = `${app.baseUrl}/health/ready`;

    // Load 1: runs until the replacement is up (the kill window). `started` counts requests begun.
    let started = 0;
    let restarted = false;
    const duringKill = runLoad({
      url,
      headers,
      concurrency: CONCURRENCY,
      minRequests: 0,
      keepGoing: () => {
        started += 1;
        return !restarted;
      },
      maxRequests: 50_000,
      maxMs: 30_000,
    });
    for (const warmUntil = Date.now() + 5000; started < 300 && Date.now() < warmUntil; ) await sleep(10);
    assert.ok(started >= 300, `the load loop was running before the kill (${started} requests)`);

    process.kill(victim.pid, 'SIGKILL');
    const killedAt = Date.now();
    let replacement: Pm2Process | undefined;
    let initialisedAfterMs: number | undefined;
    while (Date.now() - killedAt < 15_000) {
      replacement ??= app.processes().find((p) => p.pmId === victim.pmId && p.pid !== victim.pid && p.status === 'online');
      if (replacement && app.logs(2000).includes(initLine(victim.instance, replacement.pid))) {
        initialisedAfterMs = Date.now() - killedAt;
        break;
      }
      await sleep(50);
    }
    restarted = true;
    const window = await duringKill;
    t.diagnostic(
      `kill window: ${window.ok} ok, ${window.failed} failed${window.failures.length > 0 ? ` (${[...new Set(window.failures)].join('; ')})` : ''}; ` +
        `replacement pid ${replacement?.pid ?? 'none'} initialised ${initialisedAfterMs ?? '?'} ms after the SIGKILL`,
    );
    assert.ok(replacement, `PM2 started a new process for pm_id ${victim.pmId}\n${app.logs(200)}`);
    assert.ok(initialisedAfterMs !== undefined, `the new pid ${replacement.pid} logged "AuthContext initialized"\n${app.logs(200)}`);
    assert.ok(initialisedAfterMs <= RESTART_BUDGET_MS, `back with AuthContext initialised ${initialisedAfterMs} ms after the kill (budget ${RESTART_BUDGET_MS} ms)`);
    assert.ok(window.ok > 0, 'requests were served during the kill window');

    // Load 2: fresh keep-alive connections, spread over both instances by the cluster's round robin.
    const afterRestart = await runLoad({ url, headers, concurrency: CONCURRENCY, minRequests: 1000, maxRequests: 1000, maxMs: 20_000 });
    assert.equal(afterRestart.failed, 0, `failed after the restart: ${afterRestart.failures.join('\n')}`);
    assert.equal(afterRestart.ok, 1000);
    assert.deepEqual([...afterRestart.pids].sort(), [replacement.pid, survivor.pid].sort(), 'the new and the surviving pid both answered, nothing else');

    const now = app.processes();
    assert.deepEqual(
      now.map((p) => ({ pmId: p.pmId, pid: p.pid, restarts: p.restarts, status: p.status })).sort((a, b) => a.pmId - b.pmId),
      [
        { pmId: victim.pmId, pid: replacement.pid, restarts: victim.restarts + 1, status: 'online' },
        { pmId: survivor.pmId, pid: survivor.pid, restarts: survivor.restarts, status: 'online' },
      ].sort((a, b) => a.pmId - b.pmId),
      'one restart of the killed instance, none of the other',
    );
  });
});
