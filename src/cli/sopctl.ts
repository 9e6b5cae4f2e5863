#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { findAppRoot } from '../config/app-root';
import { ConfigError } from '../config/config';
import { loadCliConfig } from './cli-context';
import { ZodError } from 'zod';
import { describeZodError } from '../errors/error-handler';
import { credentialsCommand } from './credentials-commands';
import { keysCommand } from './keys-commands';
import { DEFAULT_APP_NAME, DEFAULT_DIAGNOSE_TIMEOUT_MS } from '../ops/diagnose';
import { runDiagnoseCommand } from './diagnose-command';
import { runSetup } from './setup';

/** Progress and diagnostics go to stderr; stdout carries only what a script should capture. */
const say = (line: string) => process.stderr.write(`${line}\n`);


const program = new Command()
  .name('sopctl')
  .description('Operate a sop-orchestrator installation (reads the same .env and store as the service)');

program
  .command('setup')
  .description('create .env with a master key if missing, the data folder and the store (idempotent)')
  .action(async () => {
    const result = await runSetup({ appRoot: findAppRoot(__dirname), say });
    if (result.bootstrapKey) {
      say(`bootstrap API key for user ${result.config.defaultUser.id} (admin), shown once - keep it:`);
      process.stdout.write(`${result.bootstrapKey}\n`);
    }
  });

program.addCommand(keysCommand());
program.addCommand(credentialsCommand());

program
  .command('welcome')
  .description('print how to call and verify the running service')
  .action(() => {
    const config = loadCliConfig();
    const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
    say(
      [
        '',
        `sop-orchestrator is starting on ${base}`,
        `  readiness:  curl ${base}/health/ready`,
        '  first skill (the API key printed by setup above, shown only once):',
        `    curl -s -X POST ${base}/skills/DemoGreeting/execute -H "Authorization: Bearer $SOP_API_KEY" \\`,
        `      -H 'content-type: application/json' -d '{"inputs":{"name":"Ada"}}'`,
        '  verify:     npm run logs   (each instance prints "AuthContext initialized for user: …" then "instance ready")',
        '  stop:       npm run stop',
        '',
      ].join('\n'),
    );
  });

program
  .command('diagnose')
  .description(
    'ask every PM2 instance of the app (over PM2 IPC, using the daemon of the current PM2_HOME) whether it is initialised; ' +
      'exit 0 only when all are, 1 when one is not (each is named with the reason), 2 when no PM2 daemon runs',
  )
  .option('--app <name>', 'PM2 app name', DEFAULT_APP_NAME)
  .option('--json', 'print the result as JSON on stdout', false)
  .option('--timeout <ms>', 'how long to wait for the answers', parseTimeout, DEFAULT_DIAGNOSE_TIMEOUT_MS)
  .action(async (options: { app: string; json: boolean; timeout: number }) => {
    process.exitCode = await runDiagnoseCommand(
      { app: options.app, json: options.json, timeoutMs: options.timeout },
      { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
    );
  });

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100 || ms > 60_000) throw new InvalidArgumentError('must be a whole number of milliseconds between 100 and 60000');
  return ms;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    say(`sopctl: invalid configuration:\n${error.problems.map((p) => `  ${p.variable} ${p.message}`).join('\n')}`);
  } else if (error instanceof ZodError) {
    say(`sopctl: ${describeZodError(error)}`);
  } else {
    say(`sopctl: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
});
