import type { DestinationStream } from 'pino';

/** Collects every log line a test's logger writes, so tests can grep them (e.g. for secrets). */
export class LogCapture implements DestinationStream {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
}
