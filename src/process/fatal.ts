/**
 * PM2 routes an instance's output through `process.stderr.write` into an asynchronous file
 * stream, and loses it when a cluster worker dies within milliseconds. So the fatal line is
 * written through that method and the process lingers before exiting (never listening meanwhile).
 */
export const FATAL_LINGER_MS = 1000;

export function formatFatal(message: string): string {
  return `${message.split('\n').map((line) => `FATAL ${line}`).join('\n')}  pid=${process.pid}\n`;
}

export function exitWithFatal(message: string, lingerMs: number = FATAL_LINGER_MS): void {
  process.exitCode = 1;
  process.stderr.write(formatFatal(message));
  setTimeout(() => process.exit(1), lingerMs);
}
