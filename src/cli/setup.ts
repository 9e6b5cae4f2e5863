import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config/config';
import { envFilePath, loadEnvironment, type Environment } from '../config/environment';
import { openStore } from '../store/open-store';

export interface SetupResult {
  readonly config: Config;
  readonly wroteEnvFile: boolean;
  readonly createdDataDir: boolean;
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
  const environment = loadEnvironment(appRoot, processEnv);
  const config = loadConfig(environment.values, appRoot, environment.envFile);

  const dataDir = path.dirname(config.database.file);
  const createdDataDir = !fs.existsSync(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (createdDataDir) say(`created data folder ${dataDir}`);

  const store = await openStore(config);
  try {
    say(`store ready: ${store.description}`);
  } finally {
    await store.close();
  }
  return { config, wroteEnvFile, createdDataDir };
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
