import { Command } from 'commander';
import type { AccessOrigin, CredentialService } from '../credentials/credential-service';
import { credentialTypeSchema, secretFieldsOf, type CredentialType } from '../credentials/credential-types';
import { withCliContext, type CliContext } from './cli-context';
import { readSecret } from './secret-input';

const say = (line: string) => process.stderr.write(`${line}\n`);
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const CLI: AccessOrigin = { actor: 'cli', via: 'cli' };

function collectField(value: string, previous: Record<string, string | number>): Record<string, string | number> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new Error(`--field takes key=value (got "${value}")`);
  const key = value.slice(0, eq);
  const raw = value.slice(eq + 1);
  return { ...previous, [key]: key === 'port' && /^\d+$/.test(raw) ? Number(raw) : raw };
}

function service(ctx: CliContext): CredentialService {
  return ctx.credentials;
}

interface SecretOptions {
  readonly secretStdin: boolean;
}

async function secretsFor(type: CredentialType, options: SecretOptions): Promise<Record<string, string>> {
  const [field] = secretFieldsOf(type);
  return field ? { [field]: await readSecret(`${type} ${field}`, options.secretStdin) } : {};
}

export function credentialsCommand(): Command {
  const credentials = new Command('credentials').description("a user's encrypted credentials (same store as the service)");
  const userOption = ['--user <id>', 'owner of the credential'] as const;

  credentials
    .command('add')
    .description('add a credential; the secret comes from a hidden prompt or --secret-stdin')
    .argument('<name>')
    .requiredOption(...userOption)
    .requiredOption('--type <type>', 'bearer | basic | header | query | database')
    .option('--field <key=value>', 'a non-secret field (username, header, param, dbType, host, port, database)', collectField, {})
    .option('--description <text>', 'what it is for', '')
    .option('--secret-stdin', 'read the secret from standard input', false)
    .action(async (name: string, options: { user: string; type: string; field: Record<string, string | number>; description: string } & SecretOptions) => {
      const type = credentialTypeSchema.parse(options.type);
      const data = { ...options.field, ...(await secretsFor(type, options)) };
      await withCliContext(async (ctx) => {
        print(await service(ctx).create(options.user, { name, type, description: options.description, data }, CLI));
      });
    });

  credentials
    .command('update')
    .description('change fields, description or (with --secret-stdin or --prompt-secret) the secret; every instance uses it at once')
    .argument('<name>')
    .requiredOption(...userOption)
    .option('--field <key=value>', 'a non-secret field to change', collectField, {})
    .option('--description <text>', 'new description')
    .option('--secret-stdin', 'read a new secret from standard input', false)
    .option('--prompt-secret', 'prompt for a new secret', false)
    .action(async (name: string, options: { user: string; field: Record<string, string | number>; description?: string; promptSecret: boolean } & SecretOptions) => {
      await withCliContext(async (ctx) => {
        const existing = await service(ctx).get(options.user, name);
        const type = credentialTypeSchema.parse(existing.type);
        const secret = options.secretStdin || options.promptSecret ? await secretsFor(type, options) : {};
        const patch = { ...(options.description !== undefined && { description: options.description }), data: { ...options.field, ...secret } };
        print(await service(ctx).update(options.user, name, patch, CLI));
      });
    });

  credentials
    .command('list')
    .description("list a user's credentials (metadata only)")
    .requiredOption(...userOption)
    .action(async (options: { user: string }) => {
      await withCliContext(async (ctx) => print(await service(ctx).list(options.user)));
    });

  credentials
    .command('delete')
    .argument('<name>')
    .requiredOption(...userOption)
    .action(async (name: string, options: { user: string }) => {
      await withCliContext(async (ctx) => {
        await service(ctx).delete(options.user, name, CLI);
        say(`deleted credential ${name} of user ${options.user}`);
      });
    });

  credentials
    .command('test')
    .description('check that a credential decrypts with the configured master key and has valid fields')
    .argument('<name>')
    .requiredOption(...userOption)
    .action(async (name: string, options: { user: string }) => {
      await withCliContext(async (ctx) => {
        const resolved = await service(ctx).resolve(options.user, name, { actor: 'cli', via: 'cli test' }, 'test');
        say(`ok: credential ${name} (${resolved.type}) of user ${options.user} decrypts and is complete`);
      });
    });

  credentials
    .command('show')
    .description('show a credential with its secret masked (--reveal prints it, and is audited)')
    .argument('<name>')
    .requiredOption(...userOption)
    .option('--reveal', 'print the secret value', false)
    .action(async (name: string, options: { user: string; reveal: boolean }) => {
      await withCliContext(async (ctx) => {
        const meta = await service(ctx).get(options.user, name);
        const secrets: Record<string, string> = {};
        if (options.reveal) {
          const resolved = await service(ctx).resolve(options.user, name, { actor: 'cli', via: 'cli show --reveal' }, 'reveal');
          for (const field of meta.secretFields) secrets[field] = String(resolved.data[field]);
        } else {
          for (const field of meta.secretFields) secrets[field] = '********';
        }
        print({ ...meta, secrets });
      });
    });

  credentials
    .command('rotate-key')
    .description('re-encrypt every credential with the first key of CREDENTIAL_MASTER_KEY')
    .action(async () => {
      await withCliContext(async (ctx) => {
        const { total, moved, failed } = await service(ctx).rotateKeys({ actor: 'cli', via: 'cli rotate-key' });
        say(`re-encrypted ${moved} of ${total} credentials with key "${ctx.vault.primaryKid}"`);
        for (const f of failed) say(`  not moved: ${f.owner}/${f.name}: ${f.reason}`);
        if (failed.length > 0) process.exitCode = 1;
      });
    });

  credentials
    .command('audit')
    .description('recent uses and changes of credentials')
    .option('--user <id>', 'only this owner')
    .option('--name <name>', 'only this credential')
    .option('--limit <n>', 'how many entries', (v) => Number.parseInt(v, 10), 50)
    .option('--json', 'JSON output', false)
    .action(async (options: { user?: string; name?: string; limit: number; json: boolean }) => {
      await withCliContext(async ({ store, credentials: pending }) => {
        await pending.flushAudit();
        const entries = await store.audit.list({
          ...(options.user !== undefined && { owner: options.user }),
          ...(options.name !== undefined && { credential: options.name }),
          limit: options.limit,
        });
        if (options.json) print(entries);
        else console.table(entries);
      });
    });

  return credentials;
}
