export interface AppErrorOptions {
  /** Short machine-readable slug, becomes the problem `type`. */
  readonly code?: string;
  /** Extra members of the problem document (RFC 9457 extensions). */
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
  /**
   * A catastrophic error means this process can no longer be trusted (store gone, invariants
   * broken): the funnel logs it and starts a graceful shutdown so PM2 replaces the instance.
   */
  readonly catastrophic?: boolean;
}

/** The one error type of the service. Anything else reaching the funnel is an unexpected 500. */
export class AppError extends Error {
  readonly code: string;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly catastrophic: boolean;

  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = options.code ?? slug(title);
    this.extra = options.extra ?? {};
    this.catastrophic = options.catastrophic ?? false;
  }

  static badRequest(detail: string, extra?: Record<string, unknown>): AppError {
    return new AppError(400, 'Bad Request', detail, { code: 'bad-request', ...(extra && { extra }) });
  }
  static unauthorized(detail: string): AppError {
    return new AppError(401, 'Unauthorized', detail, { code: 'unauthorized' });
  }
  static forbidden(detail: string): AppError {
    return new AppError(403, 'Forbidden', detail, { code: 'forbidden' });
  }
  static notFound(detail: string): AppError {
    return new AppError(404, 'Not Found', detail, { code: 'not-found' });
  }
  static conflict(detail: string): AppError {
    return new AppError(409, 'Conflict', detail, { code: 'conflict' });
  }
  static unprocessable(detail: string, extra?: Record<string, unknown>): AppError {
    return new AppError(422, 'Unprocessable Content', detail, { code: 'unprocessable', ...(extra && { extra }) });
  }
  static unavailable(detail: string, extra?: Record<string, unknown>): AppError {
    return new AppError(503, 'Service Unavailable', detail, { code: 'unavailable', ...(extra && { extra }) });
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
