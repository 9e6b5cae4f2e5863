/**
 * Where the execute route's CPU goes: CPU time per request of the service process (read from
 * /proc/<pid>/stat around a fixed number of requests, so the load generator sharing the cores
 * matters less than for requests per second), for the full call and with parts taken away, next
 * to the bare Express handler making the same upstream call. Linux only.
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../test/helpers/ports';
import { median } from './lib/measure';
import { REPO_ROOT, startNode } from './lib/processes';
import { provisionService } from './lib/service';
import { benchSettings, type BenchReport } from './lib/settings';

/** USER_HZ: /proc reports CPU time in ticks of 10 ms. */
const TICK_US = 10_000;
const CONNECTIONS = 10;

function cpuTicks(pid: number): number {
  // Fields after "pid (comm) ": state is index 0, utime index 11, stime index 12.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

async function cpuPerRequestUs(pid: number, spec: autocannon.Options, amount: number): Promise<number> {
  const before = cpuTicks(pid);
  const result = await autocannon({ ...spec, connections: CONNECTIONS, amount });
  if (result.non2xx + result.errors + result.timeouts > 0) {
    throw new Error(`${spec.url}: ${result.non2xx} non-2xx, ${result.errors + result.timeouts} errors`);
  }
  return ((cpuTicks(pid) - before) * TICK_US) / amount;
}

export async function run(): Promise<BenchReport> {
  const { rounds } = benchSettings();
  const amount = Number(process.env.BENCH_CPU_REQUESTS ?? 6000);
  const title = `(b′) CPU per execute request, decomposed (${rounds} rounds × ${amount} requests, ${CONNECTIONS} connections)`;
  if (process.platform !== 'linux') return { title, rows: [['skipped', 'needs /proc (Linux)']] };

  const [upstreamPort, servicePort, barePort] = [await freePort(), await freePort(), await freePort()];
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const upstream = await startNode(path.join(REPO_ROOT, 'bench/lib/upstream-server.js'), { PORT: String(upstreamPort) }, `${upstreamUrl}/repos/octo/hello`);
  const provisioned = await provisionService(upstreamUrl, servicePort);
  // The same skill without a credential, and anonymous callers allowed: the parts taken away.
  const skill = fs.readFileSync(path.join(provisioned.dir, 'skills', 'BenchRepoInfo', 'skill.md'), 'utf8');
  fs.mkdirSync(path.join(provisioned.dir, 'skills', 'BenchRepoPublic'));
  fs.writeFileSync(
    path.join(provisioned.dir, 'skills', 'BenchRepoPublic', 'skill.md'),
    skill.replace('name: BenchRepoInfo', 'name: BenchRepoPublic').replace('  credential_ref: github\n', ''),
  );
  const service = await startNode(
    path.join(REPO_ROOT, 'dist/server.js'),
    { ...provisioned.env, AUTH_ALLOW_ANONYMOUS: 'true' },
    `http://127.0.0.1:${servicePort}/health/ready`,
  );
  const bare = await startNode(path.join(REPO_ROOT, 'bench/lib/bare-express.js'), { PORT: String(barePort), UPSTREAM_URL: upstreamUrl }, `http://127.0.0.1:${barePort}/hello`);
  try {
    const body = JSON.stringify({ inputs: { owner: 'octo', repo: 'hello' } });
    const json = { 'content-type': 'application/json' };
    const withKey = { ...json, authorization: `Bearer ${provisioned.apiKey}` };
    const servicePid = service.child.pid ?? 0;
    const variants: Array<[string, number, autocannon.Options]> = [
      ['bare Express 5 handler, same upstream call', bare.child.pid ?? 0, { url: `http://127.0.0.1:${barePort}/execute`, method: 'POST', headers: json, body }],
      ['execute: API key + credential (resolve, decrypt, audit)', servicePid, { url: `http://127.0.0.1:${servicePort}/skills/BenchRepoInfo/execute`, method: 'POST', headers: withKey, body }],
      ['execute: API key, skill without credential', servicePid, { url: `http://127.0.0.1:${servicePort}/skills/BenchRepoPublic/execute`, method: 'POST', headers: withKey, body }],
      ['execute: anonymous, skill without credential', servicePid, { url: `http://127.0.0.1:${servicePort}/skills/BenchRepoPublic/execute`, method: 'POST', headers: json, body }],
    ];
    // Warm-up: JIT, the lazily loaded HTTP client, upstream connections.
    for (const [, pid, spec] of variants) await cpuPerRequestUs(pid, spec, 2000);
    const samples = variants.map((): number[] => []);
    for (let round = 0; round < rounds; round += 1) {
      for (const [index, [label, pid, spec]] of variants.entries()) {
        const us = await cpuPerRequestUs(pid, spec, amount);
        samples[index]?.push(us);
        process.stderr.write(`  cpu round ${round + 1}/${rounds}: ${label}: ${us.toFixed(0)} µs\n`);
      }
    }
    const medians = samples.map(median);
    const bareUs = medians[0] ?? 1;
    const rows = variants.map(([label], index): [string, string] => {
      const us = medians[index] ?? 0;
      return [label, index === 0 ? `${us.toFixed(0)} µs` : `${us.toFixed(0)} µs (bare ÷ this: ${(bareUs / us).toFixed(2)}×)`];
    });
    const [full = 0, keyOnly = 0, anonymous = 0] = medians.slice(1);
    rows.push(['credential resolve + audit (row 2 − row 3)', `${(full - keyOnly).toFixed(0)} µs`]);
    rows.push(['API key check (row 3 − row 4)', `${(keyOnly - anonymous).toFixed(0)} µs`]);
    rows.push(['the rest of the route over bare (row 4 − row 1)', `${(anonymous - bareUs).toFixed(0)} µs`]);
    return {
      title,
      rows,
      notes: ['CPU time of the serving process (all its threads, GC included), from /proc/<pid>/stat in 10 ms ticks.'],
    };
  } finally {
    await Promise.all([service.stop(), bare.stop(), upstream.stop()]);
  }
}
