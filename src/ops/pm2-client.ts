/**
 * The CLI's connection to the user's running PM2 daemon, through PM2's programmatic API.
 *
 * PM2_HOME is PM2's own concern: the pm2 module reads it when it is loaded, like the pm2 command.
 * Connecting must never start a daemon. PM2's `connect()` does whenever none answers: in daemon
 * mode it spawns one, and `connect(true)` ("no daemon") starts one inside this process and, with a
 * daemon already running, relaunches every installed PM2 module (lib/API.js connect →
 * launchAll). So we ping the daemon's RPC socket first and connect in daemon mode only when it
 * answers; should it die between the two, `new_pm2_instance` tells us and we kill what we started.
 */
import type { ProcessDescription } from 'pm2';

export interface Pm2ProcessInfo {
  readonly pmId: number;
  readonly name: string;
  /** 0 when the process is not running. */
  readonly pid: number;
  /** online, stopped, errored, launching, stopping, waiting restart, … */
  readonly status: string;
  /** NODE_APP_INSTANCE. */
  readonly instance: number;
}

/** A bus 'process:msg' event: what an instance sent with process.send({type, data}). */
export type ProcessMessageListener = (pmId: number, data: unknown) => void;

export interface Pm2Connection {
  /** The PM2_HOME of the daemon we are connected to. */
  readonly home: string;
  list(): Promise<Pm2ProcessInfo[]>;
  /** PM2's sendDataToProcessId: the packet reaches the instance as a process 'message'. */
  sendData(pmId: number, packet: { readonly type: 'process:msg'; readonly topic: string; readonly data: object }): Promise<void>;
  onProcessMessage(listener: ProcessMessageListener): void;
  close(): Promise<void>;
}

export class Pm2UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Pm2UnavailableError';
  }
}

type Pm2Api = typeof import('pm2');

/** Parts of PM2's API object that its type definitions leave out. */
interface Pm2Internals {
  readonly pm2_home: string;
  readonly Client: { pingDaemon(callback: (alive: boolean) => void): void };
  connect(callback: (error: Error | null, meta?: { new_pm2_instance?: boolean }) => void): void;
  disconnect(callback: () => void): void;
}

interface Pm2Bus {
  on(event: 'process:msg', listener: (packet: { data?: unknown; process?: { pm_id?: number } }) => void): void;
}

type Pm2ProcessDescription = ProcessDescription & { pm2_env?: { NODE_APP_INSTANCE?: number | string } };

export async function connectToRunningPm2(): Promise<Pm2Connection> {
  // Loaded on demand: only `sopctl diagnose` needs PM2's client, and loading it reads PM2_HOME.
  const pm2 = require('pm2') as Omit<Pm2Api, 'connect' | 'disconnect'> & Pm2Internals;
  const home = pm2.pm2_home;
  const notRunning = new Pm2UnavailableError(
    `no PM2 daemon is running for PM2_HOME=${home}: start the app with \`npm start\` (or \`pm2 start ecosystem.config.js\`), or set PM2_HOME to the folder of the daemon that runs it`,
  );

  const alive = await new Promise<boolean>((resolve) => pm2.Client.pingDaemon(resolve));
  if (!alive) throw notRunning;

  const meta = await new Promise<{ new_pm2_instance?: boolean } | undefined>((resolve, reject) =>
    pm2.connect((error, connected) => (error ? reject(error) : resolve(connected))),
  );
  if (meta?.new_pm2_instance) {
    await new Promise((resolve) => pm2.killDaemon(() => resolve(undefined)));
    throw notRunning;
  }

  const bus = await new Promise<Pm2Bus>((resolve, reject) =>
    pm2.launchBus((error: Error | null, launched: Pm2Bus) => (error ? reject(error) : resolve(launched))),
  );

  return {
    home,
    list: () =>
      new Promise((resolve, reject) =>
        pm2.list((error, list) => (error ? reject(error) : resolve((list as Pm2ProcessDescription[]).map(toProcessInfo)))),
      ),
    sendData: (pmId, packet) =>
      new Promise((resolve, reject) =>
        // PM2 writes `id` into the packet it is given: hand it a copy.
        pm2.sendDataToProcessId(pmId, { ...packet }, (error) => (error ? reject(error) : resolve())),
      ),
    onProcessMessage(listener) {
      bus.on('process:msg', (packet) => {
        const pmId = packet.process?.pm_id;
        if (typeof pmId === 'number') listener(pmId, packet.data);
      });
    },
    close: () => new Promise((resolve) => pm2.disconnect(() => resolve())),
  };
}

function toProcessInfo(description: Pm2ProcessDescription): Pm2ProcessInfo {
  return {
    pmId: description.pm_id ?? -1,
    name: description.name ?? '',
    pid: description.pid ?? 0,
    status: description.pm2_env?.status ?? 'unknown',
    instance: Number(description.pm2_env?.NODE_APP_INSTANCE ?? 0),
  };
}
