export type Role = 'user' | 'admin';

/** How the identity was established; shown in logs and diagnostics. */
export type IdentitySource = 'env' | 'api-key' | 'jwt' | 'anonymous' | 'cli' | 'run-owner';

export interface UserContext {
  readonly userId: string;
  readonly roles: readonly Role[];
  readonly source: IdentitySource;
}

export function isAdmin(user: UserContext): boolean {
  return user.roles.includes('admin');
}

export function userContext(userId: string, admin: boolean, source: IdentitySource): UserContext {
  return Object.freeze({ userId, roles: Object.freeze(admin ? (['user', 'admin'] as const) : (['user'] as const)), source });
}
