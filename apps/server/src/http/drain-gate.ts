import type { Server } from 'node:http';
import { ENGINE_PATH } from './engine-path';
import { beforeRequests, beforeUpgrades } from './wrap-listeners';

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
  beforeRequests(httpServer, (req, res) => {
    if (!draining() || !opensSession(req.url)) return false;
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(REFUSAL);
    return true;
  });
  beforeUpgrades(httpServer, (req, socket) => {
    if (!draining() || !opensSession(req.url)) return false;
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(REFUSAL)}\r\nretry-after: 1\r\nconnection: close\r\n\r\n${REFUSAL}`,
    );
    return true;
  });
}
