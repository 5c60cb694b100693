import type { Socket as NetSocket } from 'node:net';
import { type EngineConnection, type EngineTransport, tcpSocketOf } from '../engine-internals';

/**
 * Under load a socket is written many times per event-loop turn: every broadcast writes one
 * frame to every recipient, one system call each. The first flush of a turn goes out at once,
 * so a lone message is never delayed; after it the TCP socket is corked until the turn's I/O
 * callbacks have run, so a burst leaves each connection in one more `writev` instead of one
 * per message.
 *
 * A socket that got several frames in the previous turn is in a burst: it is corked from its
 * first write, so each turn of the burst costs it one system call, not two. A socket that got
 * one frame (any socket at a modest rate) is never held.
 *
 * A "flush" is what reaches the kernel: `ws` writes a frame as cork, header, payload, uncork,
 * so the frame's writes belong to the first flush until its uncork; corking on its payload
 * would hold even a lone frame back to the end of the turn (after the whole broadcast loop).
 */

/** What batching did, counted into the fast path's stats. */
export interface BatchingCounts {
  /** Socket writes held in a cork to leave with the rest of their turn. */
  heldWrites: number;
  /** Corks released at the end of a turn: each sends what it held in one system call. */
  batches: number;
}

/** One counter and one `setImmediate` for all sockets, not one timer per socket per turn. */
let turn = 0;
let turnEndScheduled = false;
const heldThisTurn: BatchedSocket[] = [];

function currentTurn(): number {
  if (!turnEndScheduled) {
    turnEndScheduled = true;
    setImmediate(endTurn);
  }
  return turn;
}

function endTurn(): void {
  turnEndScheduled = false;
  turn++;
  try {
    for (const held of heldThisTurn) held.release();
  } finally {
    heldThisTurn.length = 0;
  }
}

class BatchedSocket {
  /** The turn of this socket's last flush; a second flush in the same turn is held. */
  private flushedInTurn = -1;
  private holding = false;
  /** Frames written in `framesTurn`, and whether the turn before this one had several. */
  private framesTurn = -1;
  private frames = 0;
  private inBurst = false;
  private readonly write: NetSocket['write'];
  private readonly uncork: NetSocket['uncork'];

  constructor(
    private readonly socket: NetSocket,
    private readonly counts: BatchingCounts,
  ) {
    this.write = socket.write;
    this.uncork = socket.uncork;
    const batched = this;
    socket.write = function batchedWrite(this: NetSocket, ...args: Parameters<NetSocket['write']>) {
      return batched.onWrite(this, args);
    } as NetSocket['write'];
    socket.uncork = function batchedUncork(this: NetSocket) {
      batched.uncork.call(this);
      // The writer's own cork is undone: one of its frames (header and payload) is complete.
      if (batched.outsideWriterCork()) batched.frames++;
      batched.noteFlush();
    };
  }

  private onWrite(target: NetSocket, args: Parameters<NetSocket['write']>): boolean {
    const now = currentTurn();
    if (this.framesTurn !== now) {
      this.inBurst = this.framesTurn === now - 1 && this.frames > 1;
      this.framesTurn = now;
      this.frames = 0;
    }
    if (!this.holding && (this.flushedInTurn === now || this.inBurst)) {
      this.holding = true;
      this.socket.cork();
      heldThisTurn.push(this);
    }
    if (this.holding) this.counts.heldWrites++;
    // A write outside the writer's own cork is a whole frame (a prebuilt broadcast frame).
    if (this.outsideWriterCork()) this.frames++;
    const accepted = this.write.apply(target, args);
    this.noteFlush();
    return accepted;
  }

  /** Whether the only cork on the socket, if any, is this batching's own. */
  private outsideWriterCork(): boolean {
    return this.socket.writableCorked === (this.holding ? 1 : 0);
  }

  /** Called after a write or an uncork: whatever is not corked has gone to the kernel. */
  private noteFlush(): void {
    if (!this.holding && this.socket.writableCorked === 0) this.flushedInTurn = currentTurn();
  }

  release(): void {
    this.holding = false;
    this.counts.batches++;
    // The original uncork: this flush ends the turn, it does not start the next one's count.
    this.uncork.call(this.socket);
  }
}

export function batchWritesPerTurn(
  socket: NetSocket,
  counts: BatchingCounts = { heldWrites: 0, batches: 0 },
): void {
  new BatchedSocket(socket, counts);
}

/** Batches the writes of every websocket connection, including ones upgraded from polling. */
export function batchEngineWrites(connection: EngineConnection, counts: BatchingCounts): void {
  const batch = (transport: EngineTransport) => {
    const socket = tcpSocketOf(transport);
    if (socket) batchWritesPerTurn(socket, counts);
  };
  if (connection.transport.name === 'websocket') batch(connection.transport);
  else connection.once('upgrade', batch);
}
