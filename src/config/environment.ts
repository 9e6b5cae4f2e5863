import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface LoadedEnvironment {
  readonly values: Environment;
  /** Absolute path of the `.env` that was read, or null when there is none. */
  readonly envFile: string | null;
}

export function envFilePath(appRoot: string): string {
  return path.join(appRoot, '.env');
}

/**
 * The variables this process runs with: the app root's `.env`, overridden by the real
 * environment (so `PORT=4000 pm2 start …` wins over the file). `process.env` itself is
 * not modified, so nothing leaks into child processes and no other module needs to read it.
 */
export function loadEnvironment(appRoot: string, processEnv: Environment = process.env): LoadedEnvironment {
  const file = envFilePath(appRoot);
  let fromFile: Record<string, string> = {};
  let envFile: string | null = null;
  if (fs.existsSync(file)) {
    fromFile = dotenv.parse(fs.readFileSync(file));
    envFile = file;
  }
  return { values: { ...fromFile, ...processEnv }, envFile };
}
