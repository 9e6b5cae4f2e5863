import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, formatTextLine } from '../../src/logging/logger';
import { LogCapture } from '../helpers/log-capture';

describe('logger', () => {
  test('When a text line is formatted, then it reads "msg  instance=… pid=… key=value"', () => {
    const line = formatTextLine({ level: 30, msg: 'AuthContext initialized for user: system', instance: 1, pid: 4242, roles: 'user', source: 'env' });
    assert.equal(line, 'AuthContext initialized for user: system  instance=1 pid=4242 roles=user source=env\n');
  });

  test('When a warning has values with spaces, then they are quoted and the level is named', () => {
    const line = formatTextLine({ level: 40, msg: 'slow', instance: 0, pid: 1, reason: 'two words', nested: { a: 1 } });
    assert.equal(line, 'slow  instance=0 pid=1 reason="two words" nested={"a":1} level=warn\n');
  });

  test('When secrets are logged by mistake, then redaction removes them in both formats', () => {
    for (const format of ['text', 'json'] as const) {
      const capture = new LogCapture();
      const logger = createLogger({ level: 'info', format, instance: 0, destination: capture });
      logger.info({ req: { headers: { authorization: 'Bearer sop_leak1', 'x-api-key': 'sop_leak2' } } }, 'request');
      logger.info({ credential: { token: 'leak3', password: 'leak4' }, secret: 'leak5' }, 'credential');
      assert.doesNotMatch(capture.text, /leak\d/);
      assert.match(capture.text, /\[redacted\]/);
    }
  });
});
