import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Puts `first` in front of the HTTP server's `request` listeners as they are now (Socket.IO's,
 * which hands what is not its own to the routes): it runs first, and answers true when it has
 * answered the request itself, so the others do not run. Called after Socket.IO is attached.
 */
export function beforeRequests(
  httpServer: EventEmitter,
  first: (req: IncomingMessage, res: ServerResponse) => boolean,
): void {
  const listeners = httpServer.listeners('request') as RequestListener[];
  httpServer.removeAllListeners('request');
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (first(req, res)) return;
    for (const listener of listeners) listener.call(httpServer, req, res);
  });
}

/** The same for `upgrade` requests (websockets). */
export function beforeUpgrades(
  httpServer: EventEmitter,
  first: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean,
): void {
  const listeners = httpServer.listeners('upgrade') as UpgradeListener[];
  httpServer.removeAllListeners('upgrade');
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (first(req, socket, head)) return;
    for (const listener of listeners) listener.call(httpServer, req, socket, head);
  });
}
