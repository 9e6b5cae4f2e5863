import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { authenticate } from './auth/authenticate';
import { createJwtVerifier } from './auth/jwt-verifier';
import type { Config } from './config/config';
import { credentialRoutes } from './credentials/credential-routes';
import type { AppError } from './errors/app-error';
import { errorHandler, notFoundHandler } from './errors/error-handler';
import { healthRoutes } from './health/health-routes';
import { jsonDepthLimit } from './http/json-depth';
import { drainMiddleware, type Lifecycle } from './http/lifecycle';
import { openApiRoutes } from './http/openapi';
import { runRoutes } from './runs/run-routes';
import type { Services } from './services';
import { demoRoutes } from './skills/demo-routes';
import { skillRoutes } from './skills/skill-routes';
import type { Store } from './store/store';

export interface AppDeps {
  readonly config: Config;
  readonly version: string;
  readonly store: Store;
  readonly services: Services;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /** Called by the error funnel for catastrophic errors; the process decides what to do. */
  readonly onCatastrophic?: (error: AppError) => void;
}

/** Builds the Express app. No socket, no signals, no env: tests call this directly. */
export function createApp(deps: AppDeps): Express {
  const { config, store, services, logger, lifecycle } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');

  app.use(drainMiddleware(lifecycle));
  app.use(express.json({ limit: '256kb', strict: true }));
  app.use(jsonDepthLimit());

  // Public: probes, API description, and the demo upstream (it checks its own bearer token).
  app.use(healthRoutes({ instance: config.instance, store, lifecycle }));
  app.use(openApiRoutes(deps.version));
  app.use(demoRoutes({ credentials: services.credentials, systemUserId: config.defaultUser.id, instance: config.instance }));

  app.use(
    authenticate({
      apiKeys: services.apiKeys,
      jwt: createJwtVerifier({ secret: config.auth.jwtSecret, jwksUrl: config.auth.jwksUrl }),
      allowAnonymous: config.auth.allowAnonymous,
    }),
  );
  app.use(skillRoutes(services.skills));
  app.use(credentialRoutes(services.credentials));
  app.use(runRoutes(services.runs));

  app.use(notFoundHandler);
  app.use(errorHandler(logger, deps.onCatastrophic ?? (() => undefined)));
  return app;
}
