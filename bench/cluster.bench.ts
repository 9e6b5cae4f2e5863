/**
 * Real PM2 cluster scenarios on a temp copy of the app (own PM2_HOME, ephemeral port):
 *   (c) 2 instances vs 1 instance, authenticated GET /skills, alternating rounds;
 *   (d) `pm2 reload` during sustained keep-alive load: failed requests (expected 0);
 *   (e) per instance, ms from process start to ready (the `startup_ms` of each "instance ready" line),
 *       on a quiet machine and, separately, for the instances started by the reloads under load.
 */
import { AppCopy } from '../test/helpers/cluster';
import { compare, measure, median, summarise, type RunResult } from './lib/measure';
import { benchSettings, type BenchReport } from './lib/settings';

const RELOADS = 3;

const QUIET_RELOADS = 3;

/** `startup_ms` of each "instance ready" line, by pid. */
function startupByPid(logs: string): Map<number, number> {
  return new Map([...logs.matchAll(/instance ready\s+instance=\d+ pid=(\d+) port=\d+ startup_ms=(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]));
}

export async function run(): Promise<BenchReport[]> {
  const { rounds, seconds, connections } = benchSettings();
  const app = await AppCopy.create({ dotenv: { CREDENTIAL_MASTER_KEY: Buffer.alloc(32, 0x77).toString('base64') } });
  try {
    const setup = app.sopctl(['setup']);
    const key = setup.stdout.trim();
    // (e) first, on a quiet machine: the initial start and reloads with no traffic.
    const quietPids: number[] = [];
    const onlinePids = async (): Promise<number[]> =>
      app.waitFor('2 instances online', () => {
        const online = app.processes().filter((p) => p.status === 'online');
        return online.length === 2 ? online.map((p) => p.pid) : undefined;
      });
    const startupsOf = async (pids: readonly number[]): Promise<number[]> => {
      const byPid = await app.waitFor('the ready line of every instance in the logs', () => {
        const found = startupByPid(app.logs(10_000));
        return pids.every((pid) => found.has(pid)) ? found : undefined;
      });
      return [...new Set(pids)].map((pid) => byPid.get(pid) ?? 0);
    };
    app.start();
    quietPids.push(...(await onlinePids()));
    for (let i = 0; i < QUIET_RELOADS; i += 1) {
      const reloaded = await app.pm2Async(['reload', 'sop-orchestrator']);
      if (reloaded.code !== 0) throw new Error(`reload failed: ${reloaded.output}`);
      quietPids.push(...(await onlinePids()));
    }
    // Read now: `pm2 logs` shows only the files of processes that still exist, and scaling below removes one.
    const quiet = await startupsOf(quietPids);
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
    const loadedPids: number[] = [];
    for (let i = 0; i < RELOADS; i += 1) {
      const running = load(12);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const reloaded = await app.pm2Async(['reload', 'sop-orchestrator']);
      if (reloaded.code !== 0) throw new Error(`reload failed: ${reloaded.output}`);
      reloads.push(await running);
      loadedPids.push(...(await onlinePids()));
      process.stderr.write(`  reload ${i + 1}/${RELOADS}: ${reloads.at(-1)!.total} requests, ${reloads.at(-1)!.non2xx + reloads.at(-1)!.errors} failed\n`);
    }

    const loaded = await startupsOf(loadedPids);
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
        title: `(e) process start → ready, per instance (the \`startup_ms\` of its "instance ready" line)`,
        rows: [
          [`quiet machine: initial start and ${QUIET_RELOADS} reloads without traffic (${quiet.length} starts)`, `median ${median(quiet)} ms, max ${Math.max(...quiet)} ms (target ≤ 300 ms)`],
          ['quiet, all', quiet.join(', ')],
          [`during the ${RELOADS} reloads under load of (d) (${loaded.length} starts)`, `median ${median(loaded)} ms, max ${Math.max(...loaded)} ms`],
          ['under load, all', loaded.join(', ')],
        ],
        notes: ['Under load, autocannon and the old instances saturate both cores while the new ones start: that start competes for CPU.'],
      },
    ];
  } finally {
    await app.destroy();
  }
}
