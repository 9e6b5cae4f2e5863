import autocannon from 'autocannon';

export interface LoadSpec {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly connections: number;
  readonly durationSeconds: number;
}

export interface RunResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly total: number;
}

/** One autocannon run against 127.0.0.1. */
export async function measure(spec: LoadSpec): Promise<RunResult> {
  const result = await autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    ...(spec.body !== undefined && { body: spec.body }),
    connections: spec.connections,
    duration: spec.durationSeconds,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Alternates baseline and candidate `rounds` times (so drift hits both alike) and reports medians
 * and the candidate/baseline ratio of requests per second.
 */
export async function compare(
  label: string,
  rounds: number,
  baseline: () => Promise<RunResult>,
  candidate: () => Promise<RunResult>,
): Promise<{ label: string; baseline: RunResult[]; candidate: RunResult[]; ratio: number }> {
  const base: RunResult[] = [];
  const cand: RunResult[] = [];
  for (let round = 0; round < rounds; round += 1) {
    base.push(await baseline());
    cand.push(await candidate());
    process.stderr.write(`  ${label} round ${round + 1}/${rounds}: baseline ${Math.round(base.at(-1)!.requestsPerSecond)} req/s, candidate ${Math.round(cand.at(-1)!.requestsPerSecond)} req/s\n`);
  }
  const ratio = median(cand.map((r) => r.requestsPerSecond)) / median(base.map((r) => r.requestsPerSecond));
  return { label, baseline: base, candidate: cand, ratio };
}

export function summarise(runs: readonly RunResult[]): string {
  const rps = median(runs.map((r) => r.requestsPerSecond));
  const p50 = median(runs.map((r) => r.p50Ms));
  const p99 = median(runs.map((r) => r.p99Ms));
  const bad = runs.reduce((n, r) => n + r.non2xx + r.errors, 0);
  return `${Math.round(rps)} req/s, p50 ${p50} ms, p99 ${p99} ms, failed ${bad}`;
}
