import { diagnose, formatDiagnosisSummary, formatDiagnosisTable } from '../ops/diagnose';
import { connectToRunningPm2, Pm2UnavailableError } from '../ops/pm2-client';

export interface DiagnoseCommandOptions {
  readonly app: string;
  readonly json: boolean;
  readonly timeoutMs: number;
}

/** Exit codes of `sopctl diagnose`. */
export const DIAGNOSE_EXIT = {
  ok: 0,
  /** An instance is not running, did not answer, or is not initialised; or no instance exists. */
  instanceProblem: 1,
  /** No PM2 daemon runs for this PM2_HOME. */
  noDaemon: 2,
} as const;

export interface Output {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The table (or JSON) goes to stdout, verdicts to stderr; returns the exit code. */
export async function runDiagnoseCommand(options: DiagnoseCommandOptions, out: Output): Promise<number> {
  let pm2;
  try {
    pm2 = await connectToRunningPm2();
  } catch (error) {
    if (!(error instanceof Pm2UnavailableError)) throw error;
    if (options.json) out.stdout(`${JSON.stringify({ ok: false, app: options.app, problem: error.message, instances: [] }, null, 2)}\n`);
    out.stderr(`FAIL ${error.message}\n`);
    return DIAGNOSE_EXIT.noDaemon;
  }
  try {
    const diagnosis = await diagnose(pm2, { appName: options.app, timeoutMs: options.timeoutMs });
    if (options.json) out.stdout(`${JSON.stringify(diagnosis, null, 2)}\n`);
    else if (diagnosis.instances.length > 0) out.stdout(`${formatDiagnosisTable(diagnosis)}\n`);
    out.stderr(`${formatDiagnosisSummary(diagnosis)}\n`);
    return diagnosis.ok ? DIAGNOSE_EXIT.ok : DIAGNOSE_EXIT.instanceProblem;
  } finally {
    await pm2.close();
  }
}
