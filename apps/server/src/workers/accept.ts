import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** What Node answers a request whose head or body came too slowly, before it closes. */
const REQUEST_TIMEOUT_RESPONSE = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';

/**
 * How a worker serves the connections its primary hands over: as the HTTP server's own, starting
 * with the bytes the primary already read — and with the HTTP server's `headersTimeout` and
 * `requestTimeout` kept here. Node keeps them only for connections of a server that listens
 * (its check starts on `listening`), and a worker's never does: without this, a client that
 * sends half a request line and then nothing (slowloris) held a worker's connection for ever.
 *
 * Node's semantics, on public events: the request's head within `headersTimeout` of the
 * connection's start, all of it received (`complete`) within `requestTimeout`; a connection
 * that became a websocket is the engine's to keep alive or close. Workers answer one request
 * per connection (worker.ts), so there is no later request to time.
 */
export function handedOverConnections(
  httpServer: HttpServer,
): (socket: Socket, head: Buffer) => void {
  const deadlines = new WeakMap<Socket, NodeJS.Timeout>();
  const clear = (socket: Socket) => clearTimeout(deadlines.get(socket));
  const tooSlow = (socket: Socket) => {
    if (!socket.destroyed) socket.end(REQUEST_TIMEOUT_RESPONSE);
    socket.destroy();
  };

  const startTimes = new WeakMap<Socket, number>();

  httpServer.on('request', (request: IncomingMessage) => {
    const socket = request.socket;
    const startedAt = startTimes.get(socket);
    clear(socket);
    if (startedAt === undefined || httpServer.requestTimeout <= 0 || request.complete) return;
    const leftMs = Math.max(0, startedAt + httpServer.requestTimeout - Date.now());
    // The head is in, the body is not: the answer may have begun, so no 408, only the close.
    const deadline = setTimeout(() => {
      if (!request.complete) socket.destroy();
    }, leftMs);
    deadlines.set(socket, deadline.unref());
  });
  httpServer.on('upgrade', (request: IncomingMessage) => clear(request.socket));

  return (socket, head) => {
    startTimes.set(socket, Date.now());
    const headMs = smallestPositive(httpServer.headersTimeout, httpServer.requestTimeout);
    if (headMs !== undefined) {
      deadlines.set(socket, setTimeout(() => tooSlow(socket), headMs).unref());
      socket.once('close', () => clear(socket));
    }
    httpServer.emit('connection', socket);
    if (head.length > 0) socket.emit('data', head);
    socket.resume();
  };
}

/** Node's own rule: a zero timeout is none, and the head is bound by the request's deadline too. */
function smallestPositive(...values: number[]): number | undefined {
  const positive = values.filter((value) => value > 0);
  return positive.length > 0 ? Math.min(...positive) : undefined;
}
