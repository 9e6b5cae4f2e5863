import path from 'node:path';
import { z } from 'zod';
import type { Environment } from './environment';
import { parseMasterKeys, type MasterKey } from './master-keys';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly appRoot: string;
  readonly envFile: string | null;
  readonly port: number;
  readonly host: string;
  /** PM2's NODE_APP_INSTANCE, 0 outside PM2. */
  readonly instance: number;
  /** PM2's process id (`pm_id`), null when PM2 did not start this process. */
  readonly pm2Id: number | null;
  readonly defaultUser: { readonly id: string; readonly admin: boolean };
  /** First key encrypts, all decrypt. */
  readonly masterKeys: readonly MasterKey[];
  readonly database: { readonly url: string; readonly kind: 'sqlite'; readonly file: string };
  readonly skillsDir: string;
  readonly auth: {
    readonly allowAnonymous: boolean;
    readonly jwtSecret: string | undefined;
    readonly jwksUrl: string | undefined;
  };
  readonly outboundAllow: readonly string[];
  readonly log: { readonly level: LogLevel; readonly format: LogFormat };
  readonly shutdown: { readonly drainMs: number; readonly timeoutMs: number };
  readonly runs: {
    /** Runs one instance executes at once; more wait in `queued`. */
    readonly maxConcurrent: number;
    readonly maxSteps: number;
    readonly maxDataBytes: number;
    /** How long a run stays owned by an instance without a heartbeat. */
    readonly leaseMs: number;
    /** Heartbeat, cancel check and queue poll interval. */
    readonly pollMs: number;
    /** On shutdown, how long running runs may continue before they are handed back. */
    readonly drainMs: number;
  };
  readonly callbacks: { readonly signingSecret: string | undefined; readonly maxAttempts: number; readonly backoffMs: number };
}

export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** Every invalid variable at once, each with what to do about it. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.variable}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

const SETUP_HINT = 'run `npm run setup` in the app folder (it writes .env with a generated key) or set it to 32 random bytes, e.g. `openssl rand -base64 32`';

const booleanText = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), {
      message: `must be true or false (got something else); fix ${name} in .env or the environment`,
    })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const integerText = (min: number, max: number, hint: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be a whole number ${hint}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be between ${min} and ${max} ${hint}` });

const schema = z.object({
  PORT: integerText(0, 65535, '(the TCP port all instances share)').default(3000),
  HOST: z.string().trim().min(1, { message: 'must not be empty (e.g. 127.0.0.1 or 0.0.0.0)' }).default('127.0.0.1'),
  INSTANCES: z
    .string()
    .trim()
    .regex(/^(max|-?\d+)$/, { message: 'must be "max", a number of instances, or a negative number (max minus that)' })
    .default('max'),
  NODE_APP_INSTANCE: integerText(0, 10_000, '(set by PM2)').default(0),
  // PM2 sets pm_id in the environment of every process it starts; its presence means "run by PM2".
  pm_id: integerText(0, 1_000_000, '(set by PM2)').optional(),
  DEFAULT_USER_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._@-]{1,128}$/, { message: 'must be 1-128 of A-Z a-z 0-9 . _ @ -' })
    .default('system'),
  DEFAULT_USER_ADMIN: booleanText('DEFAULT_USER_ADMIN').default(false),
  CREDENTIAL_MASTER_KEY: z
    .string({ error: (issue) => (issue.input === undefined ? `is not set: ${SETUP_HINT}` : 'must be text') })
    .transform((raw, ctx) => {
      try {
        return parseMasterKeys(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `${(error as Error).message}: ${SETUP_HINT}` });
        return z.NEVER;
      }
    }),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => v.startsWith('sqlite:'), {
      message: 'must be a sqlite: URL such as sqlite:./data/sop.db (only the embedded SQLite store is available in this version)',
    })
    .refine((v) => v.length > 'sqlite:'.length, { message: 'needs a file path after sqlite:' })
    .default('sqlite:./data/sop.db'),
  SKILLS_DIR: z.string().trim().min(1).default('./skills'),
  AUTH_ALLOW_ANONYMOUS: booleanText('AUTH_ALLOW_ANONYMOUS').default(false),
  AUTH_JWT_SECRET: z
    .string()
    .min(32, { message: 'must be at least 32 characters for HS256; generate one with `openssl rand -base64 32`' })
    .optional(),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL of a JWKS document' }).optional(),
  OUTBOUND_ALLOW: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'must be one of fatal, error, warn, info, debug, trace, silent',
  }).default('info'),
  LOG_FORMAT: z.enum(['text', 'json'], { message: 'must be text or json' }).default('text'),
  SHUTDOWN_DRAIN_MS: integerText(0, 60_000, '(milliseconds)').default(1500),
  SHUTDOWN_TIMEOUT_MS: integerText(1000, 120_000, '(milliseconds; keep it below PM2 kill_timeout)').default(10_000),
  RUNS_MAX_CONCURRENT: integerText(1, 1000, '(runs per instance)').default(8),
  RUNS_MAX_STEPS: integerText(1, 1000, '(steps per run)').default(50),
  RUNS_MAX_DATA_BYTES: integerText(1024, 16 * 1024 * 1024, '(bytes of data_store JSON)').default(256 * 1024),
  RUNS_LEASE_MS: integerText(1000, 600_000, '(milliseconds)').default(5000),
  RUNS_POLL_MS: integerText(50, 10_000, '(milliseconds; keep it well below RUNS_LEASE_MS)').default(250),
  RUNS_DRAIN_MS: integerText(0, 110_000, '(milliseconds; keep it below SHUTDOWN_TIMEOUT_MS)').default(5000),
  CALLBACK_SIGNING_SECRET: z
    .string()
    .min(32, { message: 'must be at least 32 characters; `npm run setup` writes one, or use `openssl rand -base64 32`' })
    .optional(),
  CALLBACK_MAX_ATTEMPTS: integerText(1, 20, '(deliveries of one callback)').default(6),
  CALLBACK_BACKOFF_MS: integerText(10, 600_000, '(milliseconds before the first retry; doubles each time)').default(1000),
});

/** Keys whose empty value means "unset" rather than "empty text". */
function withoutEmpty(env: Environment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') out[key] = value;
  }
  return out;
}

/** Builds the one typed config object from the environment, or throws ConfigError naming every bad variable. */
export function loadConfig(env: Environment, appRoot: string, envFile: string | null = null): Config {
  const parsed = schema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const seen = new Set<string>();
    const problems: ConfigProblem[] = [];
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? 'environment');
      if (seen.has(variable)) continue;
      seen.add(variable);
      problems.push({ variable, message: issue.message });
    }
    throw new ConfigError(problems);
  }
  const v = parsed.data;
  const fromRoot = (p: string) => path.resolve(appRoot, p);
  return {
    appRoot,
    envFile,
    port: v.PORT,
    host: v.HOST,
    instance: v.NODE_APP_INSTANCE,
    pm2Id: v.pm_id ?? null,
    defaultUser: { id: v.DEFAULT_USER_ID, admin: v.DEFAULT_USER_ADMIN },
    masterKeys: v.CREDENTIAL_MASTER_KEY,
    database: { url: v.DATABASE_URL, kind: 'sqlite', file: fromRoot(v.DATABASE_URL.slice('sqlite:'.length)) },
    skillsDir: fromRoot(v.SKILLS_DIR),
    auth: { allowAnonymous: v.AUTH_ALLOW_ANONYMOUS, jwtSecret: v.AUTH_JWT_SECRET, jwksUrl: v.AUTH_JWKS_URL },
    outboundAllow: v.OUTBOUND_ALLOW,
    log: { level: v.LOG_LEVEL, format: v.LOG_FORMAT },
    shutdown: { drainMs: v.SHUTDOWN_DRAIN_MS, timeoutMs: v.SHUTDOWN_TIMEOUT_MS },
    runs: {
      maxConcurrent: v.RUNS_MAX_CONCURRENT,
      maxSteps: v.RUNS_MAX_STEPS,
      maxDataBytes: v.RUNS_MAX_DATA_BYTES,
      leaseMs: v.RUNS_LEASE_MS,
      pollMs: v.RUNS_POLL_MS,
      drainMs: v.RUNS_DRAIN_MS,
    },
    callbacks: { signingSecret: v.CALLBACK_SIGNING_SECRET, maxAttempts: v.CALLBACK_MAX_ATTEMPTS, backoffMs: v.CALLBACK_BACKOFF_MS },
  };
}
