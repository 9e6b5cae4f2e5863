import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { AuthContext } from '../../src/auth/auth-context';
import { readAppVersion } from '../../src/config/app-root';
import { createStatusCollector, type InstanceStatus } from '../../src/ops/instance-status';
import { answerStatusRequests, parseStatusReply, STATUS_REPLY_TOPIC, statusRequest, type IpcPort } from '../../src/ops/ipc-status';

const okStore = { ping: async () => undefined };
const brokenStore = {
  ping: async () => {
    throw new Error('The database connection is not open');
  },
};

/** An IPC channel like a PM2 worker's: 'message' events in, send() out. */
function fakePort(closed = false) {
  const emitter = new EventEmitter();
  const sent: unknown[] = [];
  const port: IpcPort = {
    on: (event, listener) => emitter.on(event, listener),
    off: (event, listener) => emitter.off(event, listener),
    send: (message, _handle, _options, callback) => {
      if (closed) {
        setImmediate(() => callback(new Error('Channel closed')));
        return false;
      }
      sent.push(message);
      emitter.emit('sent', message);
      setImmediate(() => callback(null));
      return true;
    },
  };
  return { port, emitter, sent };
}

describe('instance status', () => {
  afterEach(() => AuthContext.reset());

  test('When AuthContext and the store are ready, then the instance reports itself initialised with its details', async () => {
    AuthContext.initializeFromEnv({ defaultUser: { id: 'system', admin: false } });
    const status = await createStatusCollector({ store: okStore, instance: 2, skillCount: () => 7, version: '1.2.3' })();
    assert.equal(status.initialised, true);
    assert.deepEqual(status.problems, []);
    assert.equal(status.pid, process.pid);
    assert.equal(status.instance, 2);
    assert.equal(status.version, '1.2.3');
    assert.equal(status.skillsLoaded, 7);
    assert.equal(status.store, 'ok');
    assert.equal(status.auth.userId, 'system');
    assert.equal(status.auth.initializedAt, AuthContext.status().initializedAt);
    assert.equal(typeof status.uptimeSeconds, 'number');
  });

  test('When AuthContext is not initialised and the store fails, then both problems are named', async () => {
    const status = await createStatusCollector({ store: brokenStore, instance: 0, skillCount: () => 0, version: '0.0.0' })();
    assert.equal(status.initialised, false);
    assert.deepEqual(status.problems, ['AuthContext is not initialized', 'store is not ready (error: The database connection is not open)']);
    assert.equal(status.auth.initialized, false);
  });

  test('When the version is read from the app root, then it is package.json\'s', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-version-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'sop-orchestrator', version: '9.8.7' }));
      assert.equal(readAppVersion(dir), '9.8.7');
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"sop-orchestrator"}');
      assert.equal(readAppVersion(dir), 'unknown');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('status requests over IPC', () => {
  afterEach(() => AuthContext.reset());

  test('When PM2 delivers a status request, then the instance replies on process:msg with the request id and its status', async () => {
    AuthContext.initializeFromEnv({ defaultUser: { id: 'system', admin: false } });
    const { port, emitter } = fakePort();
    const stop = answerStatusRequests(createStatusCollector({ store: okStore, instance: 1, skillCount: () => 0, version: '0.1.0' }), assert.fail, port);
    try {
      const sent = once(emitter, 'sent');
      // PM2 (God.sendDataToProcessId) adds the target's pm_id as `id` to the packet it forwards.
      emitter.emit('message', { ...statusRequest('req-1'), id: 4 });
      const [message] = (await sent) as [{ type: string; data: unknown }];
      assert.equal(message.type, 'process:msg');
      const reply = parseStatusReply(message.data);
      assert.equal(reply?.topic, STATUS_REPLY_TOPIC);
      assert.equal(reply?.requestId, 'req-1');
      assert.equal(reply?.status?.initialised, true);
      assert.equal(reply?.status?.instance, 1);
    } finally {
      stop();
    }
  });

  test('When other messages arrive (PM2 actions, shutdown), then nothing is sent', async () => {
    const { port, emitter, sent } = fakePort();
    const stop = answerStatusRequests(async () => assert.fail('not asked'), assert.fail, port);
    emitter.emit('message', 'shutdown');
    emitter.emit('message', 'auth:status');
    emitter.emit('message', { type: 'process:msg', topic: 'other', data: {} });
    emitter.emit('message', { type: 'process:msg', topic: 'sop:status', data: {} });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sent, []);
    stop();
  });

  test('When collecting fails, then the reply carries the error instead of a status', async () => {
    const { port, emitter } = fakePort();
    const stop = answerStatusRequests(async () => {
      throw new Error('boom');
    }, assert.fail, port);
    const sent = once(emitter, 'sent');
    emitter.emit('message', statusRequest('req-2'));
    const [message] = (await sent) as [{ data: unknown }];
    assert.deepEqual(parseStatusReply(message.data), { topic: STATUS_REPLY_TOPIC, requestId: 'req-2', error: 'boom' });
    stop();
  });

  test('When the IPC channel is closed, then the failure goes to onError and is not thrown', async () => {
    const { port, emitter } = fakePort(true);
    const errors: Error[] = [];
    const reported = new Promise<void>((resolve) => {
      answerStatusRequests(async () => ({}) as InstanceStatus, (error) => {
        errors.push(error);
        resolve();
      }, port);
    });
    emitter.emit('message', statusRequest('req-3'));
    await reported;
    assert.match(errors[0]?.message ?? '', /Channel closed/);
  });

  test('When stopped, then later requests are ignored', async () => {
    const { port, emitter, sent } = fakePort();
    const stop = answerStatusRequests(async () => assert.fail('not asked'), assert.fail, port);
    stop();
    emitter.emit('message', statusRequest('req-4'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sent, []);
  });

  test('When a reply has an unknown status shape, then it is an error reply, and foreign messages are not replies', () => {
    assert.match(parseStatusReply({ topic: STATUS_REPLY_TOPIC, requestId: 'x', status: { pid: 'nope' } })?.error ?? '', /does not understand/);
    assert.equal(parseStatusReply({ topic: 'something-else', requestId: 'x' }), undefined);
    assert.equal(parseStatusReply('ready'), undefined);
    assert.equal(parseStatusReply(undefined), undefined);
  });
});
