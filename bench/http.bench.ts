/**
 * (a) GET /health/ready with an API key, and GET /skills (authenticated, JSON catalogue), versus
 * a bare Express 5 hello-world. One process each, same autocannon flags, alternating rounds.
 */
import path from 'node:path';
import { freePort } from '../test/helpers/ports';
import { compare, measure, summarise } from './lib/measure';
import { REPO_ROOT, startNode } from './lib/processes';
import { provisionService } from './lib/service';
import { benchSettings, type BenchReport } from './lib/settings';

export async function run(): Promise<BenchReport> {
  const { rounds, seconds, connections } = benchSettings();
  const [servicePort, barePort] = [await freePort(), await freePort()];
  const provisioned = await provisionService('http://127.0.0.1:9', servicePort);
  const service = await startNode(path.join(REPO_ROOT, 'dist/server.js'), provisioned.env, `http://127.0.0.1:${servicePort}/health/ready`);
  const bare = await startNode(path.join(REPO_ROOT, 'bench/lib/bare-express.js'), { PORT: String(barePort), UPSTREAM_URL: 'http://127.0.0.1:9' }, `http://127.0.0.1:${barePort}/hello`);
  const auth = { authorization: `Bearer ${provisioned.apiKey}` };
  try {
    const hello = () => measure({ url: `http://127.0.0.1:${barePort}/hello`, connections, durationSeconds: seconds });
    const ready = await compare('health/ready', rounds, hello, () =>
      measure({ url: `http://127.0.0.1:${servicePort}/health/ready`, headers: auth, connections, durationSeconds: seconds }),
    );
    const skills = await compare('skills', rounds, hello, () =>
      measure({ url: `http://127.0.0.1:${servicePort}/skills`, headers: auth, connections, durationSeconds: seconds }),
    );
    return {
      title: `(a) HTTP overhead (${rounds} rounds × ${seconds} s, ${connections} connections, 1 process each)`,
      rows: [
        ['bare Express 5 `GET /hello`', summarise(ready.baseline)],
        ['`GET /health/ready` with API key', summarise(ready.candidate)],
        ['**ratio /health/ready ÷ bare hello**', `**${ready.ratio.toFixed(2)}×** (target ≥ 0.80×)`],
        ['`GET /skills` (API key checked, catalogue JSON)', summarise(skills.candidate)],
        ['ratio /skills ÷ bare hello (same run)', `${skills.ratio.toFixed(2)}×`],
      ],
    };
  } finally {
    await Promise.all([service.stop(), bare.stop()]);
  }
}
