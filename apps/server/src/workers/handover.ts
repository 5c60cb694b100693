import type { Worker } from 'node:cluster';
import type { Socket } from 'node:net';
import type { ConnectionMessage } from './messages';
import { readFirstRequest } from './session-route';

export interface FirstBytes {
  /** Everything read so far: the worker is handed it with the socket. */
  head: Buffer;
  /** The worker the request's session id names, if any. */
  workerId: number | undefined;
}

/**
 * Reads a new connection (accepted paused) until its request line is complete, then stops
 * reading. Resolves undefined when the client went away first; after `timeoutMs` with what
 * came so far (a worker's HTTP server then deals with a client that slow).
 */
export function readFirstBytes(socket: Socket, timeoutMs: number): Promise<FirstBytes | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const finish = (result: FirstBytes | undefined) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      stopReading(socket);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const head = Buffer.concat(chunks);
      const request = readFirstRequest(head);
      if (request.kind === 'complete') finish({ head, workerId: request.workerId });
    };
    const onClose = () => finish(undefined);
    const timer = setTimeout(
      () => finish({ head: Buffer.concat(chunks), workerId: undefined }),
      timeoutMs,
    );
    // A reset before the handover is the client's business, not the primary's crash.
    socket.on('error', () => {});
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  });
}

/** Gives the socket (and what was read of it) to a worker; the primary's copy is closed. */
export function handOver(worker: Worker, socket: Socket, head: Buffer): void {
  const message: ConnectionMessage = { type: 'parley:connection', head: head.toString('base64') };
  worker.send(message, socket, (error: Error | null) => {
    if (error) socket.destroy();
  });
}

/**
 * `pause()` only stops a socket emitting data: its handle goes on reading into the stream's
 * buffer, and bytes read between now and the handover would be lost to the worker (a request
 * body's second segment). Node has no public call for this, hence the one private touch; a
 * Node without it leaves that small window open, nothing worse.
 */
function stopReading(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { readStop?: () => number } })._handle;
  handle?.readStop?.();
}
