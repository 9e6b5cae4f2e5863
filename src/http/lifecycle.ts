import type { RequestHandler } from 'express';

/** Shared between the process (src/server.ts) and the app: what the instance is doing now. */
export interface Lifecycle {
  /** True from the first shutdown signal: answers carry `Connection: close`. */
  draining: boolean;
}

export function createLifecycle(): Lifecycle {
  return { draining: false };
}

/**
 * During the drain window keep-alive clients are told to reconnect, so they move to another
 * instance instead of reusing a socket that is about to be closed under them.
 */
export function drainMiddleware(lifecycle: Lifecycle): RequestHandler {
  return (_req, res, next) => {
    if (lifecycle.draining) res.setHeader('Connection', 'close');
    next();
  };
}
