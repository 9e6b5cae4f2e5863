import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE } from '../errors/error-handler';

const BODY = JSON.stringify({
  type: 'urn:sop-orchestrator:problem:method-not-allowed',
  title: 'Method Not Allowed',
  status: 405,
  detail: 'CONNECT is not supported: this service is not a proxy',
});

/**
 * Node hands CONNECT requests to the server's 'connect' event and, with no listener, closes the
 * socket without a word. This service is not a proxy: answer like any other unsupported method.
 */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => undefined);
  socket.end(
    'HTTP/1.1 405 Method Not Allowed\r\n' +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(BODY)}\r\n` +
      'Allow: GET, HEAD, POST, PUT, DELETE\r\n' +
      'Connection: close\r\n\r\n' +
      BODY,
  );
}
