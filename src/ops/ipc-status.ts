/**
 * The status question `npm run diagnose` asks every instance over PM2's IPC, both sides of it.
 *
 * Request: the CLI calls `pm2.sendDataToProcessId(pm_id, {type: 'process:msg', topic, data}, cb)`;
 * the daemon (God.sendDataToProcessId) passes the whole packet to the worker with
 * `worker.send(packet)`, so it arrives here as a 'message' event of the instance's process.
 * Reply: `process.send({type: 'process:msg', data})`; the daemon (ClusterMode.js) republishes any
 * message with `type` and `data` on its bus under that type, adding `process.pm_id`, so the CLI
 * receives it from `pm2.launchBus()` as a 'process:msg' event.
 */
import { z } from 'zod';
import type { CollectInstanceStatus, InstanceStatus } from './instance-status';

export const STATUS_REQUEST_TOPIC = 'sop:status';
export const STATUS_REPLY_TOPIC = 'sop:status:reply';

export interface StatusRequestPacket {
  readonly type: 'process:msg';
  readonly topic: typeof STATUS_REQUEST_TOPIC;
  /** Echoed in the reply, so two diagnose runs at once never take each other's answers. */
  readonly data: { readonly requestId: string };
}

export interface StatusReplyData {
  readonly topic: typeof STATUS_REPLY_TOPIC;
  readonly requestId: string;
  readonly status?: InstanceStatus;
  /** Set instead of `status` when the instance could not collect it. */
  readonly error?: string;
}

export function statusRequest(requestId: string): StatusRequestPacket {
  return { type: 'process:msg', topic: STATUS_REQUEST_TOPIC, data: { requestId } };
}

/** The part of a process that carries IPC; `process` itself fits. */
export interface IpcPort {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  /** With a callback a closed channel is reported there instead of as an 'error' event. */
  send?: (message: unknown, sendHandle: undefined, options: undefined, callback: (error: Error | null) => void) => boolean;
}

/**
 * Answers every status request that arrives on `port` (the process's IPC channel by default).
 * Other messages (PM2's own, 'shutdown') are left alone. Returns a function that stops answering.
 */
export function answerStatusRequests(
  collect: CollectInstanceStatus,
  onError: (error: Error) => void,
  port: IpcPort = process,
): () => void {
  const listener = (message: unknown): void => {
    const requestId = statusRequestId(message);
    if (requestId === undefined || port.send === undefined) return;
    const send = port.send.bind(port);
    collect().then(
      (status) => reply({ topic: STATUS_REPLY_TOPIC, requestId, status }),
      (error: unknown) => reply({ topic: STATUS_REPLY_TOPIC, requestId, error: error instanceof Error ? error.message : String(error) }),
    );
    function reply(data: StatusReplyData): void {
      send({ type: 'process:msg', data }, undefined, undefined, (error) => {
        if (error) onError(error);
      });
    }
  };
  port.on('message', listener);
  return () => void port.off('message', listener);
}

const requestSchema = z.object({
  type: z.literal('process:msg'),
  topic: z.literal(STATUS_REQUEST_TOPIC),
  data: z.object({ requestId: z.string().min(1).max(100) }),
});

function statusRequestId(message: unknown): string | undefined {
  const parsed = requestSchema.safeParse(message);
  return parsed.success ? parsed.data.data.requestId : undefined;
}

const instanceStatusSchema = z.object({
  pid: z.number(),
  instance: z.number(),
  uptimeSeconds: z.number(),
  version: z.string(),
  auth: z.object({ initialized: z.boolean(), userId: z.string().nullable(), initializedAt: z.string().nullable() }),
  store: z.string(),
  skillsLoaded: z.number(),
  initialised: z.boolean(),
  problems: z.array(z.string()),
});

const envelopeSchema = z.object({
  topic: z.literal(STATUS_REPLY_TOPIC),
  requestId: z.string(),
  status: z.unknown().optional(),
  error: z.string().optional(),
});

/**
 * The reply carried by a bus 'process:msg' event's `data`, or undefined when it is some other
 * message. A reply whose status has an unexpected shape (an instance of another version) is
 * returned with `error` saying so, rather than being mistaken for silence.
 */
export function parseStatusReply(data: unknown): StatusReplyData | undefined {
  const envelope = envelopeSchema.safeParse(data);
  if (!envelope.success) return undefined;
  const { requestId, status, error } = envelope.data;
  if (error !== undefined) return { topic: STATUS_REPLY_TOPIC, requestId, error };
  const parsed = instanceStatusSchema.safeParse(status);
  if (!parsed.success) return { topic: STATUS_REPLY_TOPIC, requestId, error: 'answered with a status this sopctl does not understand (different version?)' };
  return { topic: STATUS_REPLY_TOPIC, requestId, status: parsed.data };
}
