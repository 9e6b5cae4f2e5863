import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export type UpstreamHandler = (req: RecordedRequest, res: http.ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 that records what arrives; the tests' stand-in for public APIs. */
export class Upstream {
  readonly requests: RecordedRequest[] = [];
  /** Connections the client closed before we answered (aborted calls). */
  abortedRequests = 0;
  private constructor(
    private readonly server: http.Server,
    readonly host: string,
  ) {}

  static async start(handler: UpstreamHandler, host = '127.0.0.1'): Promise<Upstream> {
    let upstream: Upstream | undefined;
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        upstream?.requests.push(recorded);
        res.on('close', () => {
          if (!res.writableFinished && upstream) upstream.abortedRequests += 1;
        });
        handler(recorded, res);
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    upstream = new Upstream(server, host);
    return upstream;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
