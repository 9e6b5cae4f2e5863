import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exceedsJsonDepth } from '../../src/http/json-depth';

const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('JSON nesting depth', () => {
  test('When a value nests exactly to the limit, then it does not exceed it; one level more does', () => {
    assert.equal(exceedsJsonDepth(nested(64), 64), false);
    assert.equal(exceedsJsonDepth(nested(65), 64), true);
    assert.equal(exceedsJsonDepth({ a: { b: [1, { c: 'x' }] } }, 4), false);
    assert.equal(exceedsJsonDepth({ a: { b: [1, { c: {} }] } }, 4), true);
  });

  test('When scalars or empty containers are given, then their depth is 0 or 1', () => {
    for (const scalar of [null, 0, 'x', true]) assert.equal(exceedsJsonDepth(scalar, 0), false);
    assert.equal(exceedsJsonDepth({}, 0), true);
    assert.equal(exceedsJsonDepth([], 1), false);
  });

  test('When a value nests 100 000 levels deep, then the check answers without overflowing the stack', () => {
    assert.equal(exceedsJsonDepth({ data: nested(100_000) }, 64), true);
  });

  test('When an own __proto__ key (as JSON.parse creates it) holds the deep part, then it is still seen', () => {
    assert.equal(exceedsJsonDepth(JSON.parse(`{"__proto__":${JSON.stringify(nested(70))}}`), 64), true);
  });
});
