import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { authenticate } from './auth/authenticate';
import { createJwtVerifier } from './auth/jwt-verifier';
import type { Config } from './config/config';
import { credentialRoutes } from './credentials/credential-routes';
import type { AppError } from './errors/app-error';
import { errorHandler, notFoundHandler } from './errors/error-handler';
import { healthRoutes } from './health/health-routes';
import { jsonBody } from './http/json-body';
import { drainMiddleware, type Lifecycle } from './http/lifecycle';
import { openApiHandlers } from './http/openapi';
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
  // Answers are per caller and mostly to POSTs: a weak ETag (a SHA-1 of every body) buys nothing.
  app.set('etag', false);

  app.use(drainMiddleware(lifecycle));
  app.use(jsonBody({ limit: '256kb' }));

  // Each router is mounted on its prefix, so a request enters only the one it is for.
  // Public: probes, API description, and the demo upstream (it checks its own bearer token).
  const openApi = openApiHandlers(deps.version);
  app.use('/health', healthRoutes({ instance: config.instance, store, lifecycle }));
  app.get('/openapi.json', openApi.document);
  app.use('/docs', openApi.docs);
  app.use('/demo', demoRoutes({ credentials: services.credentials, systemUserId: config.defaultUser.id, instance: config.instance }));

  app.use(
    authenticate({
      apiKeys: services.apiKeys,
      jwt: createJwtVerifier({ secret: config.auth.jwtSecret, jwksUrl: config.auth.jwksUrl }),
      allowAnonymous: config.auth.allowAnonymous,
    }),
  );
  app.use('/skills', skillRoutes(services.skills));
  app.use('/credentials', credentialRoutes(services.credentials));
  app.use('/runs', runRoutes(services.runs));

  app.use(notFoundHandler);
  app.use(errorHandler(logger, deps.onCatastrophic ?? (() => undefined)));
  return app;
}
