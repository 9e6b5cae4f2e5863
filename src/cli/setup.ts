import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config/config';
import { envFilePath, loadEnvironment, type Environment } from '../config/environment';
import { ApiKeyService } from '../auth/api-keys';
import { CredentialService } from '../credentials/credential-service';
import { DEMO_CREDENTIAL } from '../credentials/credential-types';
import { CredentialVault } from '../credentials/credential-vault';
import { openStore } from '../store/open-store';
import type { Store } from '../store/store';

export interface SetupResult {
  readonly config: Config;
  readonly wroteEnvFile: boolean;
  readonly createdDataDir: boolean;
  /** The bootstrap API key, only the first time (it is never shown again). */
  readonly bootstrapKey: string | undefined;
}

export interface SetupOptions {
  readonly appRoot: string;
  readonly processEnv?: Environment;
  /** Progress messages (stderr in the CLI, so stdout stays for values a script captures). */
  readonly say: (line: string) => void;
}

/**
 * Run once before any instance starts (`npm start` does it): every instance then reads the same
 * key from the same `.env`. Idempotent: an existing key is never replaced.
 */
export async function runSetup({ appRoot, processEnv = process.env, say }: SetupOptions): Promise<SetupResult> {
  const wroteEnvFile = ensureMasterKey(appRoot, processEnv, say);
  ensureEnvSecret(appRoot, processEnv, 'CALLBACK_SIGNING_SECRET', say);
  const environment = loadEnvironment(appRoot, processEnv);
  const config = loadConfig(environment.values, appRoot, environment.envFile);

  const dataDir = path.dirname(config.database.file);
  const createdDataDir = !fs.existsSync(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (createdDataDir) say(`created data folder ${dataDir}`);

  const store = await openStore(config);
  try {
    say(`store ready: ${store.description}`);
    const vault = new CredentialVault(config.masterKeys);
    await vault.verifyMasterKey(store.meta);
    const bootstrapKey = await ensureBootstrapKey(store, config.defaultUser.id);
    if (bootstrapKey) say(`created the bootstrap API key for user ${config.defaultUser.id}`);
    if (await ensureDemoCredential(store, vault, config)) say(`created the demo credential "${DEMO_CREDENTIAL}" for user ${config.defaultUser.id}`);
    return { config, wroteEnvFile, createdDataDir, bootstrapKey };
  } finally {
    await store.close();
  }
}

const BOOTSTRAP_MARKER = 'bootstrap_api_key_id';

/** Once per store: the first key for the system user, so the README's first curl works. */
async function ensureBootstrapKey(store: Store, userId: string): Promise<string | undefined> {
  if ((await store.meta.get(BOOTSTRAP_MARKER)) !== undefined) return undefined;
  const created = await new ApiKeyService(store).create(userId, { admin: true, label: 'bootstrap (sopctl setup)' });
  const winner = await store.meta.setIfAbsent(BOOTSTRAP_MARKER, created.id);
  if (winner !== created.id) {
    // Another setup ran at the same moment and printed its key: keep only one.
    await store.apiKeys.revoke(created.id, new Date().toISOString());
    return undefined;
  }
  return created.key;
}

async function ensureDemoCredential(store: Store, vault: CredentialVault, config: Config): Promise<boolean> {
  const owner = config.defaultUser.id;
  if (await store.credentials.get(owner, DEMO_CREDENTIAL)) return false;
  const credentials = new CredentialService(store, vault, 'setup');
  await credentials.create(
    owner,
    {
      name: DEMO_CREDENTIAL,
      type: 'bearer',
      description: 'offline demo: the token the built-in demo endpoint expects (created by sopctl setup)',
      data: { token: `demo_${randomBytes(24).toString('base64url')}` },
    },
    { actor: 'setup', via: 'cli setup' },
  );
  await credentials.flushAudit();
  return true;
}

/** Appends `NAME=<random>` to .env unless the environment or .env already set it. */
function ensureEnvSecret(appRoot: string, processEnv: Environment, name: string, say: (line: string) => void): void {
  if (processEnv[name]?.trim() || loadEnvironment(appRoot, {}).values[name]?.trim()) return;
  const file = envFilePath(appRoot);
  const content = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  fs.appendFileSync(file, `${content.endsWith('\n') || content === '' ? '' : '\n'}${name}=${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  say(`added a new ${name} to ${file}`);
}

export function generateMasterKey(): string {
  return randomBytes(32).toString('base64');
}

function ensureMasterKey(appRoot: string, processEnv: Environment, say: (line: string) => void): boolean {
  if (processEnv.CREDENTIAL_MASTER_KEY?.trim()) {
    say('CREDENTIAL_MASTER_KEY comes from the environment; .env left as it is');
    return false;
  }
  const file = envFilePath(appRoot);
  const line = `CREDENTIAL_MASTER_KEY=${generateMasterKey()}\n`;
  const header =
    '# Written by `sopctl setup`. Every instance reads this file at start; the real environment wins.\n' +
    '# Keep CREDENTIAL_MASTER_KEY secret and backed up: credentials cannot be decrypted without it.\n';
  try {
    // 'wx' fails if the file exists, so two setups racing never write two different keys.
    fs.writeFileSync(file, header + line, { flag: 'wx', mode: 0o600 });
    say(`wrote ${file} with a new CREDENTIAL_MASTER_KEY`);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const existing = loadEnvironment(appRoot, {}).values.CREDENTIAL_MASTER_KEY;
  if (existing?.trim()) {
    say(`${file} already has CREDENTIAL_MASTER_KEY; kept`);
    return false;
  }
  const content = fs.readFileSync(file, 'utf8');
  fs.appendFileSync(file, (content.endsWith('\n') || content === '' ? '' : '\n') + line);
  say(`added a new CREDENTIAL_MASTER_KEY to ${file}`);
  return true;
}
