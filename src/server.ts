/**
 * The entry module of every instance (PM2 runs dist/server.js once per instance).
 *
 * Each instance initialises itself, top to bottom, with nothing inherited from a parent process:
 *   load .env → validate config → AuthContext.initializeFromEnv() → open the store (and check the
 *   master key against it) → load the skills → build the services and the app → listen
 *   → start the run worker → log the verification lines → process.send('ready').
 * If any step fails the instance never listens and never sends ready: it writes one FATAL line
 * naming the problem and the fix, and exits non-zero (PM2 restarts it with back-off).
 */
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createApp } from './app';
import { AuthContext } from './auth/auth-context';
import { findAppRoot, readAppVersion } from './config/app-root';
import { ConfigError, loadConfig, type Config } from './config/config';
import { loadEnvironment } from './config/environment';
import { CredentialVault, MasterKeyMismatchError } from './credentials/credential-vault';
import { refuseConnect } from './http/connect';
import { createLifecycle } from './http/lifecycle';
import { createLogger } from './logging/logger';
import { createStatusCollector } from './ops/instance-status';
import { answerStatusRequests } from './ops/ipc-status';
import { createServiceMetrics } from './ops/metrics';
import { attachPm2Io } from './ops/pm2-io';
import { exitWithFatal } from './process/fatal';
import { installGracefulShutdown } from './process/graceful-shutdown';
import { createServices } from './services';
import { SkillRegistry } from './skills/skill-registry';
import { openStore } from './store/open-store';
import { StoreOpenError } from './store/store';

async function main(): Promise<void> {
  const appRoot = findAppRoot(__dirname);
  const version = readAppVersion(appRoot);
  const environment = loadEnvironment(appRoot);
  const config = loadConfig(environment.values, appRoot, environment.envFile);
  const logger = createLogger({ level: config.log.level, format: config.log.format, instance: config.instance });

  const user = AuthContext.initializeFromEnv(config);
  logger.info({ roles: user.roles.join(','), source: user.source }, `AuthContext initialized for user: ${user.userId}`);

  const store = await openStore(config);
  const vault = new CredentialVault(config.masterKeys);
  await vault.verifyMasterKey(store.meta);

  const registry = SkillRegistry.load(config.skillsDir);
  for (const problem of registry.problems) logger.error({ file: problem.file, reason: problem.reason }, 'invalid skill skipped');
  logger.info({ count: registry.size, dir: config.skillsDir }, 'skills loaded');
  // Counted by the skill service and the run worker; PM2 shows them through @pm2/io (below).
  const metrics = createServiceMetrics();
  const services = createServices({
    config,
    store,
    vault,
    registry,
    logger,
    metrics,
    onBackgroundError: (error, what) => logger.error({ err: error, what }, 'background write failed'),
  });

  // `npm run diagnose` asks every instance over PM2's IPC.
  const instanceStatus = createStatusCollector({ store, instance: config.instance, skillCount: () => registry.size, version });
  answerStatusRequests(instanceStatus, (error) => logger.warn({ err: error }, 'could not answer a status request'));
  const lifecycle = createLifecycle();
  let shutdown: ((reason: string, exitCode?: number) => Promise<void>) | undefined;
  const app = createApp({
    config,
    version,
    store,
    services,
    logger,
    lifecycle,
    onCatastrophic: (error) => void shutdown?.(`catastrophic error: ${error.detail}`, 1),
  });

  const server = await listen(app, config);
  shutdown = installGracefulShutdown({
    server,
    lifecycle,
    logger,
    drainMs: config.shutdown.drainMs,
    timeoutMs: config.shutdown.timeoutMs,
    onSignal: () => services.runWorker.beginDrain(),
    closeResources: async () => {
      await services.close();
      await store.close();
    },
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void shutdown?.('uncaught exception', 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    void shutdown?.('unhandled rejection', 1);
  });

  services.runWorker.start();
  logger.info({ port: config.port, startup_ms: Math.round(performance.now()) }, 'instance ready');
  process.send?.('ready');
  // After 'ready' so that its load time is not part of startup; only PM2 reads what it reports.
  if (config.pm2Id !== null) {
    setImmediate(() => attachPm2Io({ instance: config.instance, metrics, onError: (error) => logger.warn({ err: error }, '@pm2/io not attached') }));
  }
}

function listen(app: ReturnType<typeof createApp>, config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(config.port, config.host);
    server.on('connect', refuseConnect);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new ListenError(`PORT ${config.port} on HOST ${config.host} is already in use: stop the other process or set PORT to a free port`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new ListenError(`HOST ${config.host} is not an address of this machine: set HOST (e.g. 127.0.0.1 or 0.0.0.0)`));
      else reject(error);
    });
  });
}

class ListenError extends Error {}

/** One line (or one per bad variable) that says what is wrong and how to fix it. */
function describeStartupFailure(error: unknown): string {
  if (error instanceof ConfigError) {
    return ['invalid configuration, instance not started:', ...error.problems.map((p) => `  ${p.variable} ${p.message}`)].join('\n');
  }
  if (error instanceof StoreOpenError) return `store unavailable (DATABASE_URL): ${error.message}`;
  if (error instanceof ListenError || error instanceof MasterKeyMismatchError) return error.message;
  return `startup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

main().catch((error: unknown) => exitWithFatal(describeStartupFailure(error)));
