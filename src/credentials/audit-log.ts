import type { CredentialAuditEntry, CredentialAuditRepository } from '../store/store';

/**
 * Writes audit entries in small batches: everything recorded during one turn of the event loop
 * is appended in a single transaction right after it (setImmediate). One commit per request was
 * the largest cost of a skill execution; the window in which a crash can lose entries is that
 * one turn. `flush()` runs at shutdown and before anything that reads the audit back.
 */
export class AuditLog {
  #pending: CredentialAuditEntry[] = [];
  #scheduled: Promise<void> | undefined;

  constructor(
    private readonly repository: CredentialAuditRepository,
    private readonly onError: (error: unknown, lost: number) => void = () => undefined,
  ) {}

  record(entry: CredentialAuditEntry): void {
    this.#pending.push(entry);
    this.#scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  async flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = undefined;
    if (batch.length === 0) return;
    try {
      await this.repository.append(batch);
    } catch (error) {
      this.onError(error, batch.length);
    }
  }
}
