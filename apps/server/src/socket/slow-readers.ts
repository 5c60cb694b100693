import { CloseReason } from '@parley/protocol';
import type { Logger } from '../logger';
import { throttledLog } from '../throttled-log';
import { closeConnection } from './close';
import { type EngineConnection, queuedPackets, tcpSocketOf } from './engine-internals';
import type { ParleySocket } from './types';

/**
 * A client that stops reading would otherwise be written to until heartbeats drop it (45 s or
 * more): everything sent to its rooms piles up in its queue meanwhile. Past `maxBytes` waiting
 * for it (in engine.io's queue and the TCP socket's buffer together) the connection is closed:
 * told why first (it reads that once it reads again), its sockets leave their rooms at once,
 * nothing more is queued for it, and after `graceMs` the transport is cut whatever it still
 * holds. Volatile packets (typing) go first: Socket.IO drops them while the transport is busy.
 * Readers that keep up never get here: this runs only for packets that have to wait.
 */
export interface SlowReaders {
  /** Remembers the socket that can tell the connection why it is closed. */
  track(connection: EngineConnection, socket: ParleySocket): void;
  /** A packet of about `bytes` is about to wait in the connection's queue: false drops it. */
  admit(connection: EngineConnection, bytes: number): boolean;
}

interface Backlog {
  /** Bytes queued since the queue was last seen empty. */
  queued: number;
  closing: boolean;
  /** Writing the close reason and the disconnect itself, which must not be dropped. */
  sayingWhy: boolean;
}

export function createSlowReaders({
  maxBytes,
  graceMs,
  log,
}: {
  maxBytes: number;
  graceMs: number;
  log: Logger;
}): SlowReaders {
  const sockets = new WeakMap<EngineConnection, ParleySocket>();
  const backlogs = new WeakMap<EngineConnection, Backlog>();
  const closed = throttledLog(log, 'warn', 'closed connections that read too slowly');

  function close(connection: EngineConnection, backlog: Backlog, waiting: number): void {
    closed({ waitingBytes: waiting, maxBytes });
    backlog.sayingWhy = true;
    const socket = sockets.get(connection);
    try {
      if (socket) {
        closeConnection(
          socket,
          CloseReason.SlowReader,
          `more than ${maxBytes} bytes were waiting for this connection to read them`,
        );
      } else connection.close();
    } finally {
      backlog.sayingWhy = false;
      backlog.closing = true;
    }
    const cut = setTimeout(() => connection.close(true), graceMs);
    cut.unref();
    connection.once('close', () => clearTimeout(cut));
  }

  return {
    track(connection, socket) {
      if (!sockets.has(connection)) sockets.set(connection, socket);
    },
    admit(connection, bytes) {
      let backlog = backlogs.get(connection);
      const pending = queuedPackets(connection);
      const inSocket = tcpSocketOf(connection.transport)?.writableLength ?? 0;
      if (!backlog) {
        // Nothing waits: the common case costs no allocation.
        if (pending === 0 && inSocket === 0) return true;
        backlog = { queued: 0, closing: false, sayingWhy: false };
        backlogs.set(connection, backlog);
      }
      if (backlog.sayingWhy) return true;
      if (backlog.closing) return false;
      if (pending === 0) backlog.queued = 0;
      const waiting = backlog.queued + inSocket + bytes;
      if (waiting > maxBytes) {
        close(connection, backlog, waiting);
        return false;
      }
      backlog.queued += bytes;
      return true;
    },
  };
}

/** About how many bytes a packet puts on the wire. */
export function packetBytes(data: unknown, frame: Buffer[] | undefined): number {
  if (frame) return frame.reduce((sum, part) => sum + part.length, 0);
  if (typeof data === 'string') return data.length;
  return (data as { byteLength?: number } | undefined)?.byteLength ?? 0;
}
