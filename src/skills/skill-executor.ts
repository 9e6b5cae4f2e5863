import type { UserContext } from '../auth/user-context';
import { AppError } from '../errors/app-error';
import type { Skill } from './skill-definition';

export type SkillInputs = Readonly<Record<string, unknown>>;
export type SkillOutputs = Record<string, unknown>;

export interface ExecutionContext {
  /**
   * Whose credentials the skill uses. Runs pass their owner; requests leave it out and the
   * executor asks AuthContext (the request's scope, else the process user).
   */
  readonly user?: UserContext;
  /** Aborts the in-flight call (run cancellation, client gone). */
  readonly signal?: AbortSignal;
}

/** One interface for every kind of executor (REST today; database skills next). */
export interface SkillExecutor {
  readonly kind: string;
  execute(skill: Skill, inputs: SkillInputs, context: ExecutionContext): Promise<SkillOutputs>;
  /** True when an interrupted execution may simply be run again. */
  safeToRepeat(skill: Skill): boolean;
}

/** A skill that ran and failed; carries the upstream status when there is one. */
export class SkillFailedError extends AppError {
  constructor(
    status: 502 | 504 | 422,
    readonly skill: string,
    detail: string,
    extra: { upstreamStatus?: number; code: string; cause?: unknown },
  ) {
    super(status, status === 504 ? 'Gateway Timeout' : status === 422 ? 'Unprocessable Content' : 'Bad Gateway', detail, {
      code: extra.code,
      extra: { skill, status: 'failed', ...(extra.upstreamStatus !== undefined && { upstreamStatus: extra.upstreamStatus }) },
      cause: extra.cause,
    });
    this.name = 'SkillFailedError';
  }
}

/** The executing run was cancelled: not a failure of the skill. */
export class SkillCancelledError extends Error {
  constructor(readonly skill: string) {
    super(`skill ${skill} was cancelled`);
    this.name = 'SkillCancelledError';
  }
}
