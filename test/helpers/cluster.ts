/**
 * Runs the real PM2 against a throw-away copy of the app: its own folder (so its own .env and
 * data), its own PM2_HOME, an ephemeral port. `destroy()` always kills that daemon.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PM2_BIN = path.join(REPO_ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
export const APP_NAME = 'sop-orchestrator';

/** Every live copy, so a crashed test run still kills its daemons on exit. */
const live = new Set<AppCopy>();
process.on('exit', () => {
  for (const copy of live) copy.destroySync();
});

export interface AppCopyOptions {
  /** Lines for the copy's .env; omit to write none. */
  readonly dotenv?: Record<string, string>;
  /** Also copy src/, tsconfig files and deploy/ (for `npm start` and the deploy scripts, which build). */
  readonly withSources?: boolean;
}

export interface Pm2Process {
  readonly pmId: number;
  readonly pid: number;
  readonly status: string;
  readonly instance: number;
  readonly restarts: number;
}

export class AppCopy {
  readonly pm2Home: string;
  /** Variables given to every pm2 command (and so to the instances at `pm2 start`). */
  env: Record<string, string>;

  private constructor(
    readonly root: string,
    readonly port: number,
  ) {
    this.pm2Home = path.join(root, '.pm2');
    this.env = { PORT: String(port), HOST: '127.0.0.1', INSTANCES: '2' };
    live.add(this);
  }

  static async create(options: AppCopyOptions = {}): Promise<AppCopy> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-app-'));
    const copy = new AppCopy(root, await freePort());
    for (const entry of ['package.json', 'ecosystem.config.js', 'dist', 'skills']) {
      const from = path.join(REPO_ROOT, entry);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(root, entry), { recursive: true });
    }
    if (options.withSources) {
      for (const entry of ['src', 'tsconfig.json', 'tsconfig.build.json', 'deploy']) {
        fs.cpSync(path.join(REPO_ROOT, entry), path.join(root, entry), { recursive: true });
      }
    }
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    if (options.dotenv) copy.writeDotenv(options.dotenv);
    return copy;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  writeDotenv(values: Record<string, string>): void {
    const text = Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n');
    fs.writeFileSync(path.join(this.root, '.env'), `${text}\n`, { mode: 0o600 });
  }

  /** A clean environment: nothing from the test runner's shell leaks into the instances. */
  processEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.root,
      PM2_HOME: this.pm2Home,
      ...this.env,
      ...extra,
    };
  }

  pm2(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 60_000): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, [PM2_BIN, ...args], {
      cwd: this.root,
      env: this.processEnv(extraEnv),
      encoding: 'utf8',
      timeout: timeoutMs,
    });
  }

  /** The same, without blocking the event loop (so a test can send traffic meanwhile). */
  pm2Async(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [PM2_BIN, ...args], { cwd: this.root, env: this.processEnv(extraEnv) });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  /** Runs a command of the app copy (npm scripts, sopctl) with the copy's environment. */
  run(command: string, args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 180_000): SpawnSyncReturns<string> {
    return spawnSync(command, args, { cwd: this.root, env: this.processEnv(extraEnv), encoding: 'utf8', timeout: timeoutMs });
  }

  sopctl(args: string[], options: { input?: string; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, [path.join(this.root, 'dist', 'cli', 'sopctl.js'), ...args], {
      cwd: this.root,
      env: this.processEnv(options.env),
      encoding: 'utf8',
      input: options.input ?? '',
      timeout: 60_000,
    });
  }

  /** `sopctl diagnose` against this copy's PM2 daemon (its PM2_HOME), as a user would run it. */
  diagnose(args: string[] = []): SpawnSyncReturns<string> {
    return this.sopctl(['diagnose', ...args]);
  }

  setup(): void {
    const result = this.sopctl(['setup']);
    if (result.status !== 0) throw new Error(`setup failed: ${result.stderr}`);
  }

  start(extraEnv: Record<string, string> = {}): SpawnSyncReturns<string> {
    const result = this.pm2(['start', 'ecosystem.config.js'], extraEnv);
    if (result.status !== 0) throw new Error(`pm2 start failed: ${result.stdout}\n${result.stderr}`);
    return result;
  }

  processes(): Pm2Process[] {
    const result = this.pm2(['jlist']);
    const list = JSON.parse(result.stdout || '[]') as Array<{
      pm_id: number;
      pid: number;
      name: string;
      pm2_env: { status: string; NODE_APP_INSTANCE?: number | string; restart_time: number };
    }>;
    return list
      .filter((p) => p.name === APP_NAME)
      .map((p) => ({
        pmId: p.pm_id,
        pid: p.pid,
        status: p.pm2_env.status,
        instance: Number(p.pm2_env.NODE_APP_INSTANCE ?? 0),
        restarts: p.pm2_env.restart_time,
      }));
  }

  /** `pm2 logs <app> --nostream --raw`: what a user sees afterwards. */
  logs(lines = 500): string {
    const result = this.pm2(['logs', APP_NAME, '--nostream', '--raw', '--lines', String(lines)]);
    return `${result.stdout}\n${result.stderr}`;
  }

  async waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- logs ---\n${this.logs(80)}`);
      await sleep(200);
    }
  }

  /** Kills this copy's daemon and checks that it is gone: the suite must leave no PM2 daemon running. */
  destroySync(): void {
    if (!live.has(this)) return;
    live.delete(this);
    const daemonPid = readPid(path.join(this.pm2Home, 'pm2.pid'));
    spawnSync(process.execPath, [PM2_BIN, 'kill'], { env: this.processEnv(), encoding: 'utf8', timeout: 30_000 });
    fs.rmSync(this.root, { recursive: true, force: true });
    if (daemonPid !== undefined && !exitsWithin(daemonPid, 5_000)) {
      process.kill(daemonPid, 'SIGKILL');
      throw new Error(`the PM2 daemon of ${this.root} (pid ${daemonPid}) survived \`pm2 kill\``);
    }
  }

  async destroy(): Promise<void> {
    this.destroySync();
  }
}

function readPid(file: string): number | undefined {
  const pid = Number(fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : NaN);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (blocking: it runs in exit handlers too) until `pid` is gone. */
function exitsWithin(pid: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  return true;
}

export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers: http.IncomingHttpHeaders;
}

export interface JsonRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly timeoutMs?: number;
}

/**
 * One request on a fresh connection (no keep-alive pool), so PM2's round robin spreads
 * sequential requests over the instances the way independent clients would.
 */
export function getJson(url: string, init: JsonRequest = {}): Promise<HttpResult> {
  const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: init.method ?? 'GET',
        agent: false,
        timeout: init.timeoutMs ?? 10_000,
        headers: { ...(payload !== undefined && { 'content-type': 'application/json' }), ...init.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${init.timeoutMs ?? 10_000} ms: ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}
