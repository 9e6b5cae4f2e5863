import { z } from 'zod';
import { skillNameSchema } from '../skills/skill-definition';
import type { RunRecord, RunStatus, StepRecord } from '../store/store';

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];

export const createRunSchema = z
  .object({
    steps: z.array(skillNameSchema).min(1, { message: 'needs at least one skill' }),
    initial_data: z.record(z.string(), z.unknown()).default({}),
    run_name: z.string().max(200).optional(),
    callback_url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048).optional(),
  })
  .strict();

export const listRunsQuerySchema = z.object({
  status: z.enum(RUN_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  user: z.string().optional(),
});

export type CreateRunInput = z.input<typeof createRunSchema>;

/** The public shape of a run (GET /runs/:id). */
export function presentRun(run: RunRecord, steps?: readonly StepRecord[]) {
  return {
    id: run.id,
    run_name: run.name,
    status: run.status,
    owner: run.owner,
    error: run.error,
    steps:
      steps?.map((step) => ({
        index: step.index,
        skill: step.skill,
        status: step.status,
        attempts: step.attempts,
        instance: step.instance,
        error: step.error,
        started_at: step.startedAt,
        completed_at: step.completedAt,
      })) ?? run.steps,
    data_store: run.dataStore,
    next_step: run.nextStep,
    takeovers: run.takeovers,
    callback_url: run.callbackUrl,
    callback_status: run.callbackStatus,
    created_at: run.createdAt,
    started_at: run.startedAt,
    completed_at: run.completedAt,
  };
}
