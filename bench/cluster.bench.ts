/**
 * Real PM2 cluster scenarios on a temp copy of the app (own PM2_HOME, ephemeral port):
 *   (c) 2 instances vs 1 instance, authenticated GET /skills, alternating rounds;
 *   (d) `pm2 reload` during sustained keep-alive load: failed requests (expected 0);
 *   (e) per instance, ms from process start to ready (the `startup_ms` of each "instance ready" line).
 */
import { AppCopy } from '../test/helpers/cluster';
import { compare, measure, median, summarise, type RunResult } from './lib/measure';
import { benchSettings, type BenchReport } from './lib/settings';

const RELOADS = 3;

function startupTimes(logs: string): number[] {
  return [...logs.matchAll(/instance ready\s+instance=\d+ pid=\d+ port=\d+ startup_ms=(\d+)/g)].map((m) => Number(m[1]));
}

export async function run(): Promise<BenchReport[]> {
  const { rounds, seconds, connections } = benchSettings();
  const app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: Buffer.alloc(32, 0x77).toString('base64') } });
  try {
    const setup = app.sopctl(['setup']);
    const key = setup.stdout.trim();
    app.start();
    const headers = { authorization: `Bearer ${key}` };
    const load = (durationSeconds: number) => measure({ url: `${app.baseUrl}/skills`, headers, connections, durationSeconds });
    const scale = async (n: number) => {
      app.pm2(['scale', 'sop-orchestrator', String(n)]);
      await app.waitFor(`${n} online`, () => (app.processes().filter((p) => p.status === 'online').length === n ? true : undefined));
    };

    await scale(2);
    const cluster = await compare(
      'cluster',
      rounds,
      async () => {
        await scale(1);
        return load(seconds);
      },
      async () => {
        await scale(2);
        return load(seconds);
      },
    );

    await scale(2);
    const reloads: RunResult[] = [];
    for (let i = 0; i < RELOADS; i += 1) {
      const running = load(12);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const reloaded = await app.pm2Async(['reload', 'sop-orchestrator']);
      if (reloaded.code !== 0) throw new Error(`reload failed: ${reloaded.output}`);
      reloads.push(await running);
      process.stderr.write(`  reload ${i + 1}/${RELOADS}: ${reloads.at(-1)!.total} requests, ${reloads.at(-1)!.non2xx + reloads.at(-1)!.errors} failed\n`);
    }

    const startups = startupTimes(app.logs(10_000));
    return [
      {
        title: `(c) 2 instances vs 1 on this 2-core machine (${rounds} rounds × ${seconds} s, ${connections} connections, authenticated GET /skills)`,
        rows: [
          ['1 instance', summarise(cluster.baseline)],
          ['2 instances', summarise(cluster.candidate)],
          ['**ratio 2 ÷ 1**', `**${cluster.ratio.toFixed(2)}×**`],
        ],
        notes: ['autocannon runs on the same two cores, so the second instance competes with the load generator.'],
      },
      {
        title: `(d) \`pm2 reload\` under sustained keep-alive load (${connections} connections, 12 s each, reload at 2 s)`,
        rows: [
          ...reloads.map((r, i) => [`reload ${i + 1}`, `${r.total} requests, ${r.non2xx + r.errors} failed (${r.non2xx} non-2xx, ${r.errors} errors/timeouts)`] as const),
          ['**total**', `**${reloads.reduce((n, r) => n + r.total, 0)} requests, ${reloads.reduce((n, r) => n + r.non2xx + r.errors, 0)} failed** (target 0 in ≥ 5,000)`],
        ],
      },
      {
        title: `(e) process start → ready, per instance (${startups.length} starts: initial, scaling and ${RELOADS} reloads)`,
        rows: [
          ['median', `${median(startups)} ms`],
          ['max', `${Math.max(...startups)} ms`],
          ['all', startups.join(', ')],
          ['target', '≤ 300 ms'],
        ],
      },
    ];
  } finally {
    await app.destroy();
  }
}
