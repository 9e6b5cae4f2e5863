import { AuthContext } from '../auth/auth-context';
import type { Store } from '../store/store';

/** What one instance says about itself when `npm run diagnose` asks it over PM2's IPC. */
export interface InstanceStatus {
  readonly pid: number;
  /** NODE_APP_INSTANCE (0 outside PM2). */
  readonly instance: number;
  readonly uptimeSeconds: number;
  readonly version: string;
  readonly auth: { readonly initialized: boolean; readonly userId: string | null; readonly initializedAt: string | null };
  /** `ok`, or `error: <why>` when the store does not answer a ping. */
  readonly store: string;
  readonly skillsLoaded: number;
  /** True when AuthContext is initialised and the store answers: the instance can serve. */
  readonly initialised: boolean;
  /** Why `initialised` is false; empty otherwise. */
  readonly problems: readonly string[];
}

export interface InstanceStatusDeps {
  readonly store: Pick<Store, 'ping'>;
  readonly instance: number;
  /** Number of skills this instance has loaded. */
  readonly skillCount: () => number;
  /** The app's package.json version. */
  readonly version: string;
}

export type CollectInstanceStatus = () => Promise<InstanceStatus>;

/** Reads the instance's state on each call (never cached: diagnose must see the current truth). */
export function createStatusCollector(deps: InstanceStatusDeps): CollectInstanceStatus {
  return async () => {
    const auth = AuthContext.status();
    const store = await deps.store.ping().then(
      () => 'ok',
      (error: unknown) => `error: ${error instanceof Error ? error.message : String(error)}`,
    );
    const problems: string[] = [];
    if (!auth.initialized) problems.push('AuthContext is not initialized');
    if (store !== 'ok') problems.push(`store is not ready (${store})`);
    return {
      pid: process.pid,
      instance: deps.instance,
      uptimeSeconds: Math.round(process.uptime()),
      version: deps.version,
      auth: { initialized: auth.initialized, userId: auth.userId, initializedAt: auth.initializedAt },
      store,
      skillsLoaded: deps.skillCount(),
      initialised: problems.length === 0,
      problems,
    };
  };
}
