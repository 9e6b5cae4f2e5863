import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '../errors/app-error';
import { userContext, type UserContext } from './user-context';

/** The predecessor's message, kept word for word at the start so existing runbooks still match. */
export const MISSING_USER_CONTEXT_MESSAGE =
  'user_context required for secure credentials. Either:\n' +
  '  1. Authenticate the request (API key or JWT) so it runs as its caller, or\n' +
  '  2. Initialize the process identity at startup: AuthContext.initializeFromEnv(config) in src/server.ts';

export class MissingUserContextError extends AppError {
  constructor() {
    super(500, 'Missing User Context', MISSING_USER_CONTEXT_MESSAGE, { code: 'missing-user-context' });
    this.name = 'MissingUserContextError';
  }
}

export interface AuthStatus {
  readonly initialized: boolean;
  readonly userId: string | null;
  readonly roles: readonly string[];
  readonly initializedAt: string | null;
}

/**
 * The process identity ("system user") plus a per-request scope.
 *
 * Every instance's entry module calls `initializeFromEnv` itself: nothing is inherited from a
 * parent process. A request (or a run) enters `runAs(user, fn)`; inside it `getCurrentUser()`
 * returns that user, across awaits, and never another request's. This is the only module-level
 * singleton of the service, by design.
 */
export class AuthContext {
  static #processUser: UserContext | undefined;
  static #initializedAt: string | undefined;
  static readonly #scope = new AsyncLocalStorage<UserContext>();

  static initialize(user: UserContext): UserContext {
    AuthContext.#processUser = user;
    AuthContext.#initializedAt = new Date().toISOString();
    return user;
  }

  /** `DEFAULT_USER_ID` / `DEFAULT_USER_ADMIN`, already validated by the config loader. */
  static initializeFromEnv(config: { readonly defaultUser: { readonly id: string; readonly admin: boolean } }): UserContext {
    return AuthContext.initialize(userContext(config.defaultUser.id, config.defaultUser.admin, 'env'));
  }

  static isInitialized(): boolean {
    return AuthContext.#processUser !== undefined;
  }

  /** The request's (or run's) user when inside a scope, else the process user. */
  static getCurrentUser(): UserContext {
    const user = AuthContext.#scope.getStore() ?? AuthContext.#processUser;
    if (user === undefined) throw new MissingUserContextError();
    return user;
  }

  static getProcessUser(): UserContext | undefined {
    return AuthContext.#processUser;
  }

  /** Runs `fn` as `user`. The new scope replaces any scope it was called from. */
  static runAs<T>(user: UserContext, fn: () => T): T {
    return AuthContext.#scope.run(user, fn);
  }

  /** Runs `fn` outside any request scope (as the process user), e.g. timers started from a request. */
  static runDetached<T>(fn: () => T): T {
    return AuthContext.#scope.exit(fn);
  }

  static status(): AuthStatus {
    const user = AuthContext.#processUser;
    return {
      initialized: user !== undefined,
      userId: user?.userId ?? null,
      roles: user?.roles ?? [],
      initializedAt: AuthContext.#initializedAt ?? null,
    };
  }

  static reset(): void {
    AuthContext.#processUser = undefined;
    AuthContext.#initializedAt = undefined;
  }
}
