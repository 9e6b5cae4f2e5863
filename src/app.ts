import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { ApiKeyService } from './auth/api-keys';
import { authenticate } from './auth/authenticate';
import { createJwtVerifier } from './auth/jwt-verifier';
import type { Config } from './config/config';
import { credentialRoutes } from './credentials/credential-routes';
import { CredentialService } from './credentials/credential-service';
import type { CredentialVault } from './credentials/credential-vault';
import type { AppError } from './errors/app-error';
import { errorHandler, notFoundHandler } from './errors/error-handler';
import { healthRoutes } from './health/health-routes';
import { drainMiddleware, type Lifecycle } from './http/lifecycle';
import type { Store } from './store/store';

export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly vault: CredentialVault;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /** Called by the error funnel for catastrophic errors; the process decides what to do. */
  readonly onCatastrophic?: (error: AppError) => void;
}

/** Builds the Express app. No socket, no signals, no env: tests call this directly. */
export function createApp(deps: AppDeps): Express {
  const { config, store, logger, lifecycle } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');

  app.use(drainMiddleware(lifecycle));
  app.use(express.json({ limit: '256kb', strict: true }));

  app.use(healthRoutes({ instance: config.instance, store, lifecycle }));

  const apiKeys = new ApiKeyService(store);
  const credentials = new CredentialService(store, deps.vault, String(config.instance));
  app.use(
    authenticate({
      apiKeys,
      jwt: createJwtVerifier({ secret: config.auth.jwtSecret, jwksUrl: config.auth.jwksUrl }),
      allowAnonymous: config.auth.allowAnonymous,
    }),
  );
  app.use(credentialRoutes(credentials));

  app.use(notFoundHandler);
  app.use(errorHandler(logger, deps.onCatastrophic ?? (() => undefined)));
  return app;
}
