import { Router } from 'express';
import { targetOwner } from '../auth/authenticate';
import type { RunService } from './run-service';

/** Mounted at /runs. Owner-scoped like credentials: another user's run is a 404; admins may use ?user=. */
export function runRoutes(runs: RunService): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const created = await runs.create(targetOwner(req.query.user), req.body);
    res.status(202).location(`/runs/${created.id}`).json(created);
  });

  router.get('/', async (req, res) => {
    res.json(await runs.list(targetOwner(req.query.user), req.query));
  });

  router.get('/:id', async (req, res) => {
    res.json(await runs.get(targetOwner(req.query.user), req.params.id));
  });

  router.post('/:id/cancel', async (req, res) => {
    res.json(await runs.cancel(targetOwner(req.query.user), req.params.id));
  });

  return router;
}
