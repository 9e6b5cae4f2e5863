#!/usr/bin/env node
import { Command } from 'commander';
import { findAppRoot } from '../config/app-root';
import { ConfigError, loadConfig } from '../config/config';
import { loadEnvironment } from '../config/environment';
import { runSetup } from './setup';

/** Progress and diagnostics go to stderr; stdout carries only what a script should capture. */
const say = (line: string) => process.stderr.write(`${line}\n`);

function appConfig() {
  const appRoot = findAppRoot(__dirname);
  const environment = loadEnvironment(appRoot);
  return loadConfig(environment.values, appRoot, environment.envFile);
}

const program = new Command()
  .name('sopctl')
  .description('Operate a sop-orchestrator installation (reads the same .env and store as the service)');

program
  .command('setup')
  .description('create .env with a master key if missing, the data folder and the store (idempotent)')
  .action(async () => {
    await runSetup({ appRoot: findAppRoot(__dirname), say });
  });

program
  .command('welcome')
  .description('print how to call and verify the running service')
  .action(() => {
    const config = appConfig();
    const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
    say(
      [
        '',
        `sop-orchestrator is starting on ${base}`,
        `  readiness:  curl ${base}/health/ready`,
        '  verify:     npm run logs   (each instance prints "AuthContext initialized for user: …" then "instance ready")',
        '  stop:       npm run stop',
        '',
      ].join('\n'),
    );
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    say(`sopctl: invalid configuration:\n${error.problems.map((p) => `  ${p.variable} ${p.message}`).join('\n')}`);
  } else {
    say(`sopctl: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
});
