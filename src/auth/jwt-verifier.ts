import type { JWTPayload } from 'jose';
import { userContext, type UserContext } from './user-context';

export interface JwtOptions {
  readonly secret: string | undefined;
  readonly jwksUrl: string | undefined;
}

export type JwtVerifier = (token: string) => Promise<UserContext | undefined>;

const USER_ID = /^[A-Za-z0-9._@|:-]{1,128}$/;

/**
 * HS256 with AUTH_JWT_SECRET, or keys from AUTH_JWKS_URL (fetched and cached by jose).
 * `sub` is the user id; a `roles` claim containing "admin" grants the admin role.
 * Returns undefined for every invalid token (bad signature, expired, no usable sub).
 */
export function createJwtVerifier(options: JwtOptions): JwtVerifier | undefined {
  // jose is loaded on the first JWT, not at start: most installations use API keys only.
  const jose = once(() => import('jose'));
  if (options.secret) {
    const secret = new TextEncoder().encode(options.secret);
    return async (token) => {
      const { jwtVerify } = await jose();
      return verify(() => jwtVerify(token, secret, { algorithms: ['HS256'] }));
    };
  }
  if (options.jwksUrl) {
    const jwksUrl = new URL(options.jwksUrl);
    const jwks = once(async () => (await jose()).createRemoteJWKSet(jwksUrl));
    return async (token) => {
      const [{ jwtVerify }, keys] = await Promise.all([jose(), jwks()]);
      return verify(() => jwtVerify(token, keys));
    };
  }
  return undefined;
}

async function verify(run: () => Promise<{ payload: JWTPayload }>): Promise<UserContext | undefined> {
  try {
    const { payload } = await run();
    if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) return undefined;
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    return userContext(payload.sub, roles.includes('admin'), 'jwt');
  } catch {
    return undefined;
  }
}

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= load());
}
