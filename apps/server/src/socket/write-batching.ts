import type { Socket as NetSocket } from 'node:net';

/**
 * Under load a socket is written many times per event-loop turn: every broadcast writes one
 * frame to every recipient, one system call each. The first write of a turn goes out at once (so
 * a lone message is not delayed); from the second on the TCP socket is corked, and uncorked once
 * the turn's I/O callbacks have run, so a burst leaves each connection in one more `writev`
 * instead of one per message.
 */
export function batchWritesPerTurn(socket: NetSocket): void {
  const write = socket.write;
  let wroteThisTurn = false;
  let corked = false;
  const endTurn = () => {
    wroteThisTurn = false;
    if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  socket.write = function batchedWrite(this: NetSocket, ...args: Parameters<NetSocket['write']>) {
    if (!wroteThisTurn) {
      wroteThisTurn = true;
      setImmediate(endTurn);
    } else if (!corked) {
      corked = true;
      socket.cork();
    }
    return write.apply(this, args);
  } as NetSocket['write'];
}

/** The TCP socket under an engine.io connection, once it is on the websocket transport. */
interface EngineConnection {
  transport: { name: string; socket?: { _socket?: NetSocket } };
  once(event: 'upgrade', listener: (transport: EngineConnection['transport']) => void): void;
}

/** Batches the writes of every websocket connection, including ones upgraded from polling. */
export function batchEngineWrites(connection: EngineConnection): void {
  const batch = (transport: EngineConnection['transport']) => {
    const socket = transport.name === 'websocket' ? transport.socket?._socket : undefined;
    if (socket) batchWritesPerTurn(socket);
  };
  if (connection.transport.name === 'websocket') batch(connection.transport);
  else connection.once('upgrade', batch);
}
