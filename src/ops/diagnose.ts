/**
 * `npm run diagnose`: asks every PM2 instance of the app whether it is initialised, and says
 * which ones are not and why. The PM2 side is behind `Pm2Connection` (src/ops/pm2-client.ts).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceStatus } from './instance-status';
import { parseStatusReply, statusRequest, type StatusReplyData } from './ipc-status';
import type { Pm2Connection, Pm2ProcessInfo } from './pm2-client';

export const DEFAULT_APP_NAME = 'sop-orchestrator';
export const DEFAULT_DIAGNOSE_TIMEOUT_MS = 3000;

export interface DiagnoseOptions {
  readonly appName: string;
  /** How long to wait for all answers. */
  readonly timeoutMs: number;
}

export interface InstanceDiagnosis {
  readonly pmId: number;
  readonly instance: number;
  /** PM2's pid (0 when not running); the instance's own answer carries it too. */
  readonly pid: number;
  readonly pm2Status: string;
  /** The instance's answer, or null when it did not give one. */
  readonly status: InstanceStatus | null;
  readonly ok: boolean;
  /** Why the instance fails the check; null when ok. */
  readonly problem: string | null;
}

export interface Diagnosis {
  readonly app: string;
  readonly pm2Home: string;
  readonly ok: boolean;
  readonly instances: readonly InstanceDiagnosis[];
  /** Set when there was nothing to ask (no process with that name). */
  readonly problem: string | null;
}

const POLL_MS = 20;

export async function diagnose(pm2: Pm2Connection, options: DiagnoseOptions): Promise<Diagnosis> {
  const requestId = randomUUID();
  const replies = new Map<number, StatusReplyData>();
  pm2.onProcessMessage((pmId, data) => {
    const reply = parseStatusReply(data);
    if (reply?.requestId === requestId) replies.set(pmId, reply);
  });

  const processes = (await pm2.list())
    .filter((p) => p.name === options.appName)
    .sort((a, b) => a.instance - b.instance || a.pmId - b.pmId);
  if (processes.length === 0) {
    return {
      app: options.appName,
      pm2Home: pm2.home,
      ok: false,
      instances: [],
      problem: `PM2 runs no process named ${options.appName} (PM2_HOME=${pm2.home}): \`pm2 list\` shows what it runs; start the app with \`npm start\``,
    };
  }

  const online = processes.filter((p) => p.status === 'online');
  const sendErrors = new Map<number, string>();
  const silent = () => online.filter((p) => !replies.has(p.pmId) && !sendErrors.has(p.pmId));
  const ask = (targets: readonly Pm2ProcessInfo[]) =>
    Promise.all(
      targets.map((p) =>
        pm2.sendData(p.pmId, statusRequest(requestId)).catch((error: unknown) => {
          sendErrors.set(p.pmId, error instanceof Error ? error.message : String(error));
        }),
      ),
    );

  // Asked twice: the bus subscription is acknowledged by the client before the daemon has
  // necessarily accepted it, so a very fast first answer can be published to nobody.
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  await ask(online);
  await waitUntil(() => silent().length === 0, started + options.timeoutMs / 2);
  if (silent().length > 0) {
    await ask(silent());
    await waitUntil(() => silent().length === 0, deadline);
  }

  const instances = processes.map((p) => judge(p, replies.get(p.pmId), sendErrors.get(p.pmId), options.timeoutMs));
  return { app: options.appName, pm2Home: pm2.home, ok: instances.every((i) => i.ok), instances, problem: null };
}

function judge(p: Pm2ProcessInfo, reply: StatusReplyData | undefined, sendError: string | undefined, timeoutMs: number): InstanceDiagnosis {
  const base = { pmId: p.pmId, instance: p.instance, pid: p.pid, pm2Status: p.status };
  const fail = (problem: string, status: InstanceStatus | null = null): InstanceDiagnosis => ({ ...base, status, ok: false, problem });
  if (p.status === 'launching') return fail('still starting (PM2 status: launching): it has not reported ready yet');
  if (p.status === 'errored' || p.status === 'waiting restart') return fail(`not running (PM2 status: ${p.status}): its FATAL line is in pm2 logs`);
  if (p.status !== 'online') return fail(`not running (PM2 status: ${p.status})`);
  if (sendError !== undefined) return fail(`could not be asked: ${sendError}`);
  if (reply === undefined) return fail(`no answer within ${timeoutMs} ms (stuck, or not yet past startup)`);
  if (reply.status === undefined) return fail(`answered with an error: ${reply.error ?? 'no status'}`);
  if (!reply.status.initialised) return fail(`not initialised: ${reply.status.problems.join('; ')}`, reply.status);
  return { ...base, status: reply.status, ok: true, problem: null };
}

async function waitUntil(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) await sleep(POLL_MS);
}

/** The human-readable table `sopctl diagnose` prints. */
export function formatDiagnosisTable(diagnosis: Diagnosis): string {
  const header = ['PM_ID', 'INSTANCE', 'PID', 'PM2', 'UPTIME', 'USER', 'INITIALIZED_AT', 'STORE', 'SKILLS', 'VERSION', 'RESULT'];
  const rows = diagnosis.instances.map((i) => {
    const s = i.status;
    return [
      String(i.pmId),
      String(i.instance),
      String(s?.pid ?? (i.pid || '-')),
      i.pm2Status,
      s ? formatUptime(s.uptimeSeconds) : '-',
      s?.auth.userId ?? '-',
      s?.auth.initializedAt ?? '-',
      s?.store ?? '-',
      s ? String(s.skillsLoaded) : '-',
      s?.version ?? '-',
      i.ok ? 'initialised' : 'FAIL',
    ];
  });
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  return [header, ...rows].map((cells) => cells.map((c, col) => c.padEnd(widths[col] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** One line per failing instance, then a verdict. */
export function formatDiagnosisSummary(diagnosis: Diagnosis): string {
  if (diagnosis.problem !== null) return `FAIL ${diagnosis.problem}`;
  const lines = diagnosis.instances
    .filter((i) => !i.ok)
    .map((i) => `FAIL ${diagnosis.app} instance ${i.instance} (pm_id ${i.pmId}${i.pid ? `, pid ${i.pid}` : ''}): ${i.problem ?? ''}`);
  const good = diagnosis.instances.filter((i) => i.ok).length;
  const total = diagnosis.instances.length;
  lines.push(
    diagnosis.ok
      ? `OK all ${total} instances of ${diagnosis.app} are initialised (PM2_HOME=${diagnosis.pm2Home})`
      : `FAIL ${good} of ${total} instances of ${diagnosis.app} are initialised (PM2_HOME=${diagnosis.pm2Home})`,
  );
  return lines.join('\n');
}

export function formatUptime(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? ` ${seconds % 60}s` : ''}`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${Math.floor(seconds / 60) % 60 ? ` ${Math.floor(seconds / 60) % 60}m` : ''}`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor(seconds / 3600) % 24 ? ` ${Math.floor(seconds / 3600) % 24}h` : ''}`;
}
