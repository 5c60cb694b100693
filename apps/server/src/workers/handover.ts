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

/**
 * Gives the socket (and what was read of it) to a worker; the primary's copy is closed.
 *
 * Handed over as a socket of no server: for one a net.Server accepted, Node keeps count across
 * the handover — the worker hangs a closure and a once-wrapper on every such socket's `close`
 * (≈ 400 bytes of each idle connection's heap in a worker, in heap snapshots of 2 000 joined
 * sockets: as much as a worker's sockets cost above one process's) — so that the primary's
 * `server.getConnections()` and `close()` can ask the workers, and Parley's primary asks neither.
 * Without it the primary's count of the server's connections is given back as for any socket
 * that closes: by destroying its copy, which has no handle left once sent.
 */
export function handOver(worker: Worker, socket: Socket, head: Buffer): void {
  const message: ConnectionMessage = { type: 'parley:connection', head: head.toString('base64') };
  untracked(socket);
  worker.send(message, socket, () => socket.destroy());
}

/**
 * Node reads `socket.server` (set by the net.Server that accepted it) to decide whether to
 * track a socket sent to a child process; the count it keeps is `_server`'s, left in place.
 * Another Node that read something else would track the sockets again: more memory, nothing
 * worse (handover.test.ts says so).
 */
function untracked(socket: Socket): void {
  (socket as unknown as { server: unknown }).server = null;
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
