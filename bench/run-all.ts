/**
 * `npm run bench`: every scenario, each with its own baseline measured in the same run, then
 * docs/BENCHMARKS.md rewritten with the results, the machine and the command line.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run as runCluster } from './cluster.bench';
import { run as runExecuteCpu } from './execute-cpu.bench';
import { run as runExecute } from './execute.bench';
import { run as runHttp } from './http.bench';
import { REPO_ROOT } from './lib/processes';
import { benchSettings, renderReport, type BenchReport } from './lib/settings';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const scenarios: Array<[string, () => Promise<BenchReport | BenchReport[]>]> = [
    ['http', runHttp],
    ['execute', runExecute],
    ['execute-cpu', runExecuteCpu],
    ['cluster', runCluster],
  ];
  const reports: BenchReport[] = [];
  for (const [name, scenario] of scenarios) {
    if (only.length > 0 && !only.includes(name)) continue;
    process.stderr.write(`bench ${name}…\n`);
    const result = await scenario();
    reports.push(...(Array.isArray(result) ? result : [result]));
  }
  const body = reports.map(renderReport).join('\n');
  process.stdout.write(body);
  if (only.length === 0 && process.env.BENCH_WRITE !== '0') writeDoc(body);
}

function writeDoc(results: string): void {
  const file = path.join(REPO_ROOT, 'docs', 'BENCHMARKS.md');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const marker = '<!-- results -->';
  const head = existing.includes(marker) ? existing.slice(0, existing.indexOf(marker)) : '# Benchmarks\n\n';
  const { rounds, seconds, connections } = benchSettings();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    `- node ${process.version}, commit ${execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim()}`,
    `- command: \`BENCH_ROUNDS=${rounds} BENCH_SECONDS=${seconds} BENCH_CONNECTIONS=${connections} npm run bench\``,
  ].join('\n');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${head}${marker}\n## Latest results\n\n${machine}\n\n${results}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
