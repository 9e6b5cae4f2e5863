import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { AppError } from './app-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Maps anything thrown to an AppError: ours as they are, known library errors as 4xx, the rest 500. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ZodError) {
    return AppError.badRequest(describeZodError(error), {
      errors: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const httpError = asHttpError(error);
  if (httpError) return httpError;
  return new AppError(500, 'Internal Server Error', 'an unexpected error occurred; it has been logged', {
    code: 'internal',
    cause: error,
  });
}

export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** body-parser, raw-body and Express's router throw errors with `status`/`type`: name the problem. */
function asHttpError(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, type, expose } = error as { status?: unknown; type?: unknown; expose?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  switch (type) {
    case 'entity.parse.failed':
      return new AppError(400, 'Bad Request', 'the request body is not valid JSON', { code: 'invalid-json' });
    case 'entity.too.large':
      return new AppError(413, 'Content Too Large', 'the request body is larger than the limit', { code: 'body-too-large' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'Unsupported Media Type', (error as Error).message, { code: 'unsupported-encoding' });
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError(400, 'Bad Request', 'the request body was incomplete', { code: 'incomplete-body' });
    default:
      return new AppError(status, 'Bad Request', expose === true ? (error as Error).message : 'the request is malformed', {
        code: 'bad-request',
      });
  }
}

export function sendProblem(res: Response, error: AppError, instance?: string): void {
  const body: ProblemDocument = {
    ...error.extra,
    type: `urn:sop-orchestrator:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    ...(instance !== undefined && { instance }),
  };
  res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(AppError.notFound(`no route for ${req.method} ${req.path}`));
};

/**
 * The funnel: every error ends here. 5xx details stay in the log; the client gets a generic
 * detail. Catastrophic errors also ask the process to shut down so PM2 starts a fresh instance.
 */
export function errorHandler(logger: Logger, onCatastrophic: (error: AppError) => void): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    } else {
      logger.debug({ status: appError.status, method: req.method, path: req.path, detail: appError.detail }, 'request rejected');
    }
    if (appError.catastrophic) onCatastrophic(appError);
    if (res.headersSent) return next(error);
    sendProblem(res, appError, req.originalUrl.length <= 2048 ? req.originalUrl : undefined);
  };
}
