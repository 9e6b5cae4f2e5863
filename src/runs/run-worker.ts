import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AuthContext } from '../auth/auth-context';
import { userContext } from '../auth/user-context';
import type { Config } from '../config/config';
import { AppError } from '../errors/app-error';
import type { SkillService } from '../skills/skill-service';
import type { RunRecord, Store } from '../store/store';
import type { CallbackSender } from './callback-sender';

/** Why an executing run was interrupted by this instance. */
class Interruption extends Error {
  constructor(readonly kind: 'lost' | 'handback') {
    super(kind === 'lost' ? 'run cancelled or taken over' : 'instance shutting down');
  }
}

export const INSTANCE_LOST = 'instance lost';

export interface RunWorkerOptions {
  readonly store: Store;
  readonly skills: SkillService;
  readonly limits: Config['runs'];
  readonly instance: number;
  readonly logger: Logger;
  readonly callbacks?: CallbackSender;
  /** Gauge of runs executing on this instance (PM2 metrics). */
  readonly runsInProgress?: { inc(): void; dec(): void };
}

interface ActiveRun {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/**
 * Executes runs on this instance. Every `pollMs` it renews the leases of its runs, aborts the
 * ones that were cancelled (by any instance) or taken over, claims queued runs (and runs whose
 * instance died: their lease expired) up to `maxConcurrent`, and delivers due callbacks.
 * All state is in the store; the only per-process state is the list of runs executing here.
 */
export class RunWorker {
  readonly leaseOwner = `${os.hostname()}:${process.pid}`;
  readonly #active = new Map<string, ActiveRun>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #drainStartedAt: number | undefined;

  constructor(private readonly options: RunWorkerOptions) {}

  get activeCount(): number {
    return this.#active.size;
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), this.options.limits.pollMs);
    this.kick();
  }

  /** Runs a poll now, outside any request's identity scope. */
  kick(): void {
    AuthContext.runDetached(() => {
      this.#ticking ??= this.#tick().finally(() => (this.#ticking = undefined));
    });
  }

  /** Stops claiming new runs (at the first shutdown signal); running ones go on. */
  beginDrain(): void {
    this.#drainStartedAt ??= Date.now();
  }

  /** Running runs get `drainMs` from the start of the drain to finish, then are handed back (or failed if unsafe). */
  async stop(): Promise<void> {
    this.beginDrain();
    const deadline = (this.#drainStartedAt ?? Date.now()) + this.options.limits.drainMs;
    while (this.#active.size > 0 && Date.now() < deadline) await sleep(Math.min(100, this.options.limits.pollMs));
    for (const run of this.#active.values()) run.controller.abort(new Interruption('handback'));
    await Promise.allSettled([...this.#active.values()].map((run) => run.done));
    clearInterval(this.#timer);
    await this.#ticking;
  }

  async #tick(): Promise<void> {
    const { store, limits, logger } = this.options;
    try {
      const ids = [...this.#active.keys()];
      await store.runs.renewLeases(ids, this.leaseOwner, Date.now() + limits.leaseMs);
      for (const id of await store.runs.lostAmong(ids, this.leaseOwner)) {
        this.#active.get(id)?.controller.abort(new Interruption('lost'));
      }
      while (this.#drainStartedAt === undefined && this.#active.size < limits.maxConcurrent) {
        const now = Date.now();
        const run = await store.runs.claim(this.leaseOwner, now + limits.leaseMs, now, new Date(now).toISOString());
        if (!run) break;
        this.#launch(run);
      }
      void this.options.callbacks?.deliverDue().catch((error: unknown) => logger.error({ err: error }, 'callback delivery failed'));
    } catch (error) {
      logger.error({ err: error }, 'run worker poll failed');
    }
  }

  #launch(run: RunRecord): void {
    const controller = new AbortController();
    const owner = userContext(run.owner, false, 'run-owner');
    // A fresh identity scope from the run record, never the scope of whatever request queued it.
    const done = AuthContext.runAs(owner, () => this.#execute(run, controller.signal))
      .catch((error: unknown) => this.options.logger.error({ err: error, run_id: run.id }, 'run execution failed'))
      .finally(() => {
        this.#active.delete(run.id);
        this.options.runsInProgress?.dec();
      });
    this.#active.set(run.id, { controller, done });
    this.options.runsInProgress?.inc();
    this.options.logger.info({ run_id: run.id, owner: run.owner, from_step: run.nextStep, takeover: run.takeovers > 0 }, 'run started');
  }

  async #execute(run: RunRecord, signal: AbortSignal): Promise<void> {
    const { store, skills } = this.options;
    const at = () => new Date().toISOString();
    const finish = async (status: 'completed' | 'failed', error: string | null, stepStatus?: 'failed') => {
      if (await store.runs.finish(run.id, this.leaseOwner, status, error, at(), stepStatus)) {
        this.options.logger.info({ run_id: run.id, status, ...(error && { error }) }, 'run finished');
      }
    };

    // Taken over from a lost instance: a step that was in flight may only be repeated if that is safe.
    const interrupted = (await store.runs.steps(run.id)).find((step) => step.status === 'running');
    if (interrupted && !interrupted.safeToRepeat) {
      await finish('failed', `${INSTANCE_LOST}: step ${interrupted.index + 1} (${interrupted.skill}) was in flight and is not safe to repeat`, 'failed');
      return;
    }

    let data: Record<string, unknown> = { ...run.dataStore };
    for (let index = run.nextStep; index < run.steps.length; index += 1) {
      const name = run.steps[index] ?? '';
      const label = `step ${index + 1} (${name})`;
      if (signal.aborted) return this.#interrupted(run, signal, false, label);
      const safe = skills.find(name) ? skills.safeToRepeat(name) : true;
      if (!(await store.runs.startStep(run.id, index, name, safe, this.leaseOwner, String(this.options.instance), at()))) return;
      let outputs: Record<string, unknown>;
      try {
        outputs = (await skills.execute(name, data, { user: AuthContext.getCurrentUser(), signal })).outputs;
      } catch (error) {
        if (signal.aborted) return this.#interrupted(run, signal, !safe, label);
        const detail = error instanceof AppError ? error.detail : error instanceof Error ? error.message : String(error);
        await finish('failed', `${label} failed: ${detail}`, 'failed');
        return;
      }
      data = { ...data, ...outputs };
      const size = Buffer.byteLength(JSON.stringify(data));
      if (size > this.options.limits.maxDataBytes) {
        await finish('failed', `${label} failed: data_store grew to ${size} bytes, over RUNS_MAX_DATA_BYTES (${this.options.limits.maxDataBytes})`, 'failed');
        return;
      }
      if (!(await store.runs.completeStep(run.id, index, outputs, data, this.leaseOwner, at()))) return;
    }
    await finish('completed', null);
  }

  /** Cancelled or taken over: nothing to write. Handed back at shutdown: requeue, unless a non-idempotent call was in flight. */
  async #interrupted(run: RunRecord, signal: AbortSignal, unsafeInFlight: boolean, label: string): Promise<void> {
    const reason = signal.reason instanceof Interruption ? signal.reason.kind : 'lost';
    if (reason === 'lost') return;
    const { store } = this.options;
    if (unsafeInFlight) {
      await store.runs.finish(run.id, this.leaseOwner, 'failed', `${INSTANCE_LOST}: ${label} was in flight at shutdown and is not safe to repeat`, new Date().toISOString(), 'failed');
      return;
    }
    if (await store.runs.release(run.id, this.leaseOwner, new Date().toISOString())) {
      this.options.logger.info({ run_id: run.id }, 'run handed back at shutdown');
    }
  }
}
