import type Database from 'better-sqlite3';
import type { CallbackStatus, NewRun, RunRecord, RunRepository, RunStatus, StepRecord, StepStatus } from '../store';

interface RunRow {
  id: string;
  owner: string;
  name: string;
  status: RunStatus;
  steps: string;
  data_store: string;
  next_step: number;
  error: string | null;
  callback_url: string | null;
  callback_status: CallbackStatus | null;
  callback_attempts: number;
  callback_next_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  takeovers: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

interface StepRow {
  run_id: string;
  idx: number;
  skill: string;
  status: StepStatus;
  safe_to_repeat: number;
  attempts: number;
  instance: string | null;
  error: string | null;
  outputs: string | null;
  started_at: string | null;
  completed_at: string | null;
}

const toRun = (row: RunRow): RunRecord => ({
  id: row.id,
  owner: row.owner,
  name: row.name,
  status: row.status,
  steps: JSON.parse(row.steps) as string[],
  dataStore: JSON.parse(row.data_store) as Record<string, unknown>,
  nextStep: row.next_step,
  error: row.error,
  callbackUrl: row.callback_url,
  callbackStatus: row.callback_status,
  callbackAttempts: row.callback_attempts,
  callbackNextAt: row.callback_next_at,
  leaseOwner: row.lease_owner,
  leaseExpiresAt: row.lease_expires_at,
  takeovers: row.takeovers,
  createdAt: row.created_at,
  startedAt: row.started_at,
  completedAt: row.completed_at,
  updatedAt: row.updated_at,
});

const toStep = (row: StepRow): StepRecord => ({
  runId: row.run_id,
  index: row.idx,
  skill: row.skill,
  status: row.status,
  safeToRepeat: row.safe_to_repeat === 1,
  attempts: row.attempts,
  instance: row.instance,
  error: row.error,
  outputs: row.outputs === null ? null : (JSON.parse(row.outputs) as Record<string, unknown>),
  startedAt: row.started_at,
  completedAt: row.completed_at,
});

/** Callback bookkeeping a terminal transition sets: due now when the run has a callback_url. */
const CALLBACK_DUE = `callback_status = CASE WHEN callback_url IS NOT NULL THEN 'pending' ELSE callback_status END,
  callback_next_at = CASE WHEN callback_url IS NOT NULL THEN @nowMs ELSE callback_next_at END`;
const HELD = `status = 'running' AND lease_owner = @owner`;

export function sqliteRunRepository(db: Database.Database): RunRepository {
  const insertRun = db.prepare(
    `INSERT INTO runs (id, owner, name, status, steps, data_store, callback_url, created_at, updated_at)
     VALUES (@id, @owner, @name, 'queued', @steps, @dataStore, @callbackUrl, @createdAt, @createdAt)`,
  );
  const insertStep = db.prepare(`INSERT INTO run_steps (run_id, idx, skill, status) VALUES (?, ?, ?, 'pending')`);
  const getRun = db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?');
  const listRuns = db.prepare<{ owner: string; status: string | null; limit: number; offset: number }, RunRow>(
    `SELECT * FROM runs WHERE owner = @owner AND (@status IS NULL OR status = @status)
     ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
  );
  const countRuns = db.prepare<{ owner: string; status: string | null }, { n: number }>(
    'SELECT COUNT(*) AS n FROM runs WHERE owner = @owner AND (@status IS NULL OR status = @status)',
  );
  const listSteps = db.prepare<[string], StepRow>('SELECT * FROM run_steps WHERE run_id = ? ORDER BY idx');
  const cancelRun = db.prepare(
    `UPDATE runs SET status = 'cancelled', error = 'cancelled by request', completed_at = @at, updated_at = @at,
       lease_owner = NULL, lease_expires_at = NULL, ${CALLBACK_DUE}
     WHERE id = @id AND owner = @owner AND status IN ('queued', 'running')`,
  );
  const cancelSteps = db.prepare(
    `UPDATE run_steps SET status = 'cancelled', completed_at = CASE WHEN status = 'running' THEN @at ELSE completed_at END
     WHERE run_id = @id AND status IN ('pending', 'running')`,
  );
  const claimRun = db.prepare<{ owner: string; until: number; now: number; at: string }, RunRow>(
    `UPDATE runs SET status = 'running', lease_owner = @owner, lease_expires_at = @until,
       started_at = COALESCE(started_at, @at), updated_at = @at,
       takeovers = takeovers + CASE WHEN status = 'running' THEN 1 ELSE 0 END
     WHERE id = (SELECT id FROM runs WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < @now)
                 ORDER BY created_at, id LIMIT 1)
       AND (status = 'queued' OR (status = 'running' AND lease_expires_at < @now))
     RETURNING *`,
  );
  const renew = db.prepare(
    `UPDATE runs SET lease_expires_at = @until WHERE ${HELD} AND id IN (SELECT value FROM json_each(@ids))`,
  );
  const lost = db.prepare<{ ids: string; owner: string }, { id: string }>(
    `SELECT value AS id FROM json_each(@ids)
     WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.id = value AND ${HELD})`,
  );
  const startStep = db.prepare(
    `UPDATE run_steps SET status = 'running', safe_to_repeat = @safe, attempts = attempts + 1, instance = @instance,
       started_at = @at, completed_at = NULL, error = NULL
     WHERE run_id = @id AND idx = @idx AND EXISTS (SELECT 1 FROM runs WHERE id = @id AND ${HELD})`,
  );
  const advanceRun = db.prepare(
    `UPDATE runs SET data_store = @dataStore, next_step = @idx + 1, updated_at = @at WHERE id = @id AND ${HELD}`,
  );
  const completeStep = db.prepare(
    `UPDATE run_steps SET status = 'completed', outputs = @outputs, completed_at = @at WHERE run_id = @id AND idx = @idx`,
  );
  const finishRun = db.prepare(
    `UPDATE runs SET status = @status, error = @error, completed_at = @at, updated_at = @at,
       lease_owner = NULL, lease_expires_at = NULL, ${CALLBACK_DUE}
     WHERE id = @id AND ${HELD}`,
  );
  const closeOpenStep = db.prepare(
    `UPDATE run_steps SET status = @status, error = @error, completed_at = @at WHERE run_id = @id AND status = 'running'`,
  );
  const releaseRun = db.prepare(
    `UPDATE runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, updated_at = @at WHERE id = @id AND ${HELD}`,
  );
  const reopenStep = db.prepare(
    `UPDATE run_steps SET status = 'pending', started_at = NULL, instance = NULL WHERE run_id = @id AND status = 'running'`,
  );
  const dueCallbacks = db.prepare<{ now: number; limit: number }, RunRow>(
    `SELECT * FROM runs WHERE callback_status = 'pending' AND callback_next_at <= @now ORDER BY callback_next_at LIMIT @limit`,
  );
  const claimCallback = db.prepare(
    `UPDATE runs SET callback_next_at = @until WHERE id = @id AND callback_status = 'pending' AND callback_next_at = @expected`,
  );
  const recordCallback = db.prepare(
    'UPDATE runs SET callback_status = @status, callback_attempts = @attempts, callback_next_at = @nextAt WHERE id = @id',
  );

  const insert = db.transaction((run: NewRun) => {
    insertRun.run({ ...run, steps: JSON.stringify(run.steps), dataStore: JSON.stringify(run.dataStore) });
    run.steps.forEach((skill, idx) => insertStep.run(run.id, idx, skill));
  });
  const cancel = db.transaction((id: string, owner: string, at: string) => {
    if (cancelRun.run({ id, owner, at, nowMs: Date.now() }).changes > 0) cancelSteps.run({ id, at });
  });
  const complete = db.transaction((p: { id: string; idx: number; outputs: string; dataStore: string; owner: string; at: string }) => {
    if (advanceRun.run(p).changes === 0) return false;
    completeStep.run(p);
    return true;
  });
  const finish = db.transaction(
    (p: { id: string; owner: string; status: string; error: string | null; at: string; stepStatus: StepStatus | undefined }) => {
      if (finishRun.run({ ...p, nowMs: Date.now() }).changes === 0) return false;
      if (p.stepStatus) closeOpenStep.run({ id: p.id, status: p.stepStatus, error: p.error, at: p.at });
      return true;
    },
  );
  const release = db.transaction((id: string, owner: string, at: string) => {
    if (releaseRun.run({ id, owner, at }).changes === 0) return false;
    reopenStep.run({ id });
    return true;
  });

  return {
    async insert(run) {
      insert(run);
    },
    async get(id) {
      const row = getRun.get(id);
      return row && toRun(row);
    },
    async list(owner, { status, limit, offset }) {
      const params = { owner, status: status ?? null };
      return { runs: listRuns.all({ ...params, limit, offset }).map(toRun), total: countRuns.get(params)?.n ?? 0 };
    },
    async steps(runId) {
      return listSteps.all(runId).map(toStep);
    },
    async cancel(id, owner, at) {
      cancel(id, owner, at);
      const row = getRun.get(id);
      return row && row.owner === owner ? toRun(row) : undefined;
    },
    async claim(owner, until, now, at) {
      const row = claimRun.get({ owner, until, now, at });
      return row && toRun(row);
    },
    async renewLeases(ids, owner, until) {
      if (ids.length > 0) renew.run({ ids: JSON.stringify(ids), owner, until });
    },
    async lostAmong(ids, owner) {
      return ids.length === 0 ? [] : lost.all({ ids: JSON.stringify(ids), owner }).map((r) => r.id);
    },
    async startStep(id, idx, _skill, safeToRepeat, owner, instance, at) {
      return startStep.run({ id, idx, safe: safeToRepeat ? 1 : 0, owner, instance, at }).changes > 0;
    },
    async completeStep(id, idx, outputs, dataStore, owner, at) {
      return complete({ id, idx, outputs: JSON.stringify(outputs), dataStore: JSON.stringify(dataStore), owner, at });
    },
    async finish(id, owner, status, error, at, stepStatus) {
      return finish({ id, owner, status, error, at, stepStatus });
    },
    async release(id, owner, at) {
      return release(id, owner, at);
    },
    async markOpenStepCancelled(id, at) {
      cancelSteps.run({ id, at });
    },
    async dueCallbacks(now, limit) {
      return dueCallbacks.all({ now, limit }).map(toRun);
    },
    async claimCallback(id, expected, until) {
      return claimCallback.run({ id, expected, until }).changes > 0;
    },
    async recordCallback(id, status, attempts, nextAt) {
      recordCallback.run({ id, status, attempts, nextAt });
    },
  };
}
