import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config/config';

export type { Logger } from 'pino';

/** Paths pino blanks out before a line is written; secrets must never reach a log. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'secret',
  'secrets',
  '*.secret',
  '*.secrets',
  '*.token',
  '*.password',
  '*.value',
  '*.apiKey',
  'apiKey',
  'token',
  'password',
  'masterKey',
];

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly instance: number;
  /** Where lines go; stdout by default. Tests pass a collector. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? stdoutStream();
  const stream = options.format === 'text' ? textStream(destination) : destination;
  return pino(
    {
      level: options.level,
      base: { instance: options.instance, pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: options.format === 'json' ? pino.stdTimeFunctions.isoTime : false,
    },
    stream,
  );
}

/**
 * Through `process.stdout.write`, not fd 1: under PM2 cluster mode that method is what PM2
 * replaces to route an instance's output into its own log file (fd 1 is the daemon's log).
 */
function stdoutStream(): DestinationStream {
  return { write: (line: string) => void process.stdout.write(line) };
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const OMITTED = new Set(['level', 'time', 'msg', 'instance', 'pid']);

/**
 * `msg  instance=1 pid=42 key=value …`: the shape users grep for in `pm2 logs`. PM2 adds the
 * timestamp; warnings and errors carry `level=`.
 */
export function formatTextLine(record: Record<string, unknown>): string {
  const fields: string[] = [`instance=${String(record.instance)}`, `pid=${String(record.pid)}`];
  for (const [key, value] of Object.entries(record)) {
    if (OMITTED.has(key) || value === undefined) continue;
    fields.push(`${key}=${formatValue(value)}`);
  }
  const level = typeof record.level === 'number' ? record.level : 30;
  if (level >= 40) fields.push(`level=${LEVEL_NAMES[level] ?? level}`);
  const message = typeof record.msg === 'string' ? record.msg : '';
  return `${message}  ${fields.join(' ')}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

function textStream(destination: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      destination.write(formatTextLine(JSON.parse(line) as Record<string, unknown>));
    },
  };
}
