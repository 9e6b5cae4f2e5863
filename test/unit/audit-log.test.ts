import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { AUDIT_FLUSH_MS, AUDIT_MAX_BATCH, AuditLog } from '../../src/credentials/audit-log';
import type { CredentialAuditEntry, CredentialAuditRepository } from '../../src/store/store';

const entry = (n: number): CredentialAuditEntry => ({
  at: new Date().toISOString(),
  owner: 'alice',
  credential: `c${n}`,
  actor: 'alice',
  action: 'use',
  via: 'skill:Test',
  instance: '0',
  ok: true,
  detail: '',
});

/** A repository that keeps each append call's batch, optionally failing the first ones. */
function recordingRepository(failures = 0): CredentialAuditRepository & { batches: CredentialAuditEntry[][] } {
  let toFail = failures;
  const batches: CredentialAuditEntry[][] = [];
  return {
    batches,
    async append(entries) {
      if (toFail > 0) {
        toFail -= 1;
        throw new Error('disk full');
      }
      batches.push([...entries]);
    },
    async list() {
      return [];
    },
  };
}

describe('AuditLog', () => {
  test('When entries are recorded, then they are written together in one append within the flush window', async () => {
    const repository = recordingRepository();
    const log = new AuditLog(repository);
    for (let n = 0; n < 5; n += 1) log.record(entry(n));
    assert.equal(repository.batches.length, 0, 'nothing is written synchronously');
    await sleep(AUDIT_FLUSH_MS * 3);
    assert.deepEqual(repository.batches.map((b) => b.map((e) => e.credential)), [['c0', 'c1', 'c2', 'c3', 'c4']]);
  });

  test('When a full batch is recorded, then it is written without waiting for the timer', async () => {
    const repository = recordingRepository();
    const log = new AuditLog(repository, undefined, 60_000);
    for (let n = 0; n < AUDIT_MAX_BATCH; n += 1) log.record(entry(n));
    await sleep(10);
    assert.equal(repository.batches.length, 1);
    assert.equal(repository.batches[0]?.length, AUDIT_MAX_BATCH);
  });

  test('When flush is called, then every entry recorded so far is stored before it resolves, in order', async () => {
    const repository = recordingRepository();
    const log = new AuditLog(repository, undefined, 60_000);
    log.record(entry(1));
    const first = log.flush();
    log.record(entry(2));
    await log.flush();
    await first;
    assert.deepEqual(repository.batches.map((b) => b.map((e) => e.credential)), [['c1'], ['c2']]);
    await log.flush();
    assert.equal(repository.batches.length, 2, 'an empty flush writes nothing');
  });

  test('When the repository fails, then onError gets the error and the count, and later entries are still written', async () => {
    const repository = recordingRepository(1);
    const errors: Array<[string, number]> = [];
    const log = new AuditLog(repository, (error, lost) => errors.push([(error as Error).message, lost]), 60_000);
    log.record(entry(1));
    log.record(entry(2));
    await log.flush();
    log.record(entry(3));
    await log.flush();
    assert.deepEqual(errors, [['disk full', 2]]);
    assert.deepEqual(repository.batches.map((b) => b.map((e) => e.credential)), [['c3']]);
  });
});
