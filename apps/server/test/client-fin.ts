import type { Socket as NetSocket } from 'node:net';
import type { Socket as ServerSocket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';

/**
 * Ends a websocket client's TCP connection from its side (a FIN, no close frame) and runs
 * `atServer` the moment the server's TCP socket hears it: ws, listening first, has just marked
 * the websocket closing and ended its own side, while engine.io and the rooms still hold the
 * socket. Resolves once `atServer` ran.
 */
export function endFromClient(
  server: ServerSocket,
  client: ClientSocket,
  atServer: () => void,
): Promise<void> {
  const tcp = (server.conn.transport as unknown as { socket: { _socket: NetSocket } }).socket
    ._socket;
  const ended = new Promise<void>((resolve) =>
    tcp.once('end', () => {
      atServer();
      resolve();
    }),
  );
  (client.io.engine.transport as unknown as { ws: { _socket: NetSocket } }).ws._socket.end();
  return ended;
}
