/**
 * The shared store behind every instance. Asynchronous on purpose: the embedded SQLite
 * implementation answers synchronously, a PostgreSQL one will not, and callers must not care.
 */
export interface Store {
  /** e.g. `sqlite /srv/app/data/sop.db`, for logs and diagnostics (never a password). */
  readonly description: string;
  readonly meta: MetaRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly credentials: CredentialRepository;
  readonly audit: CredentialAuditRepository;
  readonly runs: RunRepository;
  /** Cheap round trip used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Small named values shared by all instances (e.g. the master-key check value). */
export interface MetaRepository {
  get(key: string): Promise<string | undefined>;
  /** Writes `value` only if `key` has none yet; returns the value now stored. */
  setIfAbsent(key: string, value: string): Promise<string>;
  set(key: string, value: string): Promise<void>;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  readonly keyHash: string;
  /** First characters of the key, to recognise it in listings. */
  readonly prefix: string;
  readonly roles: readonly string[];
  readonly label: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export interface ApiKeyRepository {
  /** Creates the user row if needed, then the key. */
  insert(record: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  list(userId?: string): Promise<ApiKeyRecord[]>;
  /** Returns false when no active key has that id. */
  revoke(id: string, at: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
}

/** One encrypted value: AES-256-GCM, base64 parts, with the id of the key that encrypted it. */
export interface SecretEnvelope {
  readonly kid: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

export interface CredentialRecord {
  readonly owner: string;
  readonly name: string;
  readonly type: string;
  /** Non-secret fields, stored as they are. */
  readonly fields: Readonly<Record<string, string | number>>;
  /** Secret fields, each encrypted on its own. */
  readonly secrets: Readonly<Record<string, SecretEnvelope>>;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CredentialRepository {
  get(owner: string, name: string): Promise<CredentialRecord | undefined>;
  list(owner: string): Promise<CredentialRecord[]>;
  /** Every record of every owner, for key rotation. */
  all(): Promise<CredentialRecord[]>;
  /** Returns false when (owner, name) already exists. */
  insert(record: CredentialRecord): Promise<boolean>;
  /** Returns false when (owner, name) does not exist. */
  update(record: CredentialRecord): Promise<boolean>;
  delete(owner: string, name: string): Promise<boolean>;
}

export interface CredentialAuditEntry {
  readonly at: string;
  readonly owner: string;
  readonly credential: string;
  /** Who acted: the authenticated user id, or `cli`. */
  readonly actor: string;
  readonly action: 'create' | 'update' | 'delete' | 'use' | 'test' | 'reveal' | 'rotate';
  /** Which skill or route, e.g. `skill:GitHubRepoInfo`, `PUT /credentials/:name`, `cli`. */
  readonly via: string;
  readonly instance: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface CredentialAuditRepository {
  /** Appends entries in one transaction. */
  append(entries: readonly CredentialAuditEntry[]): Promise<void>;
  list(filter: { owner?: string; credential?: string; limit: number }): Promise<Array<CredentialAuditEntry & { id: number }>>;
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export type CallbackStatus = 'pending' | 'delivered' | 'failed';

export interface RunRecord {
  readonly id: string;
  readonly owner: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly steps: readonly string[];
  readonly dataStore: Readonly<Record<string, unknown>>;
  /** Index of the first step not completed yet: where a resumed run continues. */
  readonly nextStep: number;
  readonly error: string | null;
  readonly callbackUrl: string | null;
  readonly callbackStatus: CallbackStatus | null;
  readonly callbackAttempts: number;
  readonly callbackNextAt: number | null;
  readonly leaseOwner: string | null;
  /** Epoch milliseconds. */
  readonly leaseExpiresAt: number | null;
  /** How often another instance took the run over after its executor was lost. */
  readonly takeovers: number;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly updatedAt: string;
}

export interface StepRecord {
  readonly runId: string;
  readonly index: number;
  readonly skill: string;
  readonly status: StepStatus;
  /** False while a non-idempotent call may be in flight: such a step is never repeated. */
  readonly safeToRepeat: boolean;
  readonly attempts: number;
  readonly instance: string | null;
  readonly error: string | null;
  readonly outputs: Readonly<Record<string, unknown>> | null;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
}

export interface NewRun {
  readonly id: string;
  readonly owner: string;
  readonly name: string;
  readonly steps: readonly string[];
  readonly dataStore: Readonly<Record<string, unknown>>;
  readonly callbackUrl: string | null;
  readonly createdAt: string;
}

/**
 * Runs live here, not in any process: every instance can answer for them, cancel them, and take
 * them over. Writes made by an executing instance are conditional on it still holding the lease
 * and the run still being `running`, so a cancel is never overwritten.
 */
export interface RunRepository {
  insert(run: NewRun): Promise<void>;
  get(id: string): Promise<RunRecord | undefined>;
  list(owner: string, filter: { status?: RunStatus; limit: number; offset: number }): Promise<{ runs: RunRecord[]; total: number }>;
  steps(runId: string): Promise<StepRecord[]>;
  /** queued/running → cancelled at once; returns the run as it is now (undefined: not the owner's). */
  cancel(id: string, owner: string, at: string): Promise<RunRecord | undefined>;
  /** Takes the oldest queued run, or a running one whose lease expired, for `leaseOwner`. */
  claim(leaseOwner: string, leaseUntil: number, now: number, at: string): Promise<RunRecord | undefined>;
  renewLeases(ids: readonly string[], leaseOwner: string, leaseUntil: number): Promise<void>;
  /** Of `ids`, the ones this instance no longer holds as running (cancelled, or taken over). */
  lostAmong(ids: readonly string[], leaseOwner: string): Promise<string[]>;
  startStep(runId: string, index: number, skill: string, safeToRepeat: boolean, leaseOwner: string, instance: string, at: string): Promise<boolean>;
  completeStep(runId: string, index: number, outputs: Record<string, unknown>, dataStore: Record<string, unknown>, leaseOwner: string, at: string): Promise<boolean>;
  /** Ends a running run held by `leaseOwner`; the open step (if any) gets `stepStatus`. */
  finish(runId: string, leaseOwner: string, status: 'completed' | 'failed' | 'cancelled', error: string | null, at: string, stepStatus?: StepStatus): Promise<boolean>;
  /** Gives a running run back to the queue, its open step back to pending. */
  release(runId: string, leaseOwner: string, at: string): Promise<boolean>;
  /** Marks the cancelled run's open step cancelled (called by the instance that was executing it). */
  markOpenStepCancelled(runId: string, at: string): Promise<void>;
  dueCallbacks(now: number, limit: number): Promise<RunRecord[]>;
  /** Reserves a callback delivery attempt (optimistic: false when another instance got it). */
  claimCallback(runId: string, expectedNextAt: number, reserveUntil: number): Promise<boolean>;
  recordCallback(runId: string, status: CallbackStatus, attempts: number, nextAt: number | null): Promise<void>;
}

export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}
