import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { beforeUpgrades } from '../../http/wrap-listeners';
import { type EngineConnection, tcpSocketOf } from '../engine-internals';

/**
 * A websocket's handshake leaves in one system call instead of two: ws writes the `101` answer
 * at once, and engine.io the session's open packet a moment later (after a promise: its
 * handshake is async) — two writes, two segments, two wake-ups of the client, for every new
 * connection (each of a reconnect storm's clients). The TCP socket is corked when the upgrade
 * request comes and uncorked once its engine connection is made, so both leave together; an
 * upgrade that makes none (refused: `end()` uncorks; an upgrade of a polling session) is
 * uncorked at the end of the event-loop turn at the latest.
 */
export interface UpgradeAnswers {
  /** A new engine connection: its open packet is written, its handshake may leave now. */
  opened(connection: EngineConnection): void;
}

/**
 * Installs the corking on the HTTP server's `upgrade` listeners; call after Socket.IO attached
 * and after anything else that wraps them (the drain gate): this wraps the ones there are.
 */
export function answerUpgradesInOneWrite(httpServer: EventEmitter): UpgradeAnswers {
  const held = new Set<Duplex>();
  let endOfTurn = false;
  const release = (socket: Duplex) => {
    if (held.delete(socket)) socket.uncork();
  };
  const releaseAll = () => {
    endOfTurn = false;
    for (const socket of held) release(socket);
  };

  beforeUpgrades(httpServer, (_req, socket) => {
    socket.cork();
    held.add(socket);
    if (!endOfTurn) {
      endOfTurn = true;
      setImmediate(releaseAll);
    }
    return false;
  });

  return {
    opened(connection) {
      const socket = tcpSocketOf(connection.transport);
      if (socket) release(socket);
    },
  };
}
