import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { CredentialService } from '../credentials/credential-service';
import { DEMO_CREDENTIAL } from '../credentials/credential-types';
import { AppError } from '../errors/app-error';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A tiny upstream inside the service, so the shipped DemoGreeting skill works offline right after
 * `npm start`: it demands the system user's `demo` bearer credential, exactly like a real API.
 */
export function demoRoutes(deps: { credentials: CredentialService; systemUserId: string; instance: number }): Router {
  const router = Router();
  router.get('/greeting', async (req, res) => {
    const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!presented) throw AppError.unauthorized('the demo endpoint needs Authorization: Bearer <demo token>');
    const demo = await deps.credentials
      .resolve(deps.systemUserId, DEMO_CREDENTIAL, { actor: 'demo-endpoint', via: 'GET /demo/greeting' }, 'test')
      .catch(() => {
        throw AppError.unavailable('the demo credential does not exist yet: run `npm run setup`');
      });
    if (!timingSafeEqual(digest(presented), digest(String(demo.data.token)))) {
      throw AppError.unauthorized('the bearer token is not the demo credential');
    }
    const name = typeof req.query.name === 'string' && req.query.name.length <= 100 ? req.query.name : 'world';
    res.json({ greeting: `Hello, ${name}!`, served_by: deps.instance, authenticated: true });
  });
  return router;
}
