import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthContext, MissingUserContextError } from '../../src/auth/auth-context';
import { userContext } from '../../src/auth/user-context';

describe('AuthContext', () => {
  afterEach(() => AuthContext.reset());

  test('When nothing initialised it and no request scope exists, then getCurrentUser throws the original message', () => {
    assert.equal(AuthContext.isInitialized(), false);
    assert.throws(
      () => AuthContext.getCurrentUser(),
      (error: unknown) =>
        error instanceof MissingUserContextError && error.message.startsWith('user_context required for secure credentials. Either:'),
    );
  });

  test('When initialised from env, then the process user has the configured id and roles', () => {
    const user = AuthContext.initializeFromEnv({ defaultUser: { id: 'ops', admin: true } });
    assert.equal(AuthContext.isInitialized(), true);
    assert.deepEqual(AuthContext.getCurrentUser(), user);
    assert.deepEqual([...user.roles], ['user', 'admin']);
    assert.equal(user.source, 'env');
    const status = AuthContext.status();
    assert.equal(status.userId, 'ops');
    assert.ok(status.initializedAt && !Number.isNaN(Date.parse(status.initializedAt)));
  });

  test('When reset, then it is no longer initialised', () => {
    AuthContext.initializeFromEnv({ defaultUser: { id: 'system', admin: false } });
    AuthContext.reset();
    assert.equal(AuthContext.isInitialized(), false);
    assert.equal(AuthContext.status().userId, null);
  });

  test('When two requests with different users interleave across awaits, then each only ever sees its own identity', async () => {
    AuthContext.initializeFromEnv({ defaultUser: { id: 'system', admin: false } });
    const seen: Record<string, string[]> = { alice: [], bob: [] };
    const handle = (name: 'alice' | 'bob', delays: number[]) =>
      AuthContext.runAs(userContext(name, false, 'api-key'), async () => {
        for (const delay of delays) {
          await sleep(delay);
          seen[name]!.push(AuthContext.getCurrentUser().userId);
          await Promise.resolve();
          seen[name]!.push(AuthContext.getCurrentUser().userId);
        }
      });
    await Promise.all([handle('alice', [5, 1, 7, 0, 3]), handle('bob', [1, 6, 0, 4, 2])]);
    assert.deepEqual(new Set(seen.alice), new Set(['alice']));
    assert.deepEqual(new Set(seen.bob), new Set(['bob']));
    assert.equal(seen.alice!.length, 10);
    assert.equal(AuthContext.getCurrentUser().userId, 'system', 'outside any scope the process user applies');
  });

  test('When a nested scope is entered, then it wins, and runDetached falls back to the process user', () => {
    AuthContext.initializeFromEnv({ defaultUser: { id: 'system', admin: false } });
    AuthContext.runAs(userContext('alice', false, 'api-key'), () => {
      assert.equal(AuthContext.getCurrentUser().userId, 'alice');
      AuthContext.runAs(userContext('owner', false, 'run-owner'), () => assert.equal(AuthContext.getCurrentUser().userId, 'owner'));
      AuthContext.runDetached(() => assert.equal(AuthContext.getCurrentUser().userId, 'system'));
      assert.equal(AuthContext.getCurrentUser().userId, 'alice');
    });
  });

  test('When a request scope exists without a process user, then the request user still resolves', () => {
    AuthContext.runAs(userContext('alice', false, 'jwt'), () => assert.equal(AuthContext.getCurrentUser().userId, 'alice'));
  });
});
