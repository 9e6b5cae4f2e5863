import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SkillRegistry } from '../../src/skills/skill-registry';
import { AppCopy, APP_NAME, getJson, REPO_ROOT } from '../helpers/cluster';

const MASTER_KEY = Buffer.alloc(32, 9).toString('base64');
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface JlistEntry {
  pm_id: number;
  pid: number;
  name: string;
  pm2_env: {
    status: string;
    NODE_ENV?: string;
    pm_err_log_path: string;
    pm_out_log_path: string;
    axm_actions?: Array<{ action_name: string }>;
    axm_monitor?: Record<string, { value: unknown }>;
  };
}

function jlist(app: AppCopy): JlistEntry[] {
  return (JSON.parse(app.pm2(['jlist']).stdout || '[]') as JlistEntry[]).filter((p) => p.name === APP_NAME);
}

function readyLines(logs: string): Array<{ pid: number; startupMs: number }> {
  return [...logs.matchAll(/instance ready\s+instance=\d+ pid=(\d+) port=\d+ startup_ms=(\d+)/g)].map((m) => ({ pid: Number(m[1]), startupMs: Number(m[2]) }));
}

async function startCluster(app: AppCopy): Promise<void> {
  app.setup();
  app.start();
  await app.waitFor('2 ready instances', () => {
    const online = app.processes().filter((p) => p.status === 'online');
    const ready = new Set(readyLines(app.logs()).map((l) => l.pid));
    return online.length === 2 && online.every((p) => ready.has(p.pid)) ? true : undefined;
  });
}

describe('When no PM2 daemon runs for PM2_HOME', () => {
  let app: AppCopy;
  before(async () => {
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: MASTER_KEY } });
  });
  after(() => app.destroy());

  test('then diagnose says so, exits 2 and does not start a daemon', () => {
    const result = app.diagnose();
    assert.equal(result.status, 2, result.stdout + result.stderr);
    assert.match(result.stderr, new RegExp(`FAIL no PM2 daemon is running for PM2_HOME=${app.pm2Home.replace(/[.]/g, '\\.')}`));
    assert.equal(fs.existsSync(path.join(app.pm2Home, 'pm2.pid')), false, 'no daemon pid file');
    assert.equal(fs.existsSync(path.join(app.pm2Home, 'rpc.sock')), false, 'no daemon socket');
  });
});

describe('When a 2-instance cluster runs under PM2', () => {
  let app: AppCopy;
  before(async () => {
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: MASTER_KEY } });
    await startCluster(app);
  });
  after(() => app.destroy());

  test('then diagnose lists both instances with user system as initialised and exits 0', (t) => {
    const processes = app.processes();
    const shippedSkills = SkillRegistry.load(path.join(app.root, 'skills')).size;
    assert.ok(shippedSkills > 0);
    const result = app.diagnose();
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const rows = result.stdout.split('\n').filter((line) => /initialised$/.test(line));
    assert.equal(rows.length, 2, result.stdout);
    for (const proc of processes) {
      assert.ok(
        rows.some((row) => new RegExp(`^${proc.pmId}\\s+${proc.instance}\\s+${proc.pid}\\s+online\\s+\\S+\\s+system\\s+\\S+\\s+ok\\s+${shippedSkills}\\s+${VERSION.replace(/\./g, '\\.')}\\s+initialised$`).test(row)),
        `a row for pm_id ${proc.pmId} pid ${proc.pid}:\n${result.stdout}`,
      );
    }
    assert.match(result.stderr, /^OK all 2 instances of sop-orchestrator are initialised/m);
    t.diagnostic(`startup_ms per instance: ${readyLines(app.logs()).map((l) => l.startupMs).join(', ')}`);
  });

  test('then `npm run diagnose -- --json` reports the same as JSON', () => {
    const result = app.run('npm', ['run', '--silent', 'diagnose', '--', '--json'], {}, 60_000);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const diagnosis = JSON.parse(result.stdout) as {
      ok: boolean;
      instances: Array<{ ok: boolean; pid: number; status: { auth: { userId: string; initializedAt: string }; version: string; store: string } }>;
    };
    assert.equal(diagnosis.ok, true);
    assert.deepEqual(diagnosis.instances.map((i) => i.pid).sort(), app.processes().map((p) => p.pid).sort());
    for (const instance of diagnosis.instances) {
      assert.equal(instance.status.auth.userId, 'system');
      assert.ok(!Number.isNaN(Date.parse(instance.status.auth.initializedAt)));
      assert.equal(instance.status.store, 'ok');
      assert.equal(instance.status.version, VERSION);
    }
  });

  test('then `pm2 trigger sop-orchestrator auth:status` gets one answer per instance', async () => {
    // @pm2/io is attached just after 'ready': wait until PM2 lists the action for both instances.
    await app.waitFor('auth:status registered', () =>
      jlist(app).every((p) => p.pm2_env.axm_actions?.some((a) => a.action_name === 'auth:status')) ? true : undefined,
    );
    const result = app.pm2(['trigger', APP_NAME, 'auth:status']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const answers = [...result.stdout.matchAll(/\[sop-orchestrator:(\d+):[^\]]*\]=(\{.*\})/g)].map((m) => ({
      pmId: Number(m[1]),
      answer: JSON.parse(m[2] ?? '{}') as { initialized: boolean; userId: string; pid: number; instance: number },
    }));
    const processes = app.processes();
    assert.deepEqual(answers.map((a) => a.pmId).sort(), processes.map((p) => p.pmId).sort(), result.stdout);
    for (const { pmId, answer } of answers) {
      const proc = processes.find((p) => p.pmId === pmId);
      assert.equal(answer.initialized, true);
      assert.equal(answer.userId, 'system');
      assert.equal(answer.pid, proc?.pid);
      assert.equal(answer.instance, proc?.instance);
    }
  });

  test('then pm2 show lists the service metrics of each instance', async () => {
    const names = ['Skill executions', 'Skill failures', 'Runs in progress'];
    await app.waitFor('metrics reported', () =>
      jlist(app).every((p) => names.every((n) => p.pm2_env.axm_monitor?.[n]?.value === 0)) ? true : undefined,
    );
    for (const proc of app.processes()) {
      const shown = app.pm2(['show', String(proc.pmId)]);
      for (const name of names) assert.match(shown.stdout, new RegExp(`${name}\\s*│\\s*0`), `pm2 show ${proc.pmId} lists ${name}`);
    }
  });

  test('then skill executions and failures are counted in the PM2 metrics', async () => {
    const key = app.sopctl(['keys', 'create', '--user', 'system']).stdout.trim();
    const execute = (skill: string, inputs: Record<string, unknown>) =>
      getJson(`${app.baseUrl}/skills/${skill}/execute`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: { inputs } });
    for (let i = 0; i < 4; i += 1) assert.equal((await execute('DemoGreeting', { name: `n${i}` })).status, 200);
    // No `github` credential for the system user: a failed execution (422).
    for (let i = 0; i < 2; i += 1) assert.equal((await execute('GitHubRepoInfo', { owner: 'o', repo: 'r' })).status, 422);
    const sum = (name: string) => jlist(app).reduce((n, p) => n + Number(p.pm2_env.axm_monitor?.[name]?.value ?? 0), 0);
    // DemoGreeting calls the service's own /demo/greeting, which is not a skill execution.
    await app.waitFor('metrics with the executions', () => (sum('Skill executions') === 6 && sum('Skill failures') === 2 ? true : undefined), 10_000);
  });

  test('then the instances write only their own log lines (no agent noise) and nothing to stderr', () => {
    for (const proc of jlist(app)) {
      assert.equal(fs.readFileSync(proc.pm2_env.pm_err_log_path, 'utf8'), '', `stderr of pm_id ${proc.pm_id} is empty`);
      const lines = fs.readFileSync(proc.pm2_env.pm_out_log_path, 'utf8').split('\n').filter((l) => l !== '');
      assert.ok(lines.length >= 2);
      for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}: .+  instance=\d+ pid=\d+/, `a log line of ours: ${line}`);
    }
  });

  test('then with one instance stopped diagnose exits 1 naming it, and that instance shut down gracefully', async () => {
    const [kept, victim] = app.processes().sort((a, b) => a.instance - b.instance);
    assert.ok(kept && victim);
    const stopped = app.pm2(['stop', String(victim.pmId)]);
    assert.equal(stopped.status, 0, stopped.stderr);

    const result = app.diagnose();
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stderr, new RegExp(`^FAIL sop-orchestrator instance ${victim.instance} \\(pm_id ${victim.pmId}\\): not running \\(PM2 status: stopped\\)$`, 'm'));
    assert.match(result.stderr, /^FAIL 1 of 2 instances of sop-orchestrator are initialised/m);
    assert.doesNotMatch(result.stderr, new RegExp(`instance ${kept.instance} \\(pm_id ${kept.pmId}`), 'the running instance is not blamed');
    assert.match(result.stdout, new RegExp(`^${kept.pmId}\\s+${kept.instance}\\s+${kept.pid}\\s+online\\b.*initialised$`, 'm'));
    assert.match(result.stdout, new RegExp(`^${victim.pmId}\\s+${victim.instance}\\s+-\\s+stopped\\b.*FAIL$`, 'm'));

    // @pm2/io is attached in every instance: the stop still went through the app's own drain and close.
    await app.waitFor('the clean shutdown line', () =>
      new RegExp(`shutdown complete\\s+instance=${victim.instance} pid=${victim.pid} exit_code=0`).test(app.logs()) ? true : undefined,
    );
  });
});

describe('When deploy/start-production.sh runs in a fresh copy (SKIP_INSTALL=1, node_modules provided)', () => {
  let app: AppCopy;
  let fakeBin: string;
  before(async () => {
    app = await AppCopy.create({ withSources: true });
    fs.rmSync(path.join(app.root, 'dist'), { recursive: true, force: true });
    // node_modules is a symlink to the repository's: an `npm ci` here would wipe it. A guard npm
    // refuses `ci` and passes everything else to the real npm.
    fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-guard-npm-'));
    const realNpm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(
      path.join(fakeBin, 'npm'),
      `#!/bin/sh\nif [ "$1" = ci ]; then echo "guard: npm ci refused in a test copy" >&2; exit 97; fi\nexec "${realNpm}" "$@"\n`,
      { mode: 0o755 },
    );
  });
  after(async () => {
    await app.destroy();
    fs.rmSync(fakeBin, { recursive: true, force: true });
  });

  const runScript = (extra: Record<string, string>) =>
    app.run('bash', [path.join(app.root, 'deploy', 'start-production.sh')], { PATH: `${fakeBin}:${process.env.PATH ?? ''}`, DIAGNOSE_WAIT_SECONDS: '60', ...extra }, 240_000);

  test('then it builds, sets up, starts the cluster in production, saves it and the diagnose check passes', () => {
    const result = runScript({ SKIP_INSTALL: '1' });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.status, 0, output);
    assert.match(result.stdout, /==> Installing dependencies\nskipped/);
    assert.ok(fs.existsSync(path.join(app.root, 'dist', 'server.js')), 'it built dist/');
    assert.match(fs.readFileSync(path.join(app.root, '.env'), 'utf8'), /^CREDENTIAL_MASTER_KEY=\S{44}$/m);
    assert.equal(result.stdout.split('\n').filter((l) => /\bsystem\b.*initialised$/.test(l)).length, 2, result.stdout);
    assert.match(result.stderr, /^OK all 2 instances of sop-orchestrator are initialised/m);
    assert.match(result.stdout, /npm run diagnose/, 'it prints how to verify');
    assert.ok(fs.existsSync(path.join(app.pm2Home, 'dump.pm2')), 'pm2 save wrote the process list');

    const processes = jlist(app);
    assert.equal(processes.length, 2);
    for (const proc of processes) assert.equal(proc.pm2_env.NODE_ENV, 'production');
    assert.equal(app.diagnose().status, 0);
  });

  test('then running it again with node_modules up to date skips npm ci by itself and reloads the instances', () => {
    const before = app.processes().map((p) => p.pid);
    // A lock file older than node_modules/.package-lock.json: "installed and up to date".
    const lock = path.join(app.root, 'package-lock.json');
    fs.copyFileSync(path.join(REPO_ROOT, 'package-lock.json'), lock);
    fs.utimesSync(lock, new Date(0), new Date(0));

    const result = runScript({});
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /==> Installing dependencies\nskipped/);
    const after = app.processes().map((p) => p.pid);
    assert.equal(after.length, 2);
    for (const pid of after) assert.ok(!before.includes(pid), `pid ${pid} is new: the instances were reloaded`);
    assert.match(result.stderr, /^OK all 2 instances of sop-orchestrator are initialised/m);
  });
});
