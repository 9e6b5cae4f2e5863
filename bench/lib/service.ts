import fs from 'node:fs';
import path from 'node:path';
import { ApiKeyService } from '../../src/auth/api-keys';
import { parseMasterKeys } from '../../src/config/master-keys';
import { CredentialService } from '../../src/credentials/credential-service';
import { CredentialVault } from '../../src/credentials/credential-vault';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store';
import { tempDir } from './processes';

export interface ProvisionedService {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly apiKey: string;
}

/**
 * A throw-away data folder for the service under test: its own SQLite file, a skill calling the
 * bench upstream with a bearer credential, an API key. The repo's own .env and data are untouched
 * (variables in the environment win over .env).
 */
export async function provisionService(upstreamUrl: string, port: number): Promise<ProvisionedService> {
  const dir = tempDir('sop-bench-');
  const masterKey = Buffer.alloc(32, 0x5a).toString('base64');
  fs.mkdirSync(path.join(dir, 'skills', 'BenchRepoInfo'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'skills', 'BenchRepoInfo', 'skill.md'),
    [
      '---',
      'name: BenchRepoInfo',
      'requires: [owner, repo]',
      'produces: [full_name, stars]',
      'executor: rest',
      'rest:',
      `  url: ${upstreamUrl}/repos/{owner}/{repo}`,
      '  credential_ref: github',
      '  response: { full_name: "$.full_name", stars: "$.stargazers_count" }',
      '---',
      '',
    ].join('\n'),
  );
  const store = openSqliteStore({ file: path.join(dir, 'sop.db') });
  const vault = new CredentialVault(parseMasterKeys(masterKey));
  await vault.verifyMasterKey(store.meta);
  const apiKey = (await new ApiKeyService(store).create('bench')).key;
  await new CredentialService(store, vault, 'bench').create('bench', { name: 'github', type: 'bearer', data: { token: 'bench-token' } }, { actor: 'bench', via: 'bench' });
  await store.close();
  return {
    dir,
    apiKey,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      CREDENTIAL_MASTER_KEY: masterKey,
      DATABASE_URL: `sqlite:${path.join(dir, 'sop.db')}`,
      SKILLS_DIR: path.join(dir, 'skills'),
      OUTBOUND_ALLOW: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'text',
    },
  };
}
