import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config';
import { AppError } from '../errors/app-error';
import type { SkillService } from '../skills/skill-service';
import type { Store } from '../store/store';
import { createRunSchema, listRunsQuerySchema, presentRun } from './run-types';

/** The API's use cases for runs; execution itself is the RunWorker's, on whichever instance claims the run. */
export class RunService {
  constructor(
    private readonly store: Store,
    private readonly skills: SkillService,
    private readonly limits: Config['runs'],
    private readonly callbacksEnabled: boolean,
    /** Wakes this instance's worker so a new run starts without waiting for the next poll. */
    private readonly onQueued: () => void = () => undefined,
  ) {}

  async create(owner: string, input: unknown): Promise<{ id: string; status: 'queued' }> {
    const { steps, initial_data: data, run_name: name, callback_url: callbackUrl } = createRunSchema.parse(input);
    if (steps.length > this.limits.maxSteps) throw AppError.badRequest(`a run may have at most ${this.limits.maxSteps} steps (got ${steps.length})`);
    const unknown = steps.filter((step) => this.skills.find(step) === undefined);
    if (unknown.length > 0) throw AppError.badRequest(`unknown skills in steps: ${[...new Set(unknown)].join(', ')}`, { unknown });
    const size = Buffer.byteLength(JSON.stringify(data));
    if (size > this.limits.maxDataBytes) throw new AppError(413, 'Content Too Large', `initial_data is ${size} bytes; the limit is ${this.limits.maxDataBytes}`, { code: 'data-too-large' });
    if (callbackUrl && !this.callbacksEnabled) {
      throw AppError.unprocessable('callback_url needs CALLBACK_SIGNING_SECRET to be configured (`npm run setup` writes one)');
    }
    const id = randomUUID();
    await this.store.runs.insert({ id, owner, name: name ?? '', steps, dataStore: data, callbackUrl: callbackUrl ?? null, createdAt: new Date().toISOString() });
    this.onQueued();
    return { id, status: 'queued' };
  }

  async list(owner: string, query: unknown) {
    const { status, limit, offset } = listRunsQuerySchema.parse(query);
    const { runs, total } = await this.store.runs.list(owner, { ...(status && { status }), limit, offset });
    return { runs: runs.map((run) => presentRun(run)), total, limit, offset };
  }

  async get(owner: string, id: string) {
    const run = await this.store.runs.get(id);
    // Another user's run is indistinguishable from a missing one.
    if (!run || run.owner !== owner) throw AppError.notFound(`run ${id} not found`);
    return presentRun(run, await this.store.runs.steps(id));
  }

  /** Any instance can cancel: the run is marked `cancelled` in the store; its executor notices and aborts. */
  async cancel(owner: string, id: string) {
    const run = await this.store.runs.cancel(id, owner, new Date().toISOString());
    if (!run) throw AppError.notFound(`run ${id} not found`);
    if (run.status !== 'cancelled') throw AppError.conflict(`run ${id} is already ${run.status}`);
    return presentRun(run, await this.store.runs.steps(id));
  }
}
