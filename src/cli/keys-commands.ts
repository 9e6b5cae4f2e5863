import { Command } from 'commander';
import { ApiKeyService } from '../auth/api-keys';
import { withCliContext } from './cli-context';

const say = (line: string) => process.stderr.write(`${line}\n`);

export function keysCommand(): Command {
  const keys = new Command('keys').description('API keys that callers send as Authorization: Bearer or X-API-Key');

  keys
    .command('create')
    .description('create a key; prints only the key on stdout (shown once, only its hash is stored)')
    .requiredOption('--user <id>', 'user the key authenticates as')
    .option('--admin', 'grant the admin role (may act for other users with ?user=)', false)
    .option('--label <text>', 'a note to recognise the key by', '')
    .action(async (options: { user: string; admin: boolean; label: string }) => {
      await withCliContext(async ({ store }) => {
        const created = await new ApiKeyService(store).create(options.user, { admin: options.admin, label: options.label });
        say(`created ${created.id} for user ${options.user}${options.admin ? ' (admin)' : ''}; store the key now, it is not shown again`);
        process.stdout.write(`${created.key}\n`);
      });
    });

  keys
    .command('list')
    .description('list keys (ids and prefixes, never the keys)')
    .option('--user <id>', 'only this user')
    .option('--json', 'JSON output', false)
    .action(async (options: { user?: string; json: boolean }) => {
      await withCliContext(async ({ store }) => {
        const records = await new ApiKeyService(store).list(options.user);
        const rows = records.map(({ keyHash: _hash, ...rest }) => rest);
        if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else console.table(rows.map((r) => ({ ...r, roles: r.roles.join(',') })));
      });
    });

  keys
    .command('revoke')
    .description('revoke a key by id; every instance rejects it from the next request')
    .argument('<id>', 'key id, e.g. key_0123abcd…')
    .action(async (id: string) => {
      await withCliContext(async ({ store }) => {
        if (!(await new ApiKeyService(store).revoke(id))) throw new Error(`no active key with id ${id}`);
        say(`revoked ${id}`);
      });
    });

  return keys;
}
