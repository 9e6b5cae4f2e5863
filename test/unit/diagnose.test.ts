import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { AuthContext } from '../../src/auth/auth-context';
import { diagnose, formatDiagnosisSummary, formatDiagnosisTable, formatUptime } from '../../src/ops/diagnose';
import { createStatusCollector, type CollectInstanceStatus } from '../../src/ops/instance-status';
import { answerStatusRequests } from '../../src/ops/ipc-status';
import type { Pm2Connection, Pm2ProcessInfo, ProcessMessageListener } from '../../src/ops/pm2-client';

const APP = 'sop-orchestrator';

/**
 * Stands in for the PM2 daemon only: it routes sendData packets to the instances' real status
 * responders (src/ops/ipc-status.ts) and their process.send replies back to the bus listeners.
 */
class FakePm2 implements Pm2Connection {
  readonly home = '/home/ops/.pm2';
  readonly sends = new Map<number, number>();
  readonly listeners: ProcessMessageListener[] = [];
  private readonly workers = new Map<number, EventEmitter>();
  private readonly processes: Pm2ProcessInfo[] = [];
  closed = false;

  /** An instance whose process answers with `collect`; `answering: false` never replies. */
  add(info: Partial<Pm2ProcessInfo> & { pmId: number }, collect?: CollectInstanceStatus): this {
    this.processes.push({ name: APP, pid: 1000 + info.pmId, status: 'online', instance: info.pmId, ...info });
    if (collect) {
      const worker = new EventEmitter();
      answerStatusRequests(collect, assert.fail, {
        on: (event, listener) => worker.on(event, listener),
        off: (event, listener) => worker.off(event, listener),
        send: (message, _handle, _options, callback) => {
          setImmediate(() => {
            for (const listener of this.listeners) listener(info.pmId, (message as { data: unknown }).data);
            callback(null);
          });
          return true;
        },
      });
      this.workers.set(info.pmId, worker);
    }
    return this;
  }

  async list(): Promise<Pm2ProcessInfo[]> {
    return [...this.processes];
  }

  async sendData(pmId: number, packet: { type: 'process:msg'; topic: string; data: object }): Promise<void> {
    this.sends.set(pmId, (this.sends.get(pmId) ?? 0) + 1);
    const proc = this.processes.find((p) => p.pmId === pmId);
    if (proc?.status !== 'online') throw new Error(`Process with ID <${pmId}> offline.`);
    const worker = this.workers.get(pmId);
    setImmediate(() => worker?.emit('message', { ...packet, id: pmId }));
  }

  onProcessMessage(listener: ProcessMessageListener): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const readyCollector = (instance: number) =>
  createStatusCollector({ store: { ping: async () => undefined }, instance, skillCount: () => 0, version: '0.1.0' });

describe('diagnose', () => {
  before(() => AuthContext.initializeFromEnv({ defaultUser: { id: 'system', admin: false } }));
  after(() => AuthContext.reset());

  test('When every instance answers initialised, then the diagnosis is ok and the table lists each with user system', async () => {
    const pm2 = new FakePm2().add({ pmId: 0 }, readyCollector(0)).add({ pmId: 1 }, readyCollector(1));
    const diagnosis = await diagnose(pm2, { appName: APP, timeoutMs: 1000 });
    assert.equal(diagnosis.ok, true);
    assert.deepEqual(
      diagnosis.instances.map((i) => [i.pmId, i.ok, i.status?.auth.userId]),
      [
        [0, true, 'system'],
        [1, true, 'system'],
      ],
    );
    const table = formatDiagnosisTable(diagnosis).split('\n');
    assert.match(table[0] ?? '', /^PM_ID\s+INSTANCE\s+PID\s+PM2\s+UPTIME\s+USER\s+INITIALIZED_AT\s+STORE\s+SKILLS\s+VERSION\s+RESULT$/);
    assert.equal(table.length, 3);
    for (const row of table.slice(1)) assert.match(row, /online .* system .* ok\s+0\s+0\.1\.0\s+initialised$/);
    assert.match(formatDiagnosisSummary(diagnosis), /^OK all 2 instances of sop-orchestrator are initialised \(PM2_HOME=\/home\/ops\/\.pm2\)$/);
  });

  test('When one instance is stopped, one never answers and one is not initialised, then each fails with its own reason', async () => {
    const notReady = createStatusCollector({
      store: {
        ping: async () => {
          throw new Error('SQLITE_CANTOPEN');
        },
      },
      instance: 3,
      skillCount: () => 0,
      version: '0.1.0',
    });
    const pm2 = new FakePm2()
      .add({ pmId: 0 }, readyCollector(0))
      .add({ pmId: 1, status: 'stopped', pid: 0 })
      .add({ pmId: 2 })
      .add({ pmId: 3 }, notReady);
    const started = Date.now();
    const diagnosis = await diagnose(pm2, { appName: APP, timeoutMs: 400 });
    assert.ok(Date.now() - started < 1500, 'it gives up after the timeout');
    assert.equal(diagnosis.ok, false);
    const problems = new Map(diagnosis.instances.map((i) => [i.pmId, i.problem]));
    assert.equal(problems.get(0), null);
    assert.equal(problems.get(1), 'not running (PM2 status: stopped)');
    assert.equal(problems.get(2), 'no answer within 400 ms (stuck, or not yet past startup)');
    assert.equal(problems.get(3), 'not initialised: store is not ready (error: SQLITE_CANTOPEN)');
    assert.equal(pm2.sends.get(1), undefined, 'a stopped instance is not asked');
    assert.equal(pm2.sends.get(2), 2, 'a silent instance is asked a second time');

    const summary = formatDiagnosisSummary(diagnosis).split('\n');
    assert.deepEqual(summary, [
      'FAIL sop-orchestrator instance 1 (pm_id 1): not running (PM2 status: stopped)',
      'FAIL sop-orchestrator instance 2 (pm_id 2, pid 1002): no answer within 400 ms (stuck, or not yet past startup)',
      'FAIL sop-orchestrator instance 3 (pm_id 3, pid 1003): not initialised: store is not ready (error: SQLITE_CANTOPEN)',
      'FAIL 1 of 4 instances of sop-orchestrator are initialised (PM2_HOME=/home/ops/.pm2)',
    ]);
    const table = formatDiagnosisTable(diagnosis);
    assert.match(table, /\n1\s+1\s+-\s+stopped\s+-\s+-\s+-\s+-\s+-\s+-\s+FAIL/);
  });

  test('When AuthContext is not initialised in an instance, then diagnose says so', async () => {
    AuthContext.reset();
    try {
      const pm2 = new FakePm2().add({ pmId: 0 }, readyCollector(0));
      const diagnosis = await diagnose(pm2, { appName: APP, timeoutMs: 500 });
      assert.equal(diagnosis.instances[0]?.problem, 'not initialised: AuthContext is not initialized');
    } finally {
      AuthContext.initializeFromEnv({ defaultUser: { id: 'system', admin: false } });
    }
  });

  test('When instances are starting or crash-looping, then the reason says so and where to look', async () => {
    const pm2 = new FakePm2()
      .add({ pmId: 0, status: 'launching' })
      .add({ pmId: 1, status: 'errored', pid: 0 })
      .add({ pmId: 2, status: 'waiting restart', pid: 0 });
    const diagnosis = await diagnose(pm2, { appName: APP, timeoutMs: 300 });
    assert.deepEqual(
      diagnosis.instances.map((i) => i.problem),
      [
        'still starting (PM2 status: launching): it has not reported ready yet',
        'not running (PM2 status: errored): its FATAL line is in pm2 logs',
        'not running (PM2 status: waiting restart): its FATAL line is in pm2 logs',
      ],
    );
    assert.equal(pm2.sends.size, 0, 'only online instances are asked');
  });

  test('When PM2 runs no process of that name, then the diagnosis fails and says how to start it', async () => {
    const pm2 = new FakePm2().add({ pmId: 0, name: 'other-app' }, readyCollector(0));
    const diagnosis = await diagnose(pm2, { appName: APP, timeoutMs: 500 });
    assert.equal(diagnosis.ok, false);
    assert.equal(diagnosis.instances.length, 0);
    assert.match(formatDiagnosisSummary(diagnosis), /^FAIL PM2 runs no process named sop-orchestrator \(PM2_HOME=\/home\/ops\/\.pm2\): `pm2 list`.*npm start/);
  });

  test('When --app names another app, then only its processes are asked', async () => {
    const pm2 = new FakePm2().add({ pmId: 0, name: 'other-app' }, readyCollector(0)).add({ pmId: 1, status: 'errored' });
    const diagnosis = await diagnose(pm2, { appName: 'other-app', timeoutMs: 500 });
    assert.equal(diagnosis.ok, true);
    assert.deepEqual(diagnosis.instances.map((i) => i.pmId), [0]);
  });

  test('When a reply belongs to another diagnose run, then it is not taken as an answer', async () => {
    const pm2 = new FakePm2().add({ pmId: 0 });
    const run = diagnose(pm2, { appName: APP, timeoutMs: 300 });
    // Another sopctl asking at the same time: its reply arrives on the same bus.
    const stranger = readyCollector(0);
    setTimeout(async () => {
      const status = await stranger();
      for (const listener of pm2.listeners) {
        listener(0, { topic: 'sop:status:reply', requestId: 'someone-else', status });
      }
    }, 20);
    const diagnosis = await run;
    assert.equal(diagnosis.instances[0]?.ok, false);
  });

  test('Uptime reads in the largest units', () => {
    assert.deepEqual([5, 60, 125, 3600, 3725, 90_000, 86_400].map(formatUptime), ['5s', '1m', '2m 5s', '1h', '1h 2m', '1d 1h', '1d']);
  });
});
