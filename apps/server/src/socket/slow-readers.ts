import { CloseReason } from '@parley/protocol';
import type { Logger } from '../logger';
import { throttledLog } from '../throttled-log';
import { closeConnection } from './close';
import { budgetOf } from './connection-budget';
import { type EngineConnection, queuedBytes, queuedPackets, tcpSocketOf } from './engine-internals';

/**
 * A client that stops reading would otherwise be written to until heartbeats drop it (45 s or
 * more): everything sent to its rooms piles up in its queue meanwhile. Past `maxBytes` waiting
 * for it (in engine.io's queue and the TCP socket's buffer together) the connection is closed:
 * told why first (it reads that once it reads again), its sockets leave their rooms at once,
 * engine.io queues nothing more for a closing connection, and after `graceMs` the transport is
 * cut whatever it still holds. Volatile packets (typing) go first: Socket.IO drops them while the
 * transport is busy.
 *
 * Readers that keep up hardly pay for this: on the fast path (fast-path/) a broadcast that does
 * not have to wait is not looked at, and the queue is measured once every `CHECK_EVERY` packets
 * waiting, so the cost per packet is one comparison (the cap may be overshot by that many
 * packets). The cap is a limit, not an optimisation: with the fast path off it stays on.
 */
export interface SlowReaders {
  /** Asked before a packet waits in the connection's queue: false drops it. */
  admit(connection: EngineConnection): boolean;
}

const CHECK_EVERY = 32;

export function createSlowReaders({
  maxBytes,
  graceMs,
  log,
  closed: counted = () => {},
}: {
  maxBytes: number;
  graceMs: number;
  log: Logger;
  /** Told of each connection closed, for the metrics. */
  closed?: () => void;
}): SlowReaders {
  const closed = throttledLog(log, 'warn', 'closed connections that read too slowly');
  // While a connection is being told why it closes, its last packets must pass.
  let closing = false;

  function close(connection: EngineConnection, waiting: number): void {
    closed({ waitingBytes: waiting, maxBytes });
    counted();
    closing = true;
    try {
      const speaker = budgetOf(connection)?.speaker;
      if (speaker?.connected) {
        closeConnection(
          speaker,
          CloseReason.SlowReader,
          `more than ${maxBytes} bytes were waiting for this connection to read them`,
        );
      } else connection.close();
    } finally {
      closing = false;
    }
    const cut = setTimeout(() => connection.close(true), graceMs);
    cut.unref();
    connection.once('close', () => clearTimeout(cut));
  }

  return {
    admit(connection) {
      if (closing || queuedPackets(connection) % CHECK_EVERY !== CHECK_EVERY - 1) return true;
      const waiting =
        queuedBytes(connection) + (tcpSocketOf(connection.transport)?.writableLength ?? 0);
      if (waiting <= maxBytes) return true;
      close(connection, waiting);
      return false;
    },
  };
}
