import { ApiKeyService } from './auth/api-keys';
import type { Config } from './config/config';
import { CredentialService } from './credentials/credential-service';
import type { CredentialVault } from './credentials/credential-vault';
import type { Logger } from './logging/logger';
import type { ServiceMetrics } from './ops/metrics';
import { CallbackSender } from './runs/callback-sender';
import { RunService } from './runs/run-service';
import { RunWorker } from './runs/run-worker';
import { OutboundPolicy } from './skills/outbound-policy';
import { RestExecutor } from './skills/rest-executor';
import type { SkillRegistry } from './skills/skill-registry';
import { SkillService, type SkillMetrics } from './skills/skill-service';
import type { Store } from './store/store';

export interface Services {
  readonly apiKeys: ApiKeyService;
  readonly credentials: CredentialService;
  readonly skills: SkillService;
  readonly runs: RunService;
  /** Executes runs on this instance; started by the process once it is ready. */
  readonly runWorker: RunWorker;
  /** Closes pooled connections (upstream keep-alive sockets). */
  close(): Promise<void>;
}

export interface ServiceDeps {
  readonly config: Config;
  readonly store: Store;
  readonly vault: CredentialVault;
  readonly registry: SkillRegistry;
  readonly logger: Logger;
  /** Counters shown by PM2 (`pm2 show`, `pm2 monit`). */
  readonly metrics?: ServiceMetrics;
  /** Where failures of background writes (the audit batch) are reported. */
  readonly onBackgroundError?: (error: unknown, what: string) => void;
}

/** The service's own base URL, as skills see it in `{service.url}`. */
export function selfAddress(config: Pick<Config, 'host' | 'port'>): { address: string; url: string } {
  const address = config.host === '0.0.0.0' || config.host === '::' || config.host === 'localhost' ? '127.0.0.1' : config.host;
  return { address, url: `http://${address.includes(':') ? `[${address}]` : address}:${config.port}` };
}

/** Wires the use cases once per process; everything is injected, nothing is a module singleton. */
export function createServices({ config, store, vault, registry, logger, metrics, onBackgroundError }: ServiceDeps): Services {
  const apiKeys = new ApiKeyService(store);
  const credentials = new CredentialService(store, vault, String(config.instance), (error, lost) =>
    onBackgroundError?.(error, `credential audit write (${lost} entries)`),
  );
  const self = selfAddress(config);
  const policy = new OutboundPolicy(config.outboundAllow, { address: self.address, port: config.port });
  const rest = new RestExecutor({ credentials, policy, serviceUrl: self.url });
  const skillMetrics: SkillMetrics | undefined = metrics && {
    skillExecuted(_skill, ok) {
      metrics.skillExecutions.inc();
      if (!ok) metrics.skillFailures.inc();
    },
  };
  const skills = new SkillService(registry, [rest], config.instance, skillMetrics);
  const { signingSecret } = config.callbacks;
  const callbacks = signingSecret
    ? new CallbackSender({ store, secret: signingSecret, policy, maxAttempts: config.callbacks.maxAttempts, backoffMs: config.callbacks.backoffMs, logger })
    : undefined;
  const runWorker = new RunWorker({
    store,
    skills,
    limits: config.runs,
    instance: config.instance,
    logger,
    ...(callbacks && { callbacks }),
    ...(metrics && { runsInProgress: metrics.runsInProgress }),
  });
  const runs = new RunService(store, skills, config.runs, callbacks !== undefined, () => runWorker.kick());
  return {
    apiKeys,
    credentials,
    skills,
    runs,
    runWorker,
    async close() {
      await runWorker.stop();
      await credentials.flushAudit();
      await rest.close();
      await callbacks?.close();
    },
  };
}
