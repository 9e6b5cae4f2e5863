import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createServiceMetrics, METRIC_NAMES } from '../../src/ops/metrics';

describe('service metrics', () => {
  test('When skills are counted and runs start and end, then the snapshot shows the current numbers', () => {
    const metrics = createServiceMetrics();
    assert.deepEqual(metrics.snapshot(), { skillExecutions: 0, skillFailures: 0, runsInProgress: 0 });
    metrics.skillExecutions.inc();
    metrics.skillExecutions.inc(2);
    metrics.skillFailures.inc();
    metrics.runsInProgress.inc();
    metrics.runsInProgress.inc();
    metrics.runsInProgress.dec();
    assert.deepEqual(metrics.snapshot(), { skillExecutions: 3, skillFailures: 1, runsInProgress: 1 });
  });

  test('When runs in progress is decremented more often than incremented, then it stays at zero', () => {
    const metrics = createServiceMetrics();
    metrics.runsInProgress.dec();
    assert.equal(metrics.snapshot().runsInProgress, 0);
  });

  test('When a snapshot is taken, then later counts do not change it', () => {
    const metrics = createServiceMetrics();
    const before = metrics.snapshot();
    metrics.skillExecutions.inc();
    assert.equal(before.skillExecutions, 0);
  });

  test('Then every snapshot field has a display name for pm2 show', () => {
    assert.deepEqual(Object.keys(METRIC_NAMES).sort(), Object.keys(createServiceMetrics().snapshot()).sort());
  });
});
