import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppCopy, getJson, type HttpResult } from '../helpers/cluster';
import { sendJson, Upstream } from '../helpers/upstream';

const MASTER_KEY = Buffer.alloc(32, 0x44).toString('base64');

interface RunBody {
  id: string;
  status: string;
  error: string | null;
  takeovers: number;
  steps: Array<{ status: string; instance: string | null; attempts: number }>;
}

function writeSkill(app: AppCopy, name: string, lines: string[]): void {
  const dir = path.join(app.root, 'skills', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'skill.md'), ['---', `name: ${name}`, 'executor: rest', ...lines, '---', ''].join('\n'));
}

describe('When runs execute on a 2-instance cluster', () => {
  let app: AppCopy;
  let upstream: Upstream;
  let key: string;
  const call = (method: string, route: string, body?: unknown): Promise<HttpResult> =>
    getJson(`${app.baseUrl}${route}`, { method, headers: { Authorization: `Bearer ${key}` }, body });
  const getRun = async (id: string) => (await call('GET', `/runs/${id}`)).body as RunBody;
  const postRun = async (steps: string[], data: Record<string, unknown> = {}) => {
    const res = await call('POST', '/runs', { steps, initial_data: data });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return (res.body as { id: string }).id;
  };
  const waitAll = async (ids: string[], done: (run: RunBody) => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const runs = await Promise.all(ids.map(getRun));
      if (runs.every(done)) return runs;
      if (Date.now() > deadline) assert.fail(`timed out; states: ${runs.map((r) => r.status).join(',')}`);
      await sleep(200);
    }
  };
  const terminal = (run: RunBody) => !['queued', 'running'].includes(run.status);

  before(async () => {
    upstream = await Upstream.start((req, res) => {
      const url = new URL(req.url, 'http://x');
      const delay = Number(url.searchParams.get('ms') ?? 0);
      setTimeout(() => {
        if (!res.destroyed) sendJson(res, 200, { ok: true, at: Date.now() });
      }, delay);
    });
    app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: MASTER_KEY, OUTBOUND_ALLOW: '127.0.0.1' } });
    writeSkill(app, 'Quick', ['requires: [label]', 'produces: [ok]', 'rest:', `  url: ${upstream.url}/quick?ms=50&l={label}`]);
    writeSkill(app, 'Hang', ['produces: [ok]', 'rest:', `  url: ${upstream.url}/hang?ms=60000`, '  timeout: 120']);
    writeSkill(app, 'Second', ['produces: [ok]', 'rest:', `  url: ${upstream.url}/second?ms=1000`]);
    writeSkill(app, 'Long', ['produces: [ok]', 'rest:', `  url: ${upstream.url}/long?ms=4000`, '  timeout: 30']);
    app.setup();
    key = app.sopctl(['keys', 'create', '--user', 'ops']).stdout.trim();
    app.start();
    await app.waitFor('2 online instances', () => (app.processes().filter((p) => p.status === 'online').length === 2 ? true : undefined));
  });
  after(async () => {
    await app.destroy();
    await upstream.close();
  });

  test('then 10 runs cancelled with separate requests all end cancelled within 2 s, their calls aborted, and never complete', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) ids.push(await postRun(['Quick', 'Hang', 'Quick'], { label: `r${i}` }));
    await waitAll(ids, (run) => run.steps[1]?.status === 'running', 15_000);
    const hangs = () => upstream.requests.filter((r) => r.url.startsWith('/hang')).length;
    for (const deadline = Date.now() + 5000; hangs() < 10 && Date.now() < deadline; ) await sleep(50);
    assert.equal(hangs(), 10);
    const executing = new Set((await Promise.all(ids.map(getRun))).map((run) => run.steps[1]?.instance));
    assert.equal(executing.size, 2, 'both instances execute runs');

    const abortedBefore = upstream.abortedRequests;
    const latencies: number[] = [];
    await Promise.all(
      ids.map(async (id) => {
        const started = Date.now();
        const res = await call('POST', `/runs/${id}/cancel`);
        assert.equal(res.status, 200);
        const deadline = started + 2000;
        for (;;) {
          const run = await getRun(id);
          if (run.status === 'cancelled') break;
          assert.ok(Date.now() < deadline, `run ${id} not cancelled within 2 s`);
          await sleep(50);
        }
        latencies.push(Date.now() - started);
      }),
    );
    // The executing instances noticed the cancel and aborted their in-flight calls.
    const deadline = Date.now() + 2000;
    while (upstream.abortedRequests - abortedBefore < 10 && Date.now() < deadline) await sleep(50);
    assert.equal(upstream.abortedRequests - abortedBefore, 10, 'the upstream saw 10 aborted connections');

    await sleep(1500);
    for (const run of await Promise.all(ids.map(getRun))) {
      assert.equal(run.status, 'cancelled', 'a cancel is never overwritten');
      assert.equal(run.steps[2]?.status, 'cancelled', 'the last step never ran');
    }
    assert.ok(Math.max(...latencies) < 2000);
  });

  test('then `pm2 reload` during 10 runs leaves every run completed (or failed as documented), none running or queued', async () => {
    const ids: string[] = [];
    // 8 one-second steps outlast the drain window (RUNS_DRAIN_MS, 5 s): runs are handed back mid-way.
    for (let i = 0; i < 10; i += 1) ids.push(await postRun(Array(8).fill('Second')));
    await waitAll(ids, (run) => run.status === 'running', 15_000);
    // Async: the upstream lives in this process and must keep answering during the reload.
    const reload = await app.pm2Async(['reload', 'sop-orchestrator']);
    assert.equal(reload.code, 0, reload.output);
    const runs = await waitAll(ids, terminal, 60_000);
    for (const run of runs) {
      assert.ok(run.status === 'completed' || (run.status === 'failed' && run.error?.startsWith('instance lost')), `${run.id}: ${run.status} ${run.error}`);
    }
    assert.equal(runs.filter((r) => r.status === 'completed').length, 10, 'GET steps are safe to repeat, so all complete');
    assert.ok(runs.some((r) => r.steps.some((s) => s.attempts > 1)), 'some runs were handed back and resumed by a new instance');
  });

  test('then SIGKILL of the instance executing a run gets the run resumed by another instance within the lease time', async () => {
    const id = await postRun(['Quick', 'Long', 'Quick'], { label: 'kill' });
    const executing = await waitAll([id], (run) => run.steps[1]?.status === 'running', 15_000);
    const instance = Number(executing[0]?.steps[1]?.instance);
    const victim = app.processes().find((p) => p.instance === instance);
    assert.ok(victim, `instance ${instance} is a PM2 process`);
    process.kill(victim.pid, 'SIGKILL');
    const killedAt = Date.now();
    // Lease 5 s (RUNS_LEASE_MS) + one poll: the Long step is started again elsewhere.
    const resumed = await waitAll([id], (run) => (run.steps[1]?.attempts ?? 0) >= 2 || terminal(run), 15_000);
    const resumedAfter = Date.now() - killedAt;
    assert.ok(resumedAfter <= 5000 + 2000, `resumed ${resumedAfter} ms after the kill`);
    assert.ok((resumed[0]?.takeovers ?? 0) >= 1, 'recorded as a takeover');
    const [done] = await waitAll([id], terminal, 20_000);
    assert.equal(done?.status, 'completed', `${done?.status}: ${done?.error}`);
    assert.deepEqual(done?.steps.map((s) => s.status), ['completed', 'completed', 'completed']);
  });
});
