import { Agent, request } from 'undici';

export interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly failures: string[];
  readonly pids: Set<number>;
}

export interface LoadOptions {
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly concurrency: number;
  /** Keep going at least until this many requests were sent… */
  readonly minRequests: number;
  /** …and until this says stop (e.g. a reload finished). */
  readonly keepGoing?: () => boolean;
  /** Hard bounds, whatever happens. */
  readonly maxRequests?: number;
  readonly maxMs?: number;
}

/**
 * A bounded keep-alive client loop against 127.0.0.1 (undici reuses sockets, which is what
 * exposes reload races that curl-style one-connection-per-request clients never see).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: options.concurrency });
  const maxRequests = options.maxRequests ?? 50_000;
  const deadline = Date.now() + (options.maxMs ?? 60_000);
  const result = { ok: 0, failed: 0, failures: [] as string[], pids: new Set<number>() };
  let sent = 0;
  const more = () =>
    sent < maxRequests && Date.now() < deadline && (sent < options.minRequests || (options.keepGoing?.() ?? false));

  async function worker(): Promise<void> {
    while (more()) {
      sent += 1;
      try {
        const response = await request(options.url, { dispatcher: agent, headers: options.headers ?? {} });
        const text = await response.body.text();
        if (response.statusCode === 200) {
          result.ok += 1;
          const pid = (JSON.parse(text) as { pid?: number }).pid;
          if (typeof pid === 'number') result.pids.add(pid);
        } else {
          result.failed += 1;
          if (result.failures.length < 10) result.failures.push(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
        }
      } catch (error) {
        result.failed += 1;
        if (result.failures.length < 10) result.failures.push(String((error as Error).message ?? error));
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await agent.close();
  return result;
}
