import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ENGINE_PATH } from './engine-path';

/** A Socket.IO request that would open a new session (no `sid` yet), by its target. */
function opensSession(url: string | undefined): boolean {
  if (!url?.startsWith(ENGINE_PATH)) return false;
  const query = url.indexOf('?');
  return query === -1 || !new URLSearchParams(url.slice(query + 1)).has('sid');
}

const REFUSAL = JSON.stringify({
  error: { code: 'unavailable', message: 'this node is draining; connect to another' },
});

/**
 * While `draining()`, new Socket.IO sessions — a polling handshake, or a websocket opened
 * directly — are answered 503, and everything else (sessions already open, the HTTP routes) is
 * served as before. A load balancer that retries a 503 elsewhere (nginx's `proxy_next_upstream
 * http_503`, HAProxy's redispatch) then moves new clients to another node at once, without
 * waiting for its health checks to see /readyz go 503. Called after Socket.IO is attached:
 * it wraps the listeners Socket.IO installed.
 */
export function refuseNewSessionsWhile(httpServer: Server, draining: () => boolean): void {
  const requests = httpServer.listeners('request') as ((
    req: IncomingMessage,
    res: ServerResponse,
  ) => void)[];
  httpServer.removeAllListeners('request');
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (draining() && opensSession(req.url)) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(REFUSAL);
      return;
    }
    for (const listener of requests) listener.call(httpServer, req, res);
  });

  const upgrades = httpServer.listeners('upgrade') as ((
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ) => void)[];
  httpServer.removeAllListeners('upgrade');
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (draining() && opensSession(req.url)) {
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(REFUSAL)}\r\nretry-after: 1\r\nconnection: close\r\n\r\n${REFUSAL}`,
      );
      return;
    }
    for (const listener of upgrades) listener.call(httpServer, req, socket, head);
  });
}
