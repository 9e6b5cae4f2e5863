import { Router } from 'express';
import { AuthContext } from '../auth/auth-context';
import { AppError } from '../errors/app-error';
import type { Lifecycle } from '../http/lifecycle';
import type { Store } from '../store/store';

export interface HealthDeps {
  readonly instance: number;
  readonly store: Store;
  readonly lifecycle: Lifecycle;
}

/** Mounted at /health. */
export function healthRoutes({ instance, store, lifecycle }: HealthDeps): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json({ status: 'ok', instance, pid: process.pid, uptimeSeconds: Math.round(process.uptime()) });
  });

  // A draining instance still answers 200: it is serving (with Connection: close) until it stops.
  router.get('/ready', async (_req, res) => {
    const auth = AuthContext.status();
    const storeStatus = await store.ping().then(
      () => 'ok',
      (error: unknown) => `error: ${(error as Error).message}`,
    );
    const body = {
      auth: { initialized: auth.initialized, userId: auth.userId, initializedAt: auth.initializedAt },
      store: storeStatus,
      draining: lifecycle.draining,
      instance,
      pid: process.pid,
    };
    if (!auth.initialized || storeStatus !== 'ok') {
      const reason = !auth.initialized ? 'AuthContext is not initialized' : `store is not ready (${storeStatus})`;
      throw AppError.unavailable(reason, body);
    }
    res.json({ status: 'ready', ...body });
  });

  return router;
}
