/**
 * The service's own counters, kept in plain memory per instance.
 *
 * Features receive a `ServiceMetrics` through their dependencies and only count; where the
 * numbers are shown (PM2's `pm2 show` / `pm2 monit` through @pm2/io, `npm run diagnose`) is
 * decided in src/server.ts. Keeping the values here, instead of in @pm2/io objects, lets @pm2/io
 * be attached after the instance is ready without losing what was counted before.
 */
export interface Counter {
  inc(by?: number): void;
}

export interface Gauge {
  inc(): void;
  dec(): void;
}

export interface ServiceMetrics {
  /** Every skill execution that was attempted (successful or not). */
  readonly skillExecutions: Counter;
  /** Skill executions that ended in an error. */
  readonly skillFailures: Counter;
  /** Runs currently executing on this instance. */
  readonly runsInProgress: Gauge;
  snapshot(): MetricsSnapshot;
}

export interface MetricsSnapshot {
  readonly skillExecutions: number;
  readonly skillFailures: number;
  readonly runsInProgress: number;
}

/** Display names, as `pm2 show` and `pm2 monit` list them. */
export const METRIC_NAMES: Readonly<Record<keyof MetricsSnapshot, string>> = {
  skillExecutions: 'Skill executions',
  skillFailures: 'Skill failures',
  runsInProgress: 'Runs in progress',
};

export function createServiceMetrics(): ServiceMetrics {
  const values = { skillExecutions: 0, skillFailures: 0, runsInProgress: 0 };
  const counter = (key: 'skillExecutions' | 'skillFailures'): Counter => ({
    inc(by = 1) {
      values[key] += by;
    },
  });
  return {
    skillExecutions: counter('skillExecutions'),
    skillFailures: counter('skillFailures'),
    runsInProgress: {
      inc() {
        values.runsInProgress += 1;
      },
      dec() {
        // Never below zero: an unmatched dec() is a bug elsewhere, not a negative number of runs.
        values.runsInProgress = Math.max(0, values.runsInProgress - 1);
      },
    },
    snapshot: () => ({ ...values }),
  };
}
