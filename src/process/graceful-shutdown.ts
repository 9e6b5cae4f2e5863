import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Lifecycle } from '../http/lifecycle';

export interface ShutdownOptions {
  readonly server: Server;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  /** How long to keep serving with `Connection: close` before closing the listener. */
  readonly drainMs: number;
  /** Hard deadline for the whole shutdown; below PM2's kill_timeout. */
  readonly timeoutMs: number;
  /** Called at once on the first signal (e.g. stop claiming background work). */
  readonly onSignal?: () => void;
  /** Closes what the process opened after the server (store, run workers…). */
  readonly closeResources: () => Promise<void>;
}

export type Shutdown = (reason: string, exitCode?: number) => Promise<void>;

/**
 * SIGINT (pm2 stop/reload/restart, Ctrl-C), SIGTERM (systemd, containers) and PM2's
 * `shutdown` message (shutdown_with_message, used on Windows) all end here.
 */
export function installGracefulShutdown(options: ShutdownOptions): Shutdown {
  const { server, lifecycle, logger } = options;
  let started = false;

  const shutdown: Shutdown = async (reason, exitCode = 0) => {
    if (started) return;
    started = true;
    lifecycle.draining = true;
    options.onSignal?.();
    logger.info({ reason, drain_ms: options.drainMs }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ timeout_ms: options.timeoutMs }, 'shutdown deadline passed, exiting');
      process.exit(1);
    }, options.timeoutMs);
    deadline.unref();

    try {
      // Node ≥ 19 closes idle keep-alive sockets inside server.close(); clients that were about to
      // reuse one would see a reset. Serving with Connection: close first lets them move on cleanly.
      await sleep(options.drainMs);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await options.closeResources();
      logger.info({ exit_code: exitCode }, 'shutdown complete');
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      exitCode = exitCode || 1;
    }
    process.exit(exitCode);
  };

  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('message', (message: unknown) => {
    if (message === 'shutdown') void shutdown('shutdown message');
  });
  return shutdown;
}
