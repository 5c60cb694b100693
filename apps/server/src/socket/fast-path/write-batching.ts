import { Socket as NetSocket } from 'node:net';
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
const heldThisTurn: Batched[] = [];

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
  releaseEach(heldThisTurn, release);
}

/**
 * Releases every held socket and empties the list. Should one release throw, the others are
 * released all the same (a socket left corked would never send again) and the first error is
 * thrown after.
 */
function releaseEach(held: Batched[], releaseOne: (socket: Batched) => void): void {
  let failure: { error: unknown } | undefined;
  for (const socket of held) {
    try {
      releaseOne(socket);
    } catch (error) {
      failure ??= { error };
    }
  }
  held.length = 0;
  if (failure) throw failure.error;
}

/**
 * Inside `writesTogether`: every batched socket is corked from its first write, and released as
 * the outermost block ends. Nesting depth, and the sockets such a block corked.
 */
let togetherDepth = 0;
const heldTogether: Batched[] = [];

/**
 * Runs `send` (synchronous: a few emits that make one update, such as a room's presence and
 * its figures) so that what it writes to each socket leaves in one system call: one write, one
 * TCP segment, one wake-up of the client, instead of one per event. Nothing waits for the end
 * of the turn: each socket it corked is released when `send` returns. Sockets the fast path does
 * not batch (it is off, or the socket is long-polling) are written as usual.
 */
export function writesTogether<T>(send: () => T): T {
  togetherDepth++;
  try {
    return send();
  } finally {
    togetherDepth--;
    if (togetherDepth === 0) releaseTogether();
  }
}

function releaseTogether(): void {
  const now = currentTurn();
  releaseEach(heldTogether, (socket) => {
    release(socket);
    // It flushed in this turn: anything more for it waits for the end of the turn.
    socket[STATE].flushedInTurn = now;
  });
}

/** Where a batched socket keeps its state: one own property, not closures per socket. */
const STATE = Symbol('parley.writeBatching');
type Batched = NetSocket & { [STATE]: BatchState };

/** What this batching knows of one socket. */
class BatchState {
  /** The turn of this socket's last flush; a second flush in the same turn is held. */
  flushedInTurn = -1;
  holding = false;
  /** Frames written in `framesTurn`, and whether the turn before this one had several. */
  framesTurn = -1;
  frames = 0;
  inBurst = false;

  constructor(readonly counts: BatchingCounts) {}
}

// The socket's own methods, from its prototype: every batched socket's `write` and `uncork` are
// these two shared functions, which find the socket as `this` and its state on it.
const { write: plainWrite, uncork: plainUncork } = NetSocket.prototype;

function batchedWrite(this: Batched, ...args: Parameters<NetSocket['write']>): boolean {
  const state = this[STATE];
  const now = currentTurn();
  if (state.framesTurn !== now) {
    state.inBurst = state.framesTurn === now - 1 && state.frames > 1;
    state.framesTurn = now;
    state.frames = 0;
  }
  if (!state.holding) {
    // Held to the end of the turn (a second flush, a burst), or to the end of a block.
    const held =
      state.flushedInTurn === now || state.inBurst
        ? heldThisTurn
        : togetherDepth > 0
          ? heldTogether
          : undefined;
    if (held) {
      state.holding = true;
      this.cork();
      held.push(this);
    }
  }
  if (state.holding) state.counts.heldWrites++;
  // A write outside the writer's own cork is a whole frame (a prebuilt broadcast frame).
  if (outsideWriterCork(this, state)) state.frames++;
  const accepted = plainWrite.apply(this, args);
  noteFlush(this, state);
  return accepted;
}

function batchedUncork(this: Batched): void {
  const state = this[STATE];
  plainUncork.call(this);
  // The writer's own cork is undone: one of its frames (header and payload) is complete.
  if (outsideWriterCork(this, state)) state.frames++;
  noteFlush(this, state);
}

/** Whether the only cork on the socket, if any, is this batching's own. */
function outsideWriterCork(socket: NetSocket, state: BatchState): boolean {
  return socket.writableCorked === (state.holding ? 1 : 0);
}

/** Called after a write or an uncork: whatever is not corked has gone to the kernel. */
function noteFlush(socket: NetSocket, state: BatchState): void {
  if (!state.holding && socket.writableCorked === 0) state.flushedInTurn = currentTurn();
}

/** The end of a turn: what a held socket got in it leaves in one system call. */
function release(socket: Batched): void {
  const state = socket[STATE];
  state.holding = false;
  state.counts.batches++;
  // The original uncork: this flush ends the turn, it does not start the next one's count.
  plainUncork.call(socket);
}

export function batchWritesPerTurn(
  socket: NetSocket,
  counts: BatchingCounts = { heldWrites: 0, batches: 0 },
): void {
  // Someone else's `write` or `uncork` on this socket: leave it be (unbatched, as correct).
  if (Object.hasOwn(socket, 'write') || Object.hasOwn(socket, 'uncork')) return;
  const batched = socket as Batched;
  batched[STATE] = new BatchState(counts);
  batched.write = batchedWrite as NetSocket['write'];
  batched.uncork = batchedUncork;
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
