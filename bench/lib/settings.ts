export interface BenchReport {
  readonly title: string;
  readonly rows: ReadonlyArray<readonly [string, string]>;
  readonly notes?: readonly string[];
}

/** BENCH_ROUNDS (≥ 3 for the record), BENCH_SECONDS, BENCH_CONNECTIONS. */
export function benchSettings(): { rounds: number; seconds: number; connections: number } {
  return {
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    seconds: Number(process.env.BENCH_SECONDS ?? 10),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 20),
  };
}

export function renderReport(report: BenchReport): string {
  const lines = [`### ${report.title}`, '', '| | median |', '|---|---|', ...report.rows.map(([k, v]) => `| ${k} | ${v} |`)];
  if (report.notes?.length) lines.push('', ...report.notes);
  return `${lines.join('\n')}\n`;
}
