import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { UserContext } from '../auth/user-context';
import { AppError } from '../errors/app-error';
import { describeSkill, type Skill } from './skill-definition';
import type { SkillExecutor, SkillInputs, SkillOutputs } from './skill-executor';
import type { SkillRegistry } from './skill-registry';

export const executeSkillSchema = z
  .object({ inputs: z.record(z.string(), z.unknown()).default({}) })
  .strict();

export interface ExecutionResult {
  readonly skill: string;
  readonly status: 'success';
  readonly outputs: SkillOutputs;
  readonly durationMs: number;
  readonly instance: number;
}

/** Counters the operations side (PM2 metrics) can observe; optional so tests need none. */
export interface SkillMetrics {
  skillExecuted(skill: string, ok: boolean, durationMs: number): void;
}

export class SkillService {
  readonly #executors: ReadonlyMap<string, SkillExecutor>;

  constructor(
    private readonly registry: SkillRegistry,
    executors: readonly SkillExecutor[],
    private readonly instance: number,
    private readonly metrics?: SkillMetrics,
  ) {
    this.#executors = new Map(executors.map((e) => [e.kind, e]));
  }

  list() {
    return this.registry.list().map(describeSkill);
  }

  describe(name: string) {
    const skill = this.require(name);
    return { ...describeSkill(skill), documentation: skill.documentation };
  }

  find(name: string): Skill | undefined {
    return this.registry.get(name);
  }

  require(name: string): Skill {
    const skill = this.registry.get(name);
    if (!skill) throw AppError.notFound(`skill "${name}" not found`);
    return skill;
  }

  /** Whether running the skill again after an interruption is harmless (idempotent HTTP method). */
  safeToRepeat(name: string): boolean {
    const skill = this.require(name);
    return this.#executors.get(skill.definition.executor)?.safeToRepeat(skill) ?? false;
  }

  /** Inputs missing from `requires`, so callers can answer 400 naming them. */
  missingInputs(skill: Skill, inputs: SkillInputs): string[] {
    return skill.definition.requires.filter((key) => inputs[key] === undefined || inputs[key] === null);
  }

  /** Runs a skill; `user` is a run's owner, or undefined for "whoever AuthContext says is calling". */
  async execute(name: string, inputs: SkillInputs, options: { user?: UserContext; signal?: AbortSignal } = {}): Promise<ExecutionResult> {
    const skill = this.require(name);
    const missing = this.missingInputs(skill, inputs);
    if (missing.length > 0) throw AppError.badRequest(`missing required inputs: ${missing.join(', ')}`, { missing, skill: name });
    const executor = this.#executors.get(skill.definition.executor);
    if (!executor) throw new AppError(501, 'Not Implemented', `no executor for "${skill.definition.executor}"`, { code: 'no-executor' });
    const started = performance.now();
    try {
      const outputs = await executor.execute(skill, inputs, options);
      const durationMs = Math.round(performance.now() - started);
      this.metrics?.skillExecuted(name, true, durationMs);
      return { skill: name, status: 'success', outputs, durationMs, instance: this.instance };
    } catch (error) {
      this.metrics?.skillExecuted(name, false, Math.round(performance.now() - started));
      if (error instanceof AppError) {
        Object.assign(error.extra, { skill: name, status: 'failed', durationMs: Math.round(performance.now() - started), instance: this.instance });
      }
      throw error;
    }
  }
}
