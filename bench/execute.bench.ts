/**
 * POST /skills/BenchRepoInfo/execute (API key, credential lookup and decryption, templating,
 * upstream call, response mapping) versus a bare Express 5 handler making the same upstream call
 * with a fixed header. One instance each, same machine, same autocannon flags, alternating rounds.
 */
import path from 'node:path';
import { freePort } from '../test/helpers/ports';
import { compare, measure, summarise } from './lib/measure';
import { REPO_ROOT, startNode } from './lib/processes';
import { provisionService } from './lib/service';
import { benchSettings, type BenchReport } from './lib/settings';

export async function run(): Promise<BenchReport> {
  const { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS } = benchSettings();
  const [upstreamPort, servicePort, barePort] = [await freePort(), await freePort(), await freePort()];
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const upstream = await startNode(path.join(REPO_ROOT, 'bench/lib/upstream-server.js'), { PORT: String(upstreamPort) }, `${upstreamUrl}/repos/octo/hello`);
  const provisioned = await provisionService(upstreamUrl, servicePort);
  const service = await startNode(path.join(REPO_ROOT, 'dist/server.js'), provisioned.env, `http://127.0.0.1:${servicePort}/health/ready`, process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []);
  const bare = await startNode(path.join(REPO_ROOT, 'bench/lib/bare-express.js'), { PORT: String(barePort), UPSTREAM_URL: upstreamUrl }, `http://127.0.0.1:${barePort}/hello`);
  try {
    const body = JSON.stringify({ inputs: { owner: 'octo', repo: 'hello' } });
    const json = { 'content-type': 'application/json' };
    const result = await compare(
      'execute',
      ROUNDS,
      () => measure({ url: `http://127.0.0.1:${barePort}/execute`, method: 'POST', headers: json, body, connections: CONNECTIONS, durationSeconds: SECONDS }),
      () =>
        measure({
          url: `http://127.0.0.1:${servicePort}/skills/BenchRepoInfo/execute`,
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${provisioned.apiKey}` },
          body,
          connections: CONNECTIONS,
          durationSeconds: SECONDS,
        }),
    );
    return {
      title: `(b) skill execution (${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections, 1 process each, shared upstream process)`,
      rows: [
        ['bare Express 5 handler, same upstream call with a fixed header', summarise(result.baseline)],
        ['`POST /skills/BenchRepoInfo/execute` (API key, credential decrypt + audit, templating, mapping)', summarise(result.candidate)],
        ['**ratio execute ÷ bare**', `**${result.ratio.toFixed(2)}×** (target ≥ 0.70×)`],
      ],
    };
  } finally {
    await Promise.all([service.stop(), bare.stop(), upstream.stop()]);
  }
}

