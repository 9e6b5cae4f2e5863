import { findAppRoot } from '../config/app-root';
import { loadConfig, type Config } from '../config/config';
import { loadEnvironment } from '../config/environment';
import { CredentialService } from '../credentials/credential-service';
import { CredentialVault } from '../credentials/credential-vault';
import { openStore } from '../store/open-store';
import type { Store } from '../store/store';

export interface CliContext {
  readonly config: Config;
  readonly store: Store;
  readonly vault: CredentialVault;
  readonly credentials: CredentialService;
}

/** The same .env, config and store as the service; the master key is checked the same way too. */
export async function withCliContext<T>(fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadCliConfig();
  const store = await openStore(config);
  try {
    const vault = new CredentialVault(config.masterKeys);
    await vault.verifyMasterKey(store.meta);
    const credentials = new CredentialService(store, vault, `cli:${config.instance}`);
    try {
      return await fn({ config, store, vault, credentials });
    } finally {
      await credentials.flushAudit();
    }
  } finally {
    await store.close();
  }
}

export function loadCliConfig(): Config {
  const appRoot = findAppRoot(__dirname);
  const environment = loadEnvironment(appRoot);
  return loadConfig(environment.values, appRoot, environment.envFile);
}
