/**
 * The shared store behind every instance. Asynchronous on purpose: the embedded SQLite
 * implementation answers synchronously, a PostgreSQL one will not, and callers must not care.
 */
export interface Store {
  /** e.g. `sqlite /srv/app/data/sop.db`, for logs and diagnostics (never a password). */
  readonly description: string;
  readonly meta: MetaRepository;
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

export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}
