import { Router, type Request } from 'express';
import { AuthContext } from '../auth/auth-context';
import { targetOwner } from '../auth/authenticate';
import { credentialNameSchema } from './credential-types';
import type { AccessOrigin, CredentialService } from './credential-service';
import { AppError } from '../errors/app-error';

function origin(req: Request, route: string): AccessOrigin {
  return { actor: AuthContext.getCurrentUser().userId, via: `${req.method} ${route}` };
}

function nameParam(req: Request): string {
  const parsed = credentialNameSchema.safeParse(req.params.name);
  if (!parsed.success) throw AppError.badRequest(`credential name ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return parsed.data;
}

/** Mounted at /credentials. Owner-scoped: every lookup includes the owner, so another user's credential is simply not found (404). */
export function credentialRoutes(credentials: CredentialService): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json({ credentials: await credentials.list(targetOwner(req.query.user)) });
  });

  router.post('/', async (req, res) => {
    const created = await credentials.create(targetOwner(req.query.user), req.body, origin(req, '/credentials'));
    res.status(201).location(`/credentials/${created.name}`).json(created);
  });

  router.get('/:name', async (req, res) => {
    res.json(await credentials.get(targetOwner(req.query.user), nameParam(req)));
  });

  router.put('/:name', async (req, res) => {
    res.json(await credentials.update(targetOwner(req.query.user), nameParam(req), req.body, origin(req, '/credentials/:name')));
  });

  router.delete('/:name', async (req, res) => {
    await credentials.delete(targetOwner(req.query.user), nameParam(req), origin(req, '/credentials/:name'));
    res.status(204).end();
  });

  return router;
}
