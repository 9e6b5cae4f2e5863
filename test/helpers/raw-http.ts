/**
 * HTTP/1.1 over a plain TCP socket, so a test controls every byte it sends (malformed request
 * lines, raw control characters, lying Content-Length…) — things node:http's client refuses to send.
 */
import net from 'node:net';

export interface RawRequestSpec {
  readonly method: string;
  /** The request target exactly as it goes on the wire (not encoded for you). */
  readonly target: string;
  /** Sent in this order after `Host` and `Connection: close`; values are written as UTF-8 bytes. */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: string | Buffer;
  /** Content-Length to announce; default: the body's length when there is a body. `null`: none. */
  readonly contentLength?: number | null;
}

export interface RawResponse {
  /** 0 when the server sent no complete status line before closing. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** How the connection ended on our side when it was not a clean close (e.g. ECONNRESET). */
  readonly socketError: string | undefined;
}

/** The bytes of one request; always `Connection: close`, so the server closes after answering. */
export function buildRequest(port: number, spec: RawRequestSpec): Buffer {
  const body = spec.body === undefined ? undefined : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
  const lines = [`${spec.method} ${spec.target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
  for (const [name, value] of spec.headers ?? []) lines.push(`${name}: ${value}`);
  const length = spec.contentLength === undefined ? body?.length : spec.contentLength;
  if (length !== undefined && length !== null) lines.push(`Content-Length: ${length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return body ? Buffer.concat([head, body]) : head;
}

/**
 * Writes `request` to 127.0.0.1:`port` and reads until the server closes the connection.
 * `halfClose` half-closes our side after writing (to send a truncated body and hang up).
 */
export function rawExchange(port: number, request: Buffer, options: { timeoutMs?: number; halfClose?: boolean } = {}): Promise<RawResponse> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let socketError: string | undefined;
    let settled = false;
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socketError = `no close within ${timeoutMs} ms`;
      socket.destroy();
    }, timeoutMs);
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks), socketError));
    };
    socket.on('connect', () => {
      socket.write(request, (error) => {
        if (error) socketError ??= (error as NodeJS.ErrnoException).code ?? error.message;
        else if (options.halfClose) socket.end();
      });
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      socketError ??= error.code ?? error.message;
    });
    socket.on('close', finish);
  });
}

/** Status line, headers (lower-case names, repeated ones joined with ", ") and the decoded body. */
export function parseResponse(raw: Buffer, socketError?: string): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: 0, headers: {}, body: raw.toString('latin1'), socketError: socketError ?? 'no complete response head' };
  const [statusLine = '', ...headerLines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = raw.subarray(headEnd + 4);
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status, headers, body: body.toString('utf8'), socketError };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
