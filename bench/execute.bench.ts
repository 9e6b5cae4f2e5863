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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

async function main(): Promise<void> {
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
    console.log(`\n## execute (${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections)\n`);
    console.log(`| | median of ${ROUNDS} |\n|---|---|`);
    console.log(`| bare Express + undici upstream call | ${summarise(result.baseline)} |`);
    console.log(`| POST /skills/BenchRepoInfo/execute | ${summarise(result.candidate)} |`);
    console.log(`| **ratio (service / bare)** | **${result.ratio.toFixed(2)}×** (target ≥ 0.70×) |`);
  } finally {
    await Promise.all([service.stop(), bare.stop(), upstream.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
