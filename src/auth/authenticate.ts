import type { RequestHandler } from 'express';
import { AppError } from '../errors/app-error';
import { looksLikeApiKey, type ApiKeyService } from './api-keys';
import { AuthContext } from './auth-context';
import type { JwtVerifier } from './jwt-verifier';
import { userContext, type UserContext } from './user-context';

export interface AuthenticateOptions {
  readonly apiKeys: ApiKeyService;
  readonly jwt: JwtVerifier | undefined;
  readonly allowAnonymous: boolean;
}

/** `Authorization: Bearer <key or JWT>` or `X-API-Key: <key>`. */
function presentedToken(authorization: string | undefined, apiKeyHeader: string | string[] | undefined): string | undefined {
  if (typeof apiKeyHeader === 'string' && apiKeyHeader.length > 0) return apiKeyHeader.trim();
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? '';
}

/**
 * Establishes who calls and runs the rest of the request inside `AuthContext.runAs(user)`.
 * The identity never comes from the request body or query.
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  return async (req, res, next) => {
    const token = presentedToken(req.headers.authorization, req.headers['x-api-key']);
    let user: UserContext | undefined;
    if (token === undefined) {
      const processUser = AuthContext.getProcessUser();
      if (options.allowAnonymous && processUser) user = userContext(processUser.userId, processUser.roles.includes('admin'), 'anonymous');
      else throw unauthorized(res, 'authentication required: send Authorization: Bearer <API key or JWT> or X-API-Key: <API key>');
    } else if (looksLikeApiKey(token)) {
      user = await options.apiKeys.authenticate(token);
      if (!user) throw unauthorized(res, 'the API key is malformed, unknown or revoked');
    } else if (options.jwt && token.split('.').length === 3) {
      user = await options.jwt(token);
      if (!user) throw unauthorized(res, 'the bearer token is not a valid JWT (bad signature, expired, or no sub)');
    } else {
      throw unauthorized(res, 'the credentials presented are not a valid API key or JWT');
    }
    AuthContext.runAs(user, next);
  };
}

function unauthorized(res: Parameters<RequestHandler>[1], detail: string): AppError {
  res.setHeader('WWW-Authenticate', 'Bearer realm="sop-orchestrator"');
  return AppError.unauthorized(detail);
}

/** The owner a request acts for: the caller, or (admins only) `?user=`. */
export function targetOwner(requested: unknown): string {
  const caller = AuthContext.getCurrentUser();
  if (requested === undefined || requested === caller.userId) return caller.userId;
  if (typeof requested !== 'string' || !/^[A-Za-z0-9._@|:-]{1,128}$/.test(requested)) {
    throw AppError.badRequest('query parameter user must be a user id');
  }
  if (!caller.roles.includes('admin')) throw AppError.forbidden('only admins may act for another user (?user=)');
  return requested;
}
