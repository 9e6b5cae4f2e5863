import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { AuthContext } from '../../src/auth/auth-context';
import { loadConfig, type Config } from '../../src/config/config';
import { CredentialVault } from '../../src/credentials/credential-vault';
import { createLifecycle, type Lifecycle } from '../../src/http/lifecycle';
import { createLogger, type Logger } from '../../src/logging/logger';
import { createServices, type Services } from '../../src/services';
import type { Skill } from '../../src/skills/skill-definition';
import { SkillRegistry } from '../../src/skills/skill-registry';
import { openStore } from '../../src/store/open-store';
import type { Store } from '../../src/store/store';
import { LogCapture } from './log-capture';

export const TEST_MASTER_KEY = Buffer.alloc(32, 1).toString('base64');

export interface AppFixture {
  readonly app: Express;
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  readonly logs: LogCapture;
  readonly lifecycle: Lifecycle;
  readonly dir: string;
  readonly vault: CredentialVault;
  readonly services: Services;
  /** A fresh API key for that user (created through the same service the CLI uses). */
  keyFor(userId: string, admin?: boolean): Promise<string>;
  close(): Promise<void>;
}

/** The real app on a real SQLite file in a temp folder; no socket (supertest drives it). */
export interface FixtureOptions {
  /** Skills to serve instead of loading SKILLS_DIR. */
  readonly skills?: readonly Skill[];
}

export async function createAppFixture(env: Record<string, string> = {}, options: FixtureOptions = {}): Promise<AppFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-it-'));
  fs.mkdirSync(path.join(dir, 'data'));
  const config = loadConfig({ CREDENTIAL_MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'debug', ...env }, dir);
  const logs = new LogCapture();
  const logger = createLogger({ level: config.log.level, format: config.log.format, instance: 0, destination: logs });
  AuthContext.initializeFromEnv(config);
  const store = await openStore(config);
  const vault = new CredentialVault(config.masterKeys);
  await vault.verifyMasterKey(store.meta);
  const lifecycle = createLifecycle();
  const registry = options.skills ? SkillRegistry.fromSkills(options.skills) : SkillRegistry.load(config.skillsDir);
  const services = createServices({ config, store, vault, registry, logger });
  const app = createApp({ config, version: '0.0.0-test', store, services, logger, lifecycle });
  const apiKeys = services.apiKeys;
  return {
    app,
    config,
    store,
    logger,
    logs,
    lifecycle,
    dir,
    vault,
    async keyFor(userId, admin = false) {
      return (await apiKeys.create(userId, { admin })).key;
    },
    services,
    async close() {
      await services.close();
      await store.close();
      AuthContext.reset();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
