/**
 * PM2's in-process agent (@pm2/io): the `auth:status` action for `pm2 trigger` and the service
 * metrics for `pm2 show` / `pm2 monit`.
 *
 * Attached only under PM2 and only after the instance has sent 'ready' (see src/server.ts):
 * loading @pm2/io takes 30-60 ms inside a PM2 worker (measured), which would otherwise be added to
 * every instance's startup and to every reload. Under PM2 7 the worker already runs PM2's own copy
 * of the agent (started by its ProcessContainer before our code, unless the app sets `pmx: false`)
 * and `require('@pm2/io')` returns that object (kept on `global[Symbol.for('@pm2/io')]`), so
 * attaching starts no second agent and logs nothing. Only `action` and `metric` are used:
 * `io.onExit` would install SIGINT/SIGTERM handlers that call process.exit() and cut the graceful
 * shutdown short.
 */
import { AuthContext, type AuthStatus } from '../auth/auth-context';
import { METRIC_NAMES, type MetricsSnapshot, type ServiceMetrics } from './metrics';

export const AUTH_STATUS_ACTION = 'auth:status';

/** What `pm2 trigger sop-orchestrator auth:status` prints for each instance. */
export interface AuthStatusAnswer extends AuthStatus {
  readonly instance: number;
  readonly pid: number;
}

/** The two calls this module makes; @pm2/io's object satisfies it, tests pass a recorder. */
export type Pm2Io = Pick<typeof import('@pm2/io'), 'action' | 'metric'>;

export interface Pm2IoDeps {
  readonly instance: number;
  readonly metrics: ServiceMetrics;
  /** The agent is optional: if it cannot be attached the instance keeps serving and says why. */
  readonly onError: (error: unknown) => void;
  /** Defaults to loading @pm2/io (PM2's running agent when under PM2). */
  readonly io?: () => Pm2Io;
}

export function authStatusAnswer(instance: number): AuthStatusAnswer {
  return { ...AuthContext.status(), instance, pid: process.pid };
}

export function attachPm2Io({ instance, metrics, onError, io = loadPm2Io }: Pm2IoDeps): void {
  try {
    const agent = io();
    agent.action(AUTH_STATUS_ACTION, (reply: (answer: AuthStatusAnswer) => void) => reply(authStatusAnswer(instance)));
    for (const key of Object.keys(METRIC_NAMES) as Array<keyof MetricsSnapshot>) {
      // A value function: the agent reads the current number each time it reports (about once a second).
      agent.metric({ name: METRIC_NAMES[key], value: () => metrics.snapshot()[key] });
    }
  } catch (error) {
    onError(error);
  }
}

function loadPm2Io(): Pm2Io {
  // Loaded here, not imported at the top, so that requiring this module costs nothing at startup.
  return require('@pm2/io') as Pm2Io;
}
