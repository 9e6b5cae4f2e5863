import { createHmac } from 'node:crypto';
import type { Agent } from 'undici';
import type { Logger } from 'pino';
import type { OutboundPolicy } from '../skills/outbound-policy';
import type { RunRecord, Store } from '../store/store';

export const SIGNATURE_HEADER = 'X-SOP-Signature';
const DELIVERY_TIMEOUT_MS = 10_000;

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface CallbackSenderOptions {
  readonly store: Store;
  readonly secret: string;
  readonly policy: OutboundPolicy;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly logger: Logger;
}

/**
 * Delivers `callback_url` notifications of finished runs. The delivery state lives in the run
 * record, so any instance may deliver (or retry) a callback whose run another instance finished.
 */
export class CallbackSender {
  #agent: Agent | undefined;
  #delivering = false;

  constructor(private readonly options: CallbackSenderOptions) {}

  /** Loaded with the first delivery: most instances never send a callback right after starting. */
  #undici(): { request: typeof import('undici').request; agent: Agent } {
    const undici = require('undici') as typeof import('undici');
    this.#agent ??= new undici.Agent({ connect: { lookup: this.options.policy.lookup }, keepAliveTimeout: 5000 });
    return { request: undici.request, agent: this.#agent };
  }

  /** Sends every due callback; overlapping calls are skipped (it is driven by the worker's poll). */
  async deliverDue(): Promise<void> {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      const now = Date.now();
      for (const run of await this.options.store.runs.dueCallbacks(now, 10)) {
        if (run.callbackNextAt === null || !run.callbackUrl) continue;
        // Reserve the attempt so another instance polling at the same moment skips it.
        if (!(await this.options.store.runs.claimCallback(run.id, run.callbackNextAt, now + DELIVERY_TIMEOUT_MS * 3))) continue;
        await this.#deliver(run, run.callbackUrl);
      }
    } finally {
      this.#delivering = false;
    }
  }

  async close(): Promise<void> {
    await this.#agent?.close();
  }

  async #deliver(run: RunRecord, url: string): Promise<void> {
    const body = JSON.stringify({
      run_id: run.id,
      status: run.status,
      error: run.error,
      run_name: run.name,
      started_at: run.startedAt,
      completed_at: run.completedAt,
    });
    const attempts = run.callbackAttempts + 1;
    let outcome: string;
    try {
      const target = new URL(url);
      this.options.policy.checkUrl(target);
      const { request, agent } = this.#undici();
      const response = await request(target, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER.toLowerCase()]: signBody(this.options.secret, body), 'x-sop-run-id': run.id },
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.body.dump().catch(() => undefined);
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await this.options.store.runs.recordCallback(run.id, 'delivered', attempts, null);
        return;
      }
      outcome = `HTTP ${response.statusCode}`;
    } catch (error) {
      outcome = error instanceof Error ? error.message : String(error);
    }
    const exhausted = attempts >= this.options.maxAttempts;
    const nextAt = exhausted ? null : Date.now() + this.options.backoffMs * 2 ** (attempts - 1);
    await this.options.store.runs.recordCallback(run.id, exhausted ? 'failed' : 'pending', attempts, nextAt);
    this.options.logger.warn({ run_id: run.id, attempt: attempts, outcome, gave_up: exhausted }, 'run callback not delivered');
  }
}
