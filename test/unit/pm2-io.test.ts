import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { AuthContext } from '../../src/auth/auth-context';
import { createServiceMetrics, METRIC_NAMES } from '../../src/ops/metrics';
import { attachPm2Io, AUTH_STATUS_ACTION, type AuthStatusAnswer, type Pm2Io } from '../../src/ops/pm2-io';

/** Records what attachPm2Io registers, the way @pm2/io would keep it. */
function recordingIo() {
  const actions = new Map<string, Function>();
  const metrics = new Map<string, () => number>();
  const io: Pm2Io = {
    action: (name: string, _opts?: object, fn?: Function) => {
      actions.set(name, (fn ?? _opts) as Function);
    },
    metric: (config) => {
      if (config.name && config.value) metrics.set(config.name, config.value);
      return undefined as never;
    },
  };
  return { io, actions, metrics };
}

const failOnError = (error: unknown) => assert.fail(`unexpected error: ${String(error)}`);

describe('@pm2/io attachment', () => {
  afterEach(() => AuthContext.reset());

  test('When auth:status is triggered, then it replies with the instance, pid and AuthContext status', () => {
    AuthContext.initializeFromEnv({ defaultUser: { id: 'system', admin: false } });
    const { io, actions } = recordingIo();
    attachPm2Io({ instance: 3, metrics: createServiceMetrics(), onError: failOnError, io: () => io });
    const action = actions.get(AUTH_STATUS_ACTION);
    assert.ok(action, 'auth:status is registered');
    let answer: AuthStatusAnswer | undefined;
    action((reply: AuthStatusAnswer) => (answer = reply));
    assert.equal(answer?.instance, 3);
    assert.equal(answer?.pid, process.pid);
    assert.equal(answer?.initialized, true);
    assert.equal(answer?.userId, 'system');
    assert.ok(answer?.initializedAt);
  });

  test('When AuthContext is not initialised, then auth:status says so instead of failing', () => {
    const { io, actions } = recordingIo();
    attachPm2Io({ instance: 0, metrics: createServiceMetrics(), onError: failOnError, io: () => io });
    let answer: AuthStatusAnswer | undefined;
    actions.get(AUTH_STATUS_ACTION)?.((reply: AuthStatusAnswer) => (answer = reply));
    assert.equal(answer?.initialized, false);
    assert.equal(answer?.userId, null);
  });

  test('When metrics change after attaching, then the registered metric values follow them', () => {
    const { io, metrics: registered } = recordingIo();
    const metrics = createServiceMetrics();
    attachPm2Io({ instance: 0, metrics, onError: failOnError, io: () => io });
    assert.deepEqual([...registered.keys()].sort(), Object.values(METRIC_NAMES).sort());
    metrics.skillExecutions.inc(5);
    metrics.skillFailures.inc();
    metrics.runsInProgress.inc();
    assert.equal(registered.get(METRIC_NAMES.skillExecutions)?.(), 5);
    assert.equal(registered.get(METRIC_NAMES.skillFailures)?.(), 1);
    assert.equal(registered.get(METRIC_NAMES.runsInProgress)?.(), 1);
  });

  test('When @pm2/io cannot be loaded, then the error is reported and nothing throws', () => {
    const errors: unknown[] = [];
    attachPm2Io({
      instance: 0,
      metrics: createServiceMetrics(),
      onError: (error) => errors.push(error),
      io: () => {
        throw new Error('Cannot find module @pm2/io');
      },
    });
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /Cannot find module/);
  });
});
