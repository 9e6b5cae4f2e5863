import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DEPLOY = path.join(REPO_ROOT, 'deploy');

describe('deploy scripts', () => {
  test('When shellcheck reads every deploy/*.sh and .ci/run, then it finds nothing', () => {
    const scripts = [
      ...fs
        .readdirSync(DEPLOY)
        .filter((f) => f.endsWith('.sh'))
        .map((f) => path.join(DEPLOY, f)),
      path.join(REPO_ROOT, '.ci', 'run'),
    ];
    assert.ok(scripts.length >= 3, `the deploy scripts are there: ${scripts.join(', ')}`);
    const result = spawnSync('shellcheck', ['--shell=bash', ...scripts], { encoding: 'utf8' });
    assert.ok(!result.error, `shellcheck must be installed (apt-get install -y shellcheck; .ci/run does it): ${String(result.error)}`);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  describe('When start-production.sh runs with a Node.js that is too old', () => {
    let fakeBin: string;
    before(() => {
      fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-fake-node-'));
    });
    after(() => fs.rmSync(fakeBin, { recursive: true, force: true }));

    for (const version of ['18.20.4', '20.18.1', 'v-garbage']) {
      test(`(${version}) then it stops before installing anything and says which version is needed`, () => {
        fs.writeFileSync(path.join(fakeBin, 'node'), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
        const result = spawnSync('bash', [path.join(DEPLOY, 'start-production.sh')], {
          encoding: 'utf8',
          // The fake node comes first (and would also be what npm and pm2 run, so nothing real can start).
          env: { PATH: `${fakeBin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: fakeBin, PM2_HOME: path.join(fakeBin, '.pm2') },
          timeout: 30_000,
        });
        assert.equal(result.status, 1, result.stdout + result.stderr);
        const expected = version.startsWith('v-') ? /cannot read the Node\.js version/ : new RegExp(`Node\\.js ${version} is too old: install Node\\.js 20\\.19 or newer`);
        assert.match(result.stderr, expected);
        assert.doesNotMatch(result.stdout, /Installing dependencies/);
      });
    }
  });

  test('When setup-logrotate.sh gets an invalid size, then it refuses before touching PM2', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-logrotate-'));
    const result = spawnSync('bash', [path.join(DEPLOY, 'setup-logrotate.sh')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, PM2_HOME: path.join(home, '.pm2'), LOGROTATE_MAX_SIZE: 'ten megabytes' },
      timeout: 30_000,
    });
    fs.rmSync(home, { recursive: true, force: true });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /LOGROTATE_MAX_SIZE must look like 10M/);
    assert.doesNotMatch(result.stdout, /Installing pm2-logrotate/);
  });
});
